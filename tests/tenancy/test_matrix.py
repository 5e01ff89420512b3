"""The tenancy matrix: every registered URL against every kind of caller.

Each URL either sits under an organization (`org_id` in its route) and declares the permission its view
needs, or is listed below as public / user-scoped. The expected status of each caller is derived from the
role catalog directly (not from accounts.access), so the gate is checked against an independent oracle:

- anonymous: UI → 302 to sign-in, API → 403
- a user of the organization without any role granting the permission → 403
- a user of the organization holding a role that grants it → 200 (405 for POST-only views)
- a partner administrator of the parent, through a Child Organization Access group → same as the holder
- a user of a sibling organization (administrator there) → 404
- the holder, asking for an object of another organization under their own organization's URL → 404

A URL added without a permission declaration, or with an id kwarg the matrix cannot fill, fails the test.
"""
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.choices import GroupKind
from accounts.models import Badge, Card, Dashboard, Group, UserImport
from accounts.roles import DEFAULT_ROLE, PARTNER_ADMINISTRATOR, ROLES
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from tests.conftest import make_user

PUBLIC = {"login", "logout", "password_reset", "password_reset_done", "password_reset_confirm",
          "password_reset_complete", "healthz", "api-schema", "api-docs"}
# Routes authenticated by an application's token (printers, agents, integrations) or by a one-time link, not by
# a session: their own matrix is tests/tenancy/test_device_matrix.py.
# api/client/: print clients (application token), matrix in tests/tenancy/test_client_matrix.py.
DEVICE_PREFIXES = ("api/device/", "api/agents/", "oauth/", "badge-registration/",
                   "v1.0/", "assets/", "cfm/fleetmgmt-integration-service/", "api/client/",
                   "ipp/")   # the IPP print service (HTTP Basic / print token): tests/tenancy/test_ipp_matrix.py
# Sign-in through an organization's identity provider: public by nature, protected by the protocol; their own
# matrix is tests/tenancy/test_federation_matrix.py.
FEDERATION_PREFIX = "federation/"


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            if p.name is None:
                continue
            yield (f"{namespace}:{p.name}".strip(":"), prefix + str(p.pattern), p)


ROUTES = sorted({name: (route, pattern) for name, route, pattern in _walk(get_resolver().url_patterns)}.items())


def _view_class(pattern):
    callback = pattern.callback
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def _declared_permission(pattern):
    callback = pattern.callback
    initkwargs = getattr(callback, "view_initkwargs", None) or getattr(callback, "initkwargs", None) or {}
    if "permission" in initkwargs and initkwargs["permission"]:
        return initkwargs["permission"]
    if initkwargs.get("portal"):
        from lexcloud.registry import registry

        return registry.portals[initkwargs["portal"]].permissions
    cls = _view_class(pattern)
    return getattr(cls, "permission", None) if cls else None


def _handles_get(pattern):
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions is not None:
        return "get" in actions
    cls = _view_class(pattern)
    if cls is None:
        return True
    return hasattr(cls, "get") or (hasattr(cls, "list") and not actions)


def _kwarg_names(route):
    return set(re.findall(r"<(?:\w+:)?(\w+)>", route))


@pytest.fixture
def world(partner, acme, globex):
    """Two sibling organizations under one partner, each with one object of every kind."""
    def objects(org):
        user = make_user(org, f"someone@{org.name.lower()}.test")
        group = Group.objects.filter(organization=org).first()
        imp = UserImport.objects.create(organization=org, filename="x.csv", content="")
        badge = Badge.objects.create(organization=org, user=user, badge_id=f"matrix-{org.pk}")
        from accounts.services.applications import create_application

        application, _secret = create_application(org, f"Printer of {org.name}")
        return {"user_id": user.pk, "group_id": group.pk, "import_id": imp.pk, "application_id": application.pk,
                "badge_id": badge.pk, **fleet_objects(org, user), **print_objects(org, user)}

    return {"acme": acme, "globex": globex, "partner": partner, "acme_objs": objects(acme),
            "globex_objs": objects(globex)}


