"""Organizations API: visible organizations, child create/delete, organization roles."""
import pytest
from rest_framework.test import APIClient

from accounts.choices import OrganizationStatus
from accounts.models import Organization, RoleAssignment, User
from accounts.services import roles as role_services
from tests.conftest import make_user


@pytest.fixture
def api():
    return APIClient()


def base(org):
    return f"/api/v1/organizations/{org.pk}/"


def test_organization_list_holds_the_callers_organization_and_reached_children(api, partner_admin, partner, acme,
                                                                              globex):
    api.force_login(partner_admin)
    names = [o["name"] for o in api.get("/api/v1/organizations/").json()]
    assert names == ["Demo Partner", "Acme", "Globex"]


def test_a_customer_administrator_lists_only_their_organization(api, org_admin, acme, globex):
    api.force_login(org_admin)
    assert [o["name"] for o in api.get("/api/v1/organizations/").json()] == ["Acme"]


def test_partner_administrator_creates_a_child_through_the_api(api, partner_admin, partner):
    api.force_login(partner_admin)
    response = api.post("/api/v1/organizations/", {"name": "Initech", "parent": str(partner.pk)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["parent"] == str(partner.pk)
    assert Organization.objects.get(name="Initech").parent == partner


def test_creating_a_child_without_partner_administrator_is_forbidden(api, partner):
    admin = make_user(partner, "oa@partner.test", ["organization_administrator"])
    api.force_login(admin)
    response = api.post("/api/v1/organizations/", {"name": "Nope", "parent": str(partner.pk)}, format="json")
    assert response.status_code == 403


def test_creating_a_child_under_an_unseen_organization_answers_404(api, globex_admin, partner):
    api.force_login(globex_admin)
    response = api.post("/api/v1/organizations/", {"name": "Nope", "parent": str(partner.pk)}, format="json")
    assert response.status_code == 404


def test_child_name_errors_answer_400_with_the_message(api, partner_admin, partner, acme):
    api.force_login(partner_admin)
    response = api.post(base(partner) + "children/", {"name": "Acme"}, format="json")
    assert response.status_code == 400 and response.json() == {"name": ["Type a unique organization name."]}
    response = api.post(base(partner) + "children/", {"name": "A*B"}, format="json")
    assert response.json() == {"name": ["Special characters are not supported."]}


def test_children_endpoint_lists_children_with_users_count(api, partner_admin, partner, acme, member):
    api.force_login(partner_admin)
    body = api.get(base(partner) + "children/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [(r["name"], r["users_count"]) for r in rows] == [("Acme", 1)]


def test_organization_detail_shows_counts(api, org_admin, acme):
    api.force_login(org_admin)
    body = api.get(base(acme)).json()
    assert body["id"] == str(acme.pk) and body["parent_name"] == "Demo Partner"
    assert body["users_count"] == 1 and body["groups_count"] == 5


def test_sibling_organization_answers_404(api, globex_admin, acme):
    api.force_login(globex_admin)
    for path in ("", "children/", "organization-roles/"):
        assert api.get(base(acme) + path).status_code == 404
    assert api.delete(base(acme), {"confirm_name": "Acme"}, format="json").status_code == 404


def test_delete_child_through_the_api(api, partner_admin, acme, member, django_capture_on_commit_callbacks):
    api.force_login(partner_admin)
    assert api.delete(base(acme), {"confirm_name": "ACME"}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(base(acme), {"confirm_name": "Acme"}, format="json")
    assert response.status_code == 202 and response.json()["status"] == OrganizationStatus.PENDING_DELETION
    assert not Organization.objects.filter(pk=acme.pk).exists()
    assert not User.objects.filter(pk=member.pk).exists()


def test_a_customer_administrator_cannot_delete_their_own_organization(api, org_admin, acme):
    api.force_login(org_admin)
    assert api.delete(base(acme), {"confirm_name": "Acme"}, format="json").status_code == 403
    assert Organization.objects.get(pk=acme.pk).status == OrganizationStatus.ACTIVE


def test_organization_roles_assign_list_and_remove(api, org_admin, acme):
    api.force_login(org_admin)
    response = api.post(base(acme) + "organization-roles/", {"roles": ["print_release_management_user"]},
                        format="json")
    assert response.status_code == 200
    assert [r["code"] for r in api.get(base(acme) + "organization-roles/").json()] == ["print_release_management_user"]
    response = api.delete(base(acme) + "organization-roles/", {"roles": ["print_release_management_user"]},
                          format="json")
    assert response.json() == []


def test_organization_role_errors_answer_400(api, org_admin, acme):
    api.force_login(org_admin)
    response = api.post(base(acme) + "organization-roles/", {"roles": ["partner_administrator"]}, format="json")
    assert response.status_code == 400 and "Partner Administrator" in str(response.json())
    assert api.post(base(acme) + "organization-roles/", {"roles": ["nope"]}, format="json").status_code == 400
    assert not RoleAssignment.objects.filter(organization=acme, user=None, group=None).exists()


def test_user_administrator_cannot_change_organization_roles(api, acme):
    role_services.assign_organization_roles(acme, ["scan_management_user"])
    api.force_login(make_user(acme, "ua@acme.test", ["user_administrator"]))
    assert api.get(base(acme) + "organization-roles/").status_code == 200
    response = api.delete(base(acme) + "organization-roles/", {"roles": ["scan_management_user"]}, format="json")
    assert response.status_code == 403
