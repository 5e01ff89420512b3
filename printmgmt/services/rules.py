"""What every release reads of an organization's print rules besides the user's own assignment: the Default
Print Policy (with its days and times), the Default Quota (with its limits), and whether any policy or quota
assignment exists at all (most organizations have none, and the assignment query is then skipped).

Kept in the Django cache for CACHE_SECONDS and dropped by every service that changes them (printmgmt.services
.policies, .quotas, .assignments), as the device API keeps the Printer Login Configuration
(accounts.services.device_auth.configuration_for). A cascade that removes assignments (a user deleted) leaves
"assignments exist" true a little longer, which only costs the query it would have skipped."""
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import prefetch_related_objects

from ..models import PrintPolicy, PrintPolicyAssignment, QuotaAssignment, QuotaDefinition

CACHE_SECONDS = 300
log = logging.getLogger(__name__)


@dataclass
class Rules:
    default_policy: PrintPolicy
    default_quota: QuotaDefinition
    policy_assignments: bool
    quota_assignments: bool


def _key(org_id) -> str:
    return f"print-rules:{org_id}"


def forget(org_id) -> None:
    """Drop the cached rules of an organization (called by the services that change them): now, and again once
    the change commits, so that a release reading the old rows meanwhile cannot keep them cached."""
    def drop():
        try:
            cache.delete(_key(org_id))
        except Exception:  # noqa: BLE001 - the cache is an optimisation here
            log.warning("print rules cache unavailable", exc_info=True)

    drop()
    transaction.on_commit(drop)


def rules_for(organization) -> Rules:
    key = _key(organization.pk)
    try:
        rules = cache.get(key)
    except Exception:  # noqa: BLE001
        log.warning("print rules cache unavailable", exc_info=True)
        rules = None
    if rules is not None:
        return rules
    from .policies import default_policy
    from .quotas import default_definition

    policy = default_policy(organization)
    prefetch_related_objects([policy], "windows")
    rules = Rules(default_policy=policy, default_quota=default_definition(organization),
                  policy_assignments=PrintPolicyAssignment.objects.filter(organization=organization).exists(),
                  quota_assignments=QuotaAssignment.objects.filter(organization=organization).exists())
    try:
        cache.set(key, rules, CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        log.warning("print rules cache unavailable", exc_info=True)
    return rules
