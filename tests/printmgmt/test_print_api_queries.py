"""Query counts of the Print Management lists that grow with the organization (quota definitions, quota and
policy assignments, User Quota Status, the printer's release list): the same number of queries for a few rows
as for many, so that a relation read per row (N+1) fails here."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from printmgmt.choices import AssignmentType
from printmgmt.services import policies, quotas
from printmgmt.services.org_settings import update_settings
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
LIMITS = {0: {"total": "custom", "total_limit": 100}}


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.content
    return len(captured)


def _same_for_more(call, grow) -> None:
    call()                       # caches warmed, Default Quota / Default Print Policy created
    few = _queries(call)
    grow()
    assert _queries(call) == few


@pytest.fixture
def admin_api(client, acme, ada):
    update_settings(acme, quotas_enabled=True, policies_enabled=True)
    client.force_login(ada)

    def get(name):
        return lambda: client.get(reverse(name, kwargs={"org_id": acme.pk}))

    return get


def test_quota_definitions_with_and_without_assignments(admin_api, acme, pam):
    """Definitions nobody is assigned to (assignment_count 0) are not counted again one by one."""
    first = quotas.create_definition(acme, "Q0", limits=LIMITS)
    quotas.assign_quota(acme, AssignmentType.PERSONAL, pam.email, first)

    def grow():
        for i in range(1, 6):
            quotas.create_definition(acme, f"Q{i}", limits=LIMITS)

    _same_for_more(admin_api("api-print-quota-definitions"), grow)


def test_quota_assignments_and_status(admin_api, acme):
    definition = quotas.create_definition(acme, "Q", limits=LIMITS)
    users = iter(make_user(acme, f"u{i}@acme.test", ["print_release_management_user"]) for i in range(6))
    quotas.assign_quota(acme, AssignmentType.PERSONAL, next(users).email, definition)

    def grow():
        for user in users:
            quotas.assign_quota(acme, AssignmentType.PERSONAL, user.email, definition)

    _same_for_more(admin_api("api-print-quota-assignments"), grow)
    _same_for_more(admin_api("api-print-quota-status"),
                   lambda: [make_user(acme, f"v{i}@acme.test") for i in range(4)])


def test_policies_and_policy_assignments(admin_api, acme):
    policy = policies.create_policy(acme, name="P0", force_mono=True)
    users = [make_user(acme, f"u{i}@acme.test", ["print_release_management_user"]) for i in range(6)]
    policies.assign_policy(acme, policy, AssignmentType.PERSONAL, [users[0].email])

    def grow():
        for i in range(1, 5):
            policies.create_policy(acme, name=f"P{i}", limit_times=True, days="all", start="08:00", end="18:00")
        policies.assign_policy(acme, policy, AssignmentType.PERSONAL, [u.email for u in users[1:]])

    _same_for_more(admin_api("api-print-policies"), grow)
    _same_for_more(admin_api("api-print-policy-assignments"),
                   lambda: policies.assign_policy(acme, policy, AssignmentType.PERSONAL,
                                                  [make_user(acme, f"w{i}@acme.test").email for i in range(3)]))


@pytest.mark.parametrize("name", ["printmgmt:quota-definitions", "printmgmt:quota-assignments",
                                  "printmgmt:quota-status", "printmgmt:policies", "printmgmt:policy-assignments"])
def test_administration_pages(admin_api, acme, name):
    definition = quotas.create_definition(acme, "Q", limits=LIMITS)
    policy = policies.create_policy(acme, name="P", force_mono=True)
    counter = iter(range(100))

    def grow():
        for _ in range(4):
            i = next(counter)
            user = make_user(acme, f"g{i}@acme.test", ["print_release_management_user"], cost_center=f"CC{i}")
            quotas.assign_quota(acme, AssignmentType.PERSONAL, user.email, definition)
            quotas.create_definition(acme, f"Q{i}", limits=LIMITS)
            policies.create_policy(acme, name=f"P{i}", limit_times=True, days="weekdays", start="08:00", end="18:00")
            policies.assign_policy(acme, policy, AssignmentType.PERSONAL, [user.email])

    grow()
    _same_for_more(admin_api(name), grow)


def test_the_printers_release_list(client, acme, pam, dan, submit):
    """Own and delegated jobs (owners read with the jobs), and the Print Clients page's tokens."""
    from accounts.services.device_sessions import issue_session
    from printmgmt.services import print_tokens
    from printmgmt.services.delegates import add_delegate
    from tests.accounts.test_device_api_fixtures import access_token, printer_of

    from .documents import pdf_bytes, upload

    update_settings(acme, delegation=True)
    add_delegate(pam, dan)
    app = printer_of(acme, "Lobby")
    headers = {"Authorization": f"Bearer {access_token(app)}", "X-Session-Token": issue_session(dan, app)[0]}
    counter = iter(range(100))

    def grow():
        for owner in (pam, dan, pam):
            submit(acme, owner, upload(f"d{next(counter)}.pdf", pdf_bytes(1)), source="email")
            print_tokens.create_token(owner, f"T{next(counter)}")

    grow()
    _same_for_more(lambda: client.get(reverse("device-print:jobs"), headers=headers), grow)
    client.force_login(pam)
    _same_for_more(lambda: client.get(reverse("printmgmt:clients", kwargs={"org_id": acme.pk})), grow)
