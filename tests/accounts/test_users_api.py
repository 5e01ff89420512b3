"""Users API under /api/v1/organizations/{org_id}/users/ and /api/v1/me/."""
import pytest
from django.core import mail
from django.urls import include, path
from rest_framework.test import APIClient

from accounts.api.users import me_urlpatterns
from accounts.models import RoleAssignment, User
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from tests.conftest import make_user

# /api/v1/me/ is included at the top level by accounts/api/urls.py; until then this module serves as the
# URLconf for the tests that need it (@pytest.mark.urls(__name__)).
urlpatterns = [path("api/v1/", include(me_urlpatterns)), path("", include("lexcloud.urls"))]


def api(org, suffix=""):
    return f"/api/v1/organizations/{org.pk}/users/{suffix}"


@pytest.fixture
def admin_api(org_admin):
    client = APIClient()
    client.force_authenticate(org_admin)
    return client


@pytest.fixture
def helpdesk_api(acme):
    client = APIClient()
    client.force_authenticate(make_user(acme, "help@acme.test", ["help_desk"]))
    return client


# --- list -----------------------------------------------------------------------------------------------

def test_list_returns_the_organizations_users_only(admin_api, acme, member, globex_admin):
    response = admin_api.get(api(acme))
    assert response.status_code == 200
    assert response.data["count"] == 2
    assert [u["email"] for u in response.data["results"]] == ["admin@acme.test", "member@acme.test"]
    first = response.data["results"][0]
    assert set(first) == {"id", "email", "first_name", "last_name", "display_name", "shortname", "department",
                          "cost_center", "custom_attributes", "last_login", "date_joined", "groups"}


def test_list_searches_and_orders(admin_api, acme, member):
    make_user(acme, "zed@acme.test", first_name="Zed", display_name="Captain")
    assert [u["email"] for u in admin_api.get(api(acme), {"search": "captain"}).data["results"]] == ["zed@acme.test"]
    ordered = admin_api.get(api(acme), {"ordering": "-email"}).data["results"]
    assert [u["email"] for u in ordered] == ["zed@acme.test", "member@acme.test", "admin@acme.test"]


def test_list_paginates(admin_api, acme):
    User.objects.bulk_create([User(email=f"u{i:03}@acme.test", organization=acme) for i in range(60)])
    page = admin_api.get(api(acme)).data
    assert page["count"] == 61 and len(page["results"]) == 50 and page["next"]


def test_list_shows_group_names(admin_api, acme, member):
    group = group_services.create_group(acme, "Printers")
    group_services.add_members(group, [member.pk])
    users = {u["email"]: u for u in admin_api.get(api(acme)).data["results"]}
    assert users["member@acme.test"]["groups"] == ["Printers"]


@pytest.mark.parametrize("rows", [10, 40])
def test_list_query_count_does_not_grow_with_rows(admin_api, acme, rows, django_assert_max_num_queries):
    users = User.objects.bulk_create([User(email=f"u{i:03}@acme.test", organization=acme) for i in range(rows)])
    group = group_services.create_group(acme, "Everyone")
    group_services.add_members(group, [u.pk for u in User.objects.filter(organization=acme)])
    assert users
    with django_assert_max_num_queries(8):
        assert admin_api.get(api(acme)).status_code == 200


def test_list_of_a_sibling_organization_is_not_found(globex_admin, acme):
    client = APIClient()
    client.force_authenticate(globex_admin)
    assert client.get(api(acme)).status_code == 404


def test_list_needs_users_view(member, acme):
    client = APIClient()
    client.force_authenticate(member)
    assert client.get(api(acme)).status_code == 403


def test_anonymous_is_refused(acme):
    assert APIClient().get(api(acme)).status_code == 403


# --- create ---------------------------------------------------------------------------------------------