def fleet_objects(org, user):
    """One Fleet Management object of every kind a fleet URL names."""
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from fleet.choices import AgentType, CriterionKind, TaskType
    from fleet.models import (
        Agent,
        DiscoveryCriterion,
        FilterGroup,
        PreEnrollment,
        Printer,
        PrinterView,
        SnmpProfile,
        Tag,
        TaskFile,
    )
    from fleet.services import tasks as task_services

    agent = Agent.objects.create(organization=org, kind=AgentType.FLEET, name=f"Agent {org.name}",
                                 device_id=f"fleet-matrix-{org.pk}")
    profile = SnmpProfile.objects.create(agent=agent, name="Default", is_default=True)
    criterion = DiscoveryCriterion.objects.create(agent=agent, kind=CriterionKind.INCLUDE, address="127.0.1.1",
                                                  profile=profile)
    printer = Printer.objects.create(organization=org, agent=agent, agent_type=AgentType.FLEET,
                                     serial=f"MATRIX-{org.pk.hex[:8]}", ip_address="127.0.1.1")
    tag = Tag.objects.create(organization=org, name="Matrix")
    view = PrinterView.objects.create(organization=org, name="Matrix view", columns=["serial"], created_by=user)
    group = FilterGroup.objects.create(organization=org, name="Matrix group", filters={"q": "x"})
    pre = PreEnrollment.objects.create(organization=org, serial=f"PRE-{org.pk.hex[:8]}")
    task = task_services.create_task(org, TaskType.REFRESH, printers=[printer])
    job = task.jobs.get()
    file = TaskFile.objects.create(job=job, organization=org, name="walk.txt", size=4,
                                   expires_at=timezone.now() + timedelta(days=7),
                                   content=ContentFile(b"walk", name="walk.txt"))
    return {"printer_id": printer.pk, "agent_id": agent.pk, "profile_id": profile.pk, "criterion_id": criterion.pk,
            "tag_id": tag.pk, "view_id": view.pk, "filter_group_id": group.pk, "pre_enrollment_id": pre.pk,
            "task_id": task.pk, "job_id": job.pk, "file_id": file.pk}


def print_objects(org, user):
    """One Print Management object of every kind a print URL names (a held job, a delegate)."""
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from printmgmt.choices import JobState
    from printmgmt.models import Delegate, PrintJob

    job = PrintJob(organization=org, owner=user, title="matrix.pdf", file_name="matrix.pdf", format="pdf",
                   state=JobState.HELD, pages=1, expires_at=timezone.now() + timedelta(days=1))
    job.original.save("matrix.pdf", ContentFile(b"%PDF-1.4 matrix"), save=False)
    job.save()
    other = make_user(org, f"delegate@{org.name.lower()}.test")
    delegate = Delegate.objects.create(organization=org, delegator=user, delegate=other)
    from printmgmt.models import PrintPolicy, PrintPolicyAssignment

    policy = PrintPolicy.objects.create(organization=org, name="Matrix policy", force_mono=True)
    policy_assignment = PrintPolicyAssignment.objects.create(organization=org, kind="personal", user=user,
                                                             policy=policy)
    from printmgmt.models import QuotaAssignment, QuotaDefinition

    quota = QuotaDefinition.objects.create(organization=org, name="Matrix quota")
    quota_assignment = QuotaAssignment.objects.create(organization=org, kind="personal", user=user, definition=quota)
    return {"print_job_id": job.pk, "delegate_id": delegate.pk, "policy_id": policy.pk,
            "policy_assignment_id": policy_assignment.pk, "quota_definition_id": quota.pk,
            "quota_assignment_id": quota_assignment.pk}


def _role_for(permission, org):
    needed = (permission,) if isinstance(permission, str) else tuple(permission)
    for role in ROLES:
        if role.code in (DEFAULT_ROLE, PARTNER_ADMINISTRATOR):
            continue
        if set(needed) & role.permissions and (role.service == "account" or role.service in org.entitlements):
            return role.code
    return None


def _default_grants(permission):
    needed = (permission,) if isinstance(permission, str) else tuple(permission)
    default = next(r for r in ROLES if r.code == DEFAULT_ROLE)
    return bool(set(needed) & default.permissions)


ORG_ROUTES = [(n, r, p) for n, (r, p) in ROUTES if "org_id" in _kwarg_names(r) and not r.startswith(FEDERATION_PREFIX)]
OTHER_ROUTES = [(n, r, p) for n, (r, p) in ROUTES if "org_id" not in _kwarg_names(r) and n not in PUBLIC
                and not r.startswith(DEVICE_PREFIXES)]


def test_every_route_is_classified():
    assert ORG_ROUTES, "no organization routes found"
    missing = [n for n, r, p in ORG_ROUTES if not _declared_permission(p)]
    assert not missing, f"organization routes without a declared permission: {missing}"


