"""Dashboards API: the caller's own dashboards and cards; limits answer 400; other users' ids answer 404."""
import pytest
from rest_framework.test import APIClient

from accounts.models import Card, Dashboard
from accounts.services import dashboards as services
from accounts.services.organizations import create_organization


@pytest.fixture
def api():
    def login(user):
        client = APIClient()
        client.force_authenticate(user)
        return client
    return login


def test_listing_dashboards_creates_the_default_one(api, member):
    response = api(member).get("/api/v1/dashboards/")
    assert response.status_code == 200
    names = [row["name"] for row in response.json()["results"]]
    assert names == ["My Dashboard"]
    assert response.json()["results"][0]["is_default"] is True


def test_create_rename_change_columns_and_set_default(api, member):
    client = api(member)
    services.ensure_default_dashboard(member)
    response = client.post("/api/v1/dashboards/", {"name": "Fleet"}, format="json")
    assert response.status_code == 201
    dashboard_id = response.json()["id"]
    response = client.patch(f"/api/v1/dashboards/{dashboard_id}/", {"name": "Printers", "columns": 2,
                                                                     "is_default": True}, format="json")
    assert response.status_code == 200
    assert response.json() | {"created_at": None} == {"id": dashboard_id, "name": "Printers", "columns": 2,
                                                       "is_default": True, "created_at": None}
    assert Dashboard.objects.filter(user=member, is_default=True).get().pk == dashboard_id


def test_columns_outside_one_to_four_answer_400(api, member):
    dashboard = services.ensure_default_dashboard(member)
    response = api(member).patch(f"/api/v1/dashboards/{dashboard.pk}/", {"columns": 5}, format="json")
    assert response.status_code == 400


def test_the_eleventh_dashboard_answers_400_with_the_message(api, member):
    services.ensure_default_dashboard(member)
    for i in range(9):
        services.create_dashboard(member, f"Board {i}")
    response = api(member).post("/api/v1/dashboards/", {"name": "Board 10"}, format="json")
    assert response.status_code == 400
    assert "You can create up to 10 dashboards" in response.json()["detail"]


def test_a_duplicate_dashboard_name_answers_400(api, member):
    services.ensure_default_dashboard(member)
    response = api(member).post("/api/v1/dashboards/", {"name": "My Dashboard"}, format="json")
    assert response.status_code == 400 and "Type a unique dashboard name" in response.json()["detail"]


def test_deleting_the_default_dashboard_answers_400(api, member):
    dashboard = services.ensure_default_dashboard(member)
    response = api(member).delete(f"/api/v1/dashboards/{dashboard.pk}/")
    assert response.status_code == 400
    assert response.json()["detail"] == ["You cannot delete a dashboard that is set as default."]
    other = services.create_dashboard(member, "Other")
    assert api(member).delete(f"/api/v1/dashboards/{other.pk}/").status_code == 204


def test_the_twenty_fifth_card_answers_400(api, member):
    dashboard = services.ensure_default_dashboard(member)
    while dashboard.cards.count() < 24:
        services.add_card(dashboard, "account.my_account", "")
    response = api(member).post(f"/api/v1/dashboards/{dashboard.pk}/cards/", {"card_type": "account.my_account"},
                                format="json")
    assert response.status_code == 400 and "You can add up to 24 cards" in response.json()["detail"]


def test_cards_can_be_added_renamed_hidden_moved_and_deleted(api, org_admin):
    dashboard = services.ensure_default_dashboard(org_admin)
    client = api(org_admin)
    base = f"/api/v1/dashboards/{dashboard.pk}/cards/"
    response = client.post(base, {"card_type": "account.users", "name": "People"}, format="json")
    assert response.status_code == 201
    card_id = response.json()["id"]
    assert response.json()["organization"] == str(org_admin.organization_id)
    response = client.patch(f"{base}{card_id}/", {"name": "Staff", "hidden": True, "position": 0}, format="json")
    assert response.status_code == 200
    card = Card.objects.get(pk=card_id)
    assert (card.name, card.hidden, card.position) == ("Staff", True, 0)
    listed = client.get(base).json()
    assert [row["id"] for row in listed][0] == card_id
    assert [row["position"] for row in listed] == list(range(len(listed)))
    assert client.patch(f"{base}{card_id}/", {"card_type": "account.groups"}, format="json").status_code == 400
    assert client.delete(f"{base}{card_id}/").status_code == 204
    assert not Card.objects.filter(pk=card_id).exists()


def test_a_member_cannot_add_a_users_card_through_the_api(api, member):
    dashboard = services.ensure_default_dashboard(member)
    response = api(member).post(f"/api/v1/dashboards/{dashboard.pk}/cards/", {"card_type": "account.users"},
                                format="json")
    assert response.status_code == 400


def test_card_types_list_what_the_caller_may_add_with_organizations(api, member, partner_admin, acme):
    mine = api(member).get("/api/v1/card-types/").json()
    assert [row["key"] for row in mine] == ["account.my_account"]
    assert [org["id"] for org in mine[0]["organizations"]] == [str(member.organization_id)]
    theirs = {row["key"]: row for row in api(partner_admin).get("/api/v1/card-types/").json()}
    assert str(acme.pk) in [org["id"] for org in theirs["account.users"]["organizations"]]
    # Child Organizations only where the organization is a partner.
    assert [org["id"] for org in theirs["account.children"]["organizations"]] == [str(partner_admin.organization_id)]


def test_a_partner_administrator_adds_a_card_for_a_child_organization(api, partner_admin, acme):
    dashboard = services.ensure_default_dashboard(partner_admin)
    client = api(partner_admin)
    response = client.post(f"/api/v1/dashboards/{dashboard.pk}/cards/",
                           {"card_type": "account.users", "organization": str(acme.pk)}, format="json")
    assert response.status_code == 201 and response.json()["organization_name"] == "Acme"
    # An organization outside the partner's tree is refused.
    other = create_organization("Initech")
    response = client.post(f"/api/v1/dashboards/{dashboard.pk}/cards/",
                           {"card_type": "account.users", "organization": str(other.pk)}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Select an organization you manage."


def test_another_users_dashboards_and_cards_answer_404(api, member, org_admin):
    theirs = services.ensure_default_dashboard(org_admin)
    their_card = theirs.cards.first()
    mine = services.ensure_default_dashboard(member)
    client = api(member)
    assert [row["id"] for row in client.get("/api/v1/dashboards/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/dashboards/{theirs.pk}/").status_code == 404
    assert client.patch(f"/api/v1/dashboards/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/dashboards/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/dashboards/{theirs.pk}/cards/").status_code == 404
    assert client.post(f"/api/v1/dashboards/{theirs.pk}/cards/", {"card_type": "account.my_account"},
                       format="json").status_code == 404
    assert client.patch(f"/api/v1/dashboards/{theirs.pk}/cards/{their_card.pk}/", {"name": "x"},
                        format="json").status_code == 404
    assert client.patch(f"/api/v1/dashboards/{mine.pk}/cards/{their_card.pk}/", {"name": "x"},
                        format="json").status_code == 404
    assert client.delete(f"/api/v1/dashboards/{mine.pk}/cards/{their_card.pk}/").status_code == 404
    assert Card.objects.filter(pk=their_card.pk).exclude(name="x").exists()


def test_anonymous_callers_are_refused(member):
    assert APIClient().get("/api/v1/dashboards/").status_code in (401, 403)
    assert APIClient().get("/api/v1/card-types/").status_code in (401, 403)