def test_create_with_link_sends_the_email(admin_api, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(api(acme), {"email": "New@Acme.test", "first_name": "New",
                                              "custom_attributes": {"floor": "3"}}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["email"] == "new@acme.test" and "password" not in response.data
    user = User.objects.get(email="new@acme.test")
    assert user.organization == acme and user.custom_attributes == {"floor": "3"}
    assert [m.to for m in mail.outbox] == [["new@acme.test"]]


def test_create_with_password_sends_no_email(admin_api, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(api(acme), {"email": "p@acme.test", "password": "Abcdef1!"}, format="json")
    assert response.status_code == 201
    assert User.objects.get(email="p@acme.test").check_password("Abcdef1!")
    assert mail.outbox == []


def test_create_without_link_sends_no_email(admin_api, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(api(acme), {"email": "q@acme.test", "send_password_link": False}, format="json")
    assert User.objects.filter(email="q@acme.test").exists() and mail.outbox == []


def test_create_with_a_taken_email_answers_400(admin_api, acme, globex_admin):
    response = admin_api.post(api(acme), {"email": "ADMIN@globex.test"}, format="json")
    assert response.status_code == 400
    assert response.data["email"] == ["E-mail must be unique."]


def test_create_with_an_invalid_email_answers_400(admin_api, acme):
    response = admin_api.post(api(acme), {"email": "not-an-email"}, format="json")
    assert response.status_code == 400 and "email" in response.data


def test_create_with_a_weak_password_lists_each_failed_rule(admin_api, acme):
    response = admin_api.post(api(acme), {"email": "w@acme.test", "password": "abcdefgh"}, format="json")
    assert response.status_code == 400
    assert len(response.data["password"]) == 3
    assert any("uppercase" in str(m) for m in response.data["password"])
    assert not User.objects.filter(email="w@acme.test").exists()


def test_create_needs_users_manage(helpdesk_api, acme):
    assert helpdesk_api.post(api(acme), {"email": "x@acme.test"}, format="json").status_code == 403
    assert not User.objects.filter(email="x@acme.test").exists()


# --- detail / update / delete ---------------------------------------------------------------------------

def test_get_patch_and_delete_a_user(admin_api, acme, member):
    assert admin_api.get(api(acme, f"{member.pk}/")).data["email"] == "member@acme.test"
    response = admin_api.patch(api(acme, f"{member.pk}/"), {"department": "Ops", "email": "MIA@acme.test"},
                               format="json")
    assert response.status_code == 200 and response.data["department"] == "Ops"
    member.refresh_from_db()
    assert (member.department, member.email) == ("Ops", "mia@acme.test")
    assert admin_api.delete(api(acme, f"{member.pk}/")).status_code == 204
    assert not User.objects.filter(pk=member.pk).exists()


def test_put_is_not_offered(admin_api, acme, member):
    assert admin_api.put(api(acme, f"{member.pk}/"), {"email": "x@acme.test"}, format="json").status_code == 405


def test_patch_to_a_taken_email_answers_400(admin_api, acme, member):
    response = admin_api.patch(api(acme, f"{member.pk}/"), {"email": "admin@acme.test"}, format="json")
    assert response.status_code == 400 and response.data["email"] == ["E-mail must be unique."]


def test_patch_cannot_set_a_password(admin_api, acme, member):
    response = admin_api.patch(api(acme, f"{member.pk}/"), {"password": "Abcdef1!"}, format="json")
    assert response.status_code == 400 and "password" in response.data


def test_deleting_your_own_account_answers_400(admin_api, acme, org_admin):
    response = admin_api.delete(api(acme, f"{org_admin.pk}/"))
    assert response.status_code == 400
    assert "You cannot delete your own account." in str(response.data)
    assert User.objects.filter(pk=org_admin.pk).exists()


def test_another_organizations_user_is_not_found(admin_api, acme, globex_admin):
    for call in (admin_api.get, admin_api.patch, admin_api.delete):
        assert call(api(acme, f"{globex_admin.pk}/")).status_code == 404
    assert admin_api.get(api(acme, f"{globex_admin.pk}/roles/")).status_code == 404
    assert User.objects.filter(pk=globex_admin.pk).exists()


def test_helpdesk_reads_but_cannot_change(helpdesk_api, acme, member):
    assert helpdesk_api.get(api(acme, f"{member.pk}/")).status_code == 200
    assert helpdesk_api.patch(api(acme, f"{member.pk}/"), {"department": "X"}, format="json").status_code == 403
    assert helpdesk_api.delete(api(acme, f"{member.pk}/")).status_code == 403


# --- bulk delete ----------------------------------------------------------------------------------------

def test_bulk_delete_deletes_this_organizations_users_and_ignores_others(admin_api, acme, member, globex_admin):
    other = make_user(acme, "other@acme.test")
    response = admin_api.post(api(acme, "bulk-delete/"), {"ids": [member.pk, other.pk, globex_admin.pk]},
                              format="json")
    assert response.status_code == 200 and response.data == {"deleted": 2}
    assert User.objects.filter(pk=globex_admin.pk).exists()


def test_bulk_delete_refuses_your_own_account(admin_api, acme, org_admin, member):
    response = admin_api.post(api(acme, "bulk-delete/"), {"ids": [org_admin.pk, member.pk]}, format="json")
    assert response.status_code == 400
    assert User.objects.filter(pk__in=[org_admin.pk, member.pk]).count() == 2


def test_bulk_delete_without_ids_answers_400(admin_api, acme):
    assert admin_api.post(api(acme, "bulk-delete/"), {"ids": []}, format="json").status_code == 400
    assert admin_api.post(api(acme, "bulk-delete/"), {}, format="json").status_code == 400


def test_bulk_delete_needs_users_manage(helpdesk_api, acme, member):
    assert helpdesk_api.post(api(acme, "bulk-delete/"), {"ids": [member.pk]}, format="json").status_code == 403
    assert User.objects.filter(pk=member.pk).exists()


# --- roles ----------------------------------------------------------------------------------------------

def test_roles_get_lists_effective_roles_by_source(admin_api, acme, member):
    group = group_services.create_group(acme, "Printers")
    group_services.add_members(group, [member.pk])
    role_services.assign_group_roles(group, ["fleet_management_viewer"])
    role_services.assign_user_roles(member, ["help_desk"])
    role_services.assign_organization_roles(acme, ["print_release_management_user"])
    data = admin_api.get(api(acme, f"{member.pk}/roles/")).data
    assert data["user"] == ["help_desk"]
    assert data["group"] == ["fleet_management_viewer"]
    assert data["organization"] == ["print_release_management_user"]
    assert "user" in data["all"]


def test_roles_post_assigns_and_delete_removes(admin_api, acme, member):
    response = admin_api.post(api(acme, f"{member.pk}/roles/"), {"roles": ["help_desk", "scan_management_user"]},
                              format="json")
    assert response.status_code == 200 and response.data["user"] == ["help_desk", "scan_management_user"]
    response = admin_api.delete(api(acme, f"{member.pk}/roles/"), {"roles": ["help_desk"]}, format="json")
    assert response.status_code == 200 and response.data["user"] == ["scan_management_user"]
    response = admin_api.delete(api(acme, f"{member.pk}/roles/") + "?role=scan_management_user")
    assert response.data["user"] == []
    assert not RoleAssignment.objects.filter(user=member).exists()


def test_roles_post_unknown_role_answers_400(admin_api, acme, member):
    response = admin_api.post(api(acme, f"{member.pk}/roles/"), {"roles": ["emperor"]}, format="json")
    assert response.status_code == 400 and "Unknown roles: emperor." in str(response.data["roles"])


def test_roles_post_partner_administrator_outside_child_access_group_answers_400(admin_api, acme, member):
    response = admin_api.post(api(acme, f"{member.pk}/roles/"), {"roles": ["partner_administrator"]}, format="json")
    assert response.status_code == 400 and "Child Organization Access Group" in str(response.data)


def test_roles_post_without_roles_answers_400(admin_api, acme, member):
    assert admin_api.post(api(acme, f"{member.pk}/roles/"), {}, format="json").status_code == 400
    assert admin_api.delete(api(acme, f"{member.pk}/roles/"), {}, format="json").status_code == 400


def test_roles_changes_need_users_manage(helpdesk_api, acme, member):
    assert helpdesk_api.get(api(acme, f"{member.pk}/roles/")).status_code == 200
    assert helpdesk_api.post(api(acme, f"{member.pk}/roles/"), {"roles": ["help_desk"]},
                             format="json").status_code == 403


def test_roles_of_another_organizations_user_cannot_change(admin_api, acme, globex_admin):
    assert admin_api.post(api(acme, f"{globex_admin.pk}/roles/"), {"roles": ["help_desk"]},
                          format="json").status_code == 404
    assert admin_api.delete(api(acme, f"{globex_admin.pk}/roles/") + "?role=organization_administrator").status_code == 404
    assert RoleAssignment.objects.filter(user=globex_admin, role="organization_administrator").exists()


# --- me -------------------------------------------------------------------------------------------------

@pytest.mark.urls(__name__)
def test_me_returns_the_signed_in_user_with_roles(member, acme):
    role_services.assign_user_roles(member, ["scan_management_user"])
    client = APIClient()
    client.force_authenticate(member)
    data = client.get("/api/v1/me/").data
    assert data["email"] == "member@acme.test"
    assert data["organization"] == str(acme.pk)
    assert data["roles"]["user"] == ["scan_management_user"]


@pytest.mark.urls(__name__)
def test_me_needs_sign_in(db):
    assert APIClient().get("/api/v1/me/").status_code == 403


def test_fast_user_representation_matches_the_declared_fields(org_admin, member, acme):
    """UserSerializer builds its JSON by hand for speed: it must equal what DRF's declared fields give."""
    from rest_framework import serializers

    from accounts.api.users import UserSerializer
    from accounts.services import groups as group_services

    group_services.add_members(group_services.create_group(acme, "Team"), [member.pk])
    member.last_login = member.date_joined
    member.custom_attributes = {"key1": "value1"}
    member.save()
    fast = UserSerializer(member).data
    slow = serializers.ModelSerializer.to_representation(UserSerializer(member), member)
    assert fast == dict(slow)
    assert set(fast) == {f for f in UserSerializer.Meta.fields if f not in ("password", "send_password_link")}