@pytest.mark.parametrize("name,route,pattern", ORG_ROUTES, ids=[n for n, _r, _p in ORG_ROUTES])
def test_organization_route(name, route, pattern, world, client):
    acme, globex, partner = world["acme"], world["globex"], world["partner"]
    permission = _declared_permission(pattern)
    names = _kwarg_names(route) - {"org_id"}
    unknown = names - set(world["acme_objs"])
    assert not unknown, f"{name}: the matrix has no object for kwargs {unknown}; add one to the world fixture"
    url = reverse(name, kwargs={"org_id": acme.pk, **{k: world["acme_objs"][k] for k in names}})
    is_api = route.startswith("api/")
    allowed = getattr(_view_class(pattern), "ok_status", 200) if _handles_get(pattern) else 405

    def get(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client.get(url).status_code

    # anonymous
    status = get(None)
    assert status == (403 if is_api else 302), f"anonymous {url}: {status}"

    # same organization, no role granting it
    plain = make_user(acme, "plain@acme.test")
    expected = allowed if _default_grants(permission) else 403
    assert get(plain) == expected, f"plain user {url}"

    # same organization, with a role granting it (none exists for Partner Administrator-only permissions)
    role = _role_for(permission, acme)
    holder = make_user(acme, "holder@acme.test", [role]) if role else None
    if holder is not None:
        assert get(holder) == allowed, f"holder ({role}) {url}"

    # partner administrator of the parent, through a Child Organization Access group holding that role
    pa = make_user(partner, "pa@partner.test")
    cag = group_services.create_group(partner, "CAG", GroupKind.CHILD_ORGANIZATION_ACCESS)
    if role:
        role_services.assign_group_roles(cag, [role])
    group_services.add_members(cag, [pa.pk])
    assert get(pa) == allowed, f"partner admin {url}"

    # a user of the sibling organization, administrator there
    sibling = make_user(globex, "sib@globex.test", [role] if role else ["organization_administrator"])
    assert get(sibling) == 404, f"sibling {url}"

    # the holder asking for another organization's objects under their own organization
    if names:
        foreign = reverse(name, kwargs={"org_id": acme.pk, **{k: world["globex_objs"][k] for k in names}})
        client.logout()
        client.force_login(holder or pa)
        assert client.get(foreign).status_code == 404, f"cross-organization ids {foreign}"


USER_OBJECTS = {"dashboard_id", "card_id"}


@pytest.mark.parametrize("name,route,pattern", OTHER_ROUTES, ids=[n for n, _r, _p in OTHER_ROUTES])
def test_user_scoped_route(name, route, pattern, acme, client):
    """Routes outside organizations belong to the signed-in user: anonymous is refused, another user's
    objects answer 404."""
    names = _kwarg_names(route)
    unknown = names - USER_OBJECTS
    assert not unknown, f"{name}: unclassified kwargs {unknown}: put the route under an organization or extend the matrix"
    owner, other = make_user(acme, "owner@acme.test"), make_user(acme, "other@acme.test")

    def objects_of(user):
        dashboard = Dashboard.objects.create(user=user, name=f"D {user.pk}", is_default=False)
        card = Card.objects.create(dashboard=dashboard, card_type="my_account", name="Me")
        return {"dashboard_id": dashboard.pk, "card_id": card.pk}

    mine, theirs = objects_of(owner), objects_of(other)
    url = reverse(name, kwargs={k: mine[k] for k in names})
    is_api = route.startswith("api/")
    client.logout()
    status = client.get(url).status_code
    assert status == (403 if is_api else 302), f"anonymous {url}: {status}"
    client.force_login(owner)
    status = client.get(url).status_code
    assert status in ((200, 302) if _handles_get(pattern) else (405,)), f"owner {url}: {status}"
    if names:
        foreign = reverse(name, kwargs={k: theirs[k] for k in names})
        assert client.get(foreign).status_code == 404, f"another user's objects {foreign}"


@pytest.mark.parametrize("name,route,pattern", ORG_ROUTES, ids=[n for n, _r, _p in ORG_ROUTES])
def test_organization_route_refuses_writes_from_outside(name, route, pattern, world, client):
    """Writes pass the same gate before any handler runs: POST, PATCH and DELETE from anonymous callers,
    members without the role, Help Desk (who may view everything) and other organizations' administrators
    are refused."""
    acme, globex = world["acme"], world["globex"]
    permission = _declared_permission(pattern)
    names = _kwarg_names(route) - {"org_id"}
    url = reverse(name, kwargs={"org_id": acme.pk, **{k: world["acme_objs"][k] for k in names}})
    is_api = route.startswith("api/")
    plain = make_user(acme, "plain@acme.test")
    viewer = make_user(acme, "viewer@acme.test", ["help_desk"])  # may look at everything, change nothing
    sibling = make_user(globex, "sib@globex.test", ["organization_administrator"])
    for method in ("post", "patch", "delete"):
        client.logout()
        status = getattr(client, method)(url, {}, content_type="application/json").status_code
        assert status == (403 if is_api else 302), f"anonymous {method.upper()} {url}: {status}"
        client.force_login(sibling)
        status = getattr(client, method)(url, {}, content_type="application/json").status_code
        assert status == 404, f"sibling {method.upper()} {url}: {status}"
        if not _default_grants(permission):
            client.force_login(plain)
            status = getattr(client, method)(url, {}, content_type="application/json").status_code
            assert status == 403, f"plain member {method.upper()} {url}: {status}"
        client.force_login(viewer)
        status = getattr(client, method)(url, {}, content_type="application/json").status_code
        assert status in (403, 405), f"Help Desk {method.upper()} {url}: {status}"
