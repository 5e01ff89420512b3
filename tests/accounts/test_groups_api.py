"""Groups API: groups, members and group roles; other organizations' ids answer 404."""
import pytest
from rest_framework.test import APIClient

from accounts.choices import GroupKind
from accounts.models import Group, User
from accounts.services import groups as group_services


@pytest.fixture
def api(org_admin):
    client = APIClient()
    client.force_login(org_admin)
    return client


def groups_url(org, *rest):
    return f"/api/v1/organizations/{org.pk}/groups/" + "".join(f"{part}/" for part in rest)


def rows(body):
    return body["results"] if isinstance(body, dict) and "results" in body else body


def test_group_crud(api, acme):
    response = api.post(groups_url(acme), {"name": "Printers"}, format="json")
    assert response.status_code == 201 and response.json()["members_count"] == 0
    pk = response.json()["id"]
    assert "Printers" in [g["name"] for g in rows(api.get(groups_url(acme)).json())]
    assert api.patch(groups_url(acme, pk), {"name": "Scanners"}, format="json").json()["name"] == "Scanners"
    assert api.patch(groups_url(acme, pk), {"name": "admin"}, format="json").status_code == 400
    assert api.delete(groups_url(acme, pk)).status_code == 204
    assert not Group.objects.filter(pk=pk).exists()


def test_duplicate_group_name_answers_400_with_message(api, acme):
    response = api.post(groups_url(acme), {"name": "Admin"}, format="json")
    assert response.status_code == 400 and response.json() == {"name": ["Type a unique group name."]}


def test_members_add_list_remove(api, acme, member, globex_admin):
    group = group_services.create_group(acme, "Printers")
    response = api.post(groups_url(acme, group.pk, "members"), {"user_ids": [member.pk]}, format="json")
    assert [u["email"] for u in rows(response.json())] == ["member@acme.test"]
    bad = api.post(groups_url(acme, group.pk, "members"), {"user_ids": [globex_admin.pk]}, format="json")
    assert bad.status_code == 400
    response = api.delete(groups_url(acme, group.pk, "members"), {"user_ids": [member.pk]}, format="json")
    assert rows(response.json()) == []
    assert User.objects.filter(pk=member.pk).exists()


def test_group_roles_assign_and_remove(api, acme):
    group = group_services.create_group(acme, "Printers")
    response = api.post(groups_url(acme, group.pk, "roles"), {"roles": ["scan_management_user"]}, format="json")
    assert [r["code"] for r in response.json()] == ["scan_management_user"]
    response = api.delete(groups_url(acme, group.pk, "roles"), {"roles": ["scan_management_user"]}, format="json")
    assert response.json() == []


def test_partner_administrator_cannot_be_removed_from_a_child_access_group(partner, partner_admin):
    from tests.conftest import make_user

    client = APIClient()
    client.force_login(make_user(partner, "oa@partner.test", ["organization_administrator"]))
    cag = Group.objects.get(organization=partner, kind=GroupKind.CHILD_ORGANIZATION_ACCESS)
    roles = client.get(groups_url(partner, cag.pk, "roles")).json()
    assert {r["code"]: r["locked"] for r in roles}["partner_administrator"] is True
    response = client.delete(groups_url(partner, cag.pk, "roles"), {"roles": ["partner_administrator"]},
                             format="json")
    assert response.status_code == 400
    assert "You cannot delete the Partner Administrator role" in str(response.json())


def test_group_ids_of_another_organization_answer_404(api, acme, globex):
    other = Group.objects.get(organization=globex, name="Admin")
    for path in ((other.pk,), (other.pk, "members"), (other.pk, "roles")):
        assert api.get(groups_url(acme, *path)).status_code == 404
    assert api.delete(groups_url(acme, other.pk)).status_code == 404
    assert api.get(groups_url(globex)).status_code == 404
    assert Group.objects.filter(pk=other.pk).exists()


def test_help_desk_reads_groups_but_cannot_write(acme):
    from tests.conftest import make_user

    client = APIClient()
    client.force_login(make_user(acme, "hd@acme.test", ["help_desk"]))
    assert client.get(groups_url(acme)).status_code == 200
    assert client.post(groups_url(acme), {"name": "X"}, format="json").status_code == 403


def test_group_list_api_query_count_does_not_grow(api, acme, member, django_assert_max_num_queries):
    api.get(groups_url(acme))
    with django_assert_max_num_queries(15) as few:
        api.get(groups_url(acme))
    for i in range(10):
        group_services.add_members(group_services.create_group(acme, f"Team {i}"), [member.pk])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(rows(api.get(groups_url(acme)).json())) == 15
