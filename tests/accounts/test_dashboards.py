"""Dashboards and cards (guide §3): limits, default dashboard, role-appropriate cards, editing, isolation."""
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import GroupKind
from accounts.models import Card, Dashboard, Group
from accounts.services import dashboards as services
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from tests.conftest import make_user


def card_types_of(dashboard):
    return [card.card_type for card in dashboard.cards.all()]


def fresh(user):
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client
    return login


# --- Spec test cases 1-6 ----------------------------------------------------------------------------------

def test_an_eleventh_dashboard_is_refused(member):
    services.ensure_default_dashboard(member)
    for i in range(2, 11):
        services.create_dashboard(member, f"Board {i}")
    assert Dashboard.objects.filter(user=member).count() == 10
    with pytest.raises(ValidationError, match="You can create up to 10 dashboards"):
        services.create_dashboard(member, "Board 11")
    assert Dashboard.objects.filter(user=member).count() == 10


def test_an_eleventh_dashboard_is_refused_in_the_page_with_a_message(member, client_for):
    services.ensure_default_dashboard(member)
    for i in range(2, 11):
        services.create_dashboard(member, f"Board {i}")
    response = client_for(member).post(reverse("dashboard-create"), {"name": "Board 11"})
    assert response.status_code == 200
    assert "You can create up to 10 dashboards" in response.content.decode()
    assert not Dashboard.objects.filter(user=member, name="Board 11").exists()


def test_a_twenty_fifth_card_is_refused(member):
    dashboard = services.ensure_default_dashboard(member)
    while dashboard.cards.count() < 24:
        services.add_card(dashboard, "account.my_account", "")
    with pytest.raises(ValidationError, match="You can add up to 24 cards"):
        services.add_card(dashboard, "account.my_account", "One too many")
    assert dashboard.cards.count() == 24


def test_a_twenty_fifth_card_is_refused_in_the_page_with_a_message(member, client_for):
    dashboard = services.ensure_default_dashboard(member)
    while dashboard.cards.count() < 24:
        services.add_card(dashboard, "account.my_account", "")
    response = client_for(member).post(reverse("dashboard-add-card", kwargs={"dashboard_id": dashboard.pk}),
                                       {"card_type": "account.my_account", "name": "More"})
    assert "You can add up to 24 cards" in response.content.decode()
    assert dashboard.cards.count() == 24


def test_the_default_dashboard_cannot_be_deleted(member, client_for):
    dashboard = services.ensure_default_dashboard(member)
    with pytest.raises(ValidationError, match="You cannot delete a dashboard that is set as default."):
        services.delete_dashboard(dashboard)
    response = client_for(member).post(reverse("dashboard-delete", kwargs={"dashboard_id": dashboard.pk}), follow=True)
    assert "You cannot delete a dashboard that is set as default." in response.content.decode()
    assert Dashboard.objects.filter(pk=dashboard.pk).exists()


def test_a_dashboard_that_is_not_default_can_be_deleted_after_confirmation(member, client_for):
    services.ensure_default_dashboard(member)
    other = services.create_dashboard(member, "Spare")
    client = client_for(member)
    url = reverse("dashboard-delete", kwargs={"dashboard_id": other.pk})
    assert "Delete Dashboard" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert not Dashboard.objects.filter(pk=other.pk).exists()


def test_a_dashboard_name_must_be_unique_for_the_user(member, org_admin):
    services.ensure_default_dashboard(member)
    with pytest.raises(ValidationError, match="Type a unique dashboard name"):
        services.create_dashboard(member, "My Dashboard")
    with pytest.raises(ValidationError, match="Type a unique dashboard name"):
        services.create_dashboard(member, "  my   dashboard ")
    spare = services.create_dashboard(member, "Spare")
    with pytest.raises(ValidationError, match="Type a unique dashboard name"):
        services.rename_dashboard(spare, "My Dashboard")
    # Another user may use the same name.
    assert services.create_dashboard(org_admin, "Spare").name == "Spare"


def test_an_empty_dashboard_name_is_refused(member):
    with pytest.raises(ValidationError, match="Type a unique dashboard name"):
        services.create_dashboard(member, "   ")


def test_the_card_grid_refreshes_itself_every_five_minutes(member, client_for):
    client = client_for(member)
    dashboard = services.ensure_default_dashboard(member)
    html = client.get(reverse("dashboard")).content.decode()
    fragment_url = reverse("dashboard-cards", kwargs={"dashboard_id": dashboard.pk})
    assert f'data-refresh-url="{fragment_url}"' in html
    assert 'data-refresh-seconds="300"' in html
    fragment = client.get(fragment_url)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body and "My Account" in body and member.email in body


def test_a_new_portal_role_adds_no_card_to_existing_dashboards(member, client_for):
    dashboard = services.ensure_default_dashboard(member)
    assert card_types_of(dashboard) == ["account.my_account"]
    role_services.assign_user_roles(member, ["user_administrator"])
    member = fresh(member)
    client = client_for(member)
    client.get(reverse("dashboard"))
    assert card_types_of(dashboard) == ["account.my_account"]
    # ...but the card can now be added by hand.
    add_page = client.get(reverse("dashboard-add-card", kwargs={"dashboard_id": dashboard.pk})).content.decode()
    assert 'value="account.users"' in add_page


# --- Default dashboard and role-appropriate cards -----------------------------------------------------------

def test_first_visit_creates_my_dashboard_as_default(member, client_for):
    assert not Dashboard.objects.filter(user=member).exists()
    response = client_for(member).get(reverse("dashboard"))
    assert response.status_code == 200
    dashboard = Dashboard.objects.get(user=member)
    assert dashboard.name == "My Dashboard" and dashboard.is_default
    assert "My Dashboard" in response.content.decode()


def test_sign_in_lands_on_the_dashboard(member, client_for):
    response = client_for(member).get("/")
    assert response.status_code == 302 and response.url == reverse("dashboard")


def test_a_member_gets_no_users_card(member):
    assert card_types_of(services.ensure_default_dashboard(member)) == ["account.my_account"]


def test_an_organization_administrator_gets_users_and_groups_cards(org_admin, client_for):
    dashboard = services.ensure_default_dashboard(org_admin)
    assert card_types_of(dashboard) == ["account.my_account", "account.users", "account.groups"]
    html = client_for(org_admin).get(reverse("dashboard")).content.decode()
    assert reverse("accounts:users", kwargs={"org_id": org_admin.organization_id}) in html
    assert reverse("accounts:groups", kwargs={"org_id": org_admin.organization_id}) in html


def test_a_partner_administrator_gets_the_child_organizations_card(partner_admin, partner):
    dashboard = services.ensure_default_dashboard(partner_admin)
    assert "account.children" in card_types_of(dashboard)
    assert {card.organization_id for card in dashboard.cards.all()} == {partner.pk}


def test_a_customer_administrator_cannot_add_the_child_organizations_card(org_admin):
    dashboard = services.ensure_default_dashboard(org_admin)
    with pytest.raises(ValidationError):
        services.add_card(dashboard, "account.children", "")


def test_a_member_cannot_add_a_users_card(member):
    dashboard = services.ensure_default_dashboard(member)
    with pytest.raises(ValidationError, match="not available"):
        services.add_card(dashboard, "account.users", "")


def test_a_partner_administrator_can_pick_a_child_organization_for_a_card(partner_admin, acme, client_for):
    make_user(acme, "one@acme.test")
    make_user(acme, "two@acme.test")
    dashboard = services.ensure_default_dashboard(partner_admin)
    client = client_for(partner_admin)
    add_url = reverse("dashboard-add-card", kwargs={"dashboard_id": dashboard.pk})
    page = client.get(add_url).content.decode()
    assert 'name="organization"' in page and "Acme" in page
    response = client.post(add_url, {"card_type": "account.users", "name": "Acme users", "organization": str(acme.pk)})
    assert response.status_code == 302
    card = dashboard.cards.get(name="Acme users")
    assert card.organization_id == acme.pk
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("accounts:users", kwargs={"org_id": acme.pk}) in html


def test_only_a_partner_administrator_may_pick_an_organization(org_admin, globex, acme, client_for):
    dashboard = services.ensure_default_dashboard(org_admin)
    with pytest.raises(ValidationError, match="Select an organization you manage."):
        services.add_card(dashboard, "account.users", "", organization=globex)
    page = client_for(org_admin).get(reverse("dashboard-add-card", kwargs={"dashboard_id": dashboard.pk}))
    assert 'name="organization"' not in page.content.decode()
    card = services.add_card(dashboard, "account.users", "", organization=acme)
    assert card.organization_id == acme.pk


def test_add_card_offers_only_allowed_card_types(member, org_admin, client_for):
    dashboard = services.ensure_default_dashboard(member)
    page = client_for(member).get(reverse("dashboard-add-card", kwargs={"dashboard_id": dashboard.pk})).content.decode()
    assert 'value="account.my_account"' in page
    assert 'value="account.users"' not in page and 'value="account.groups"' not in page


def test_a_card_name_defaults_to_the_card_type_name(org_admin):
    dashboard = services.ensure_default_dashboard(org_admin)
    assert services.add_card(dashboard, "account.groups", "  ").name == "Groups"


def test_an_unknown_card_type_is_refused(member):
    dashboard = services.ensure_default_dashboard(member)
    with pytest.raises(ValidationError, match="Select a card type."):
        services.add_card(dashboard, "nope", "")


# --- Dashboard actions -----------------------------------------------------------------------------------

def test_set_as_default_moves_the_default_flag(member, client_for):
    first = services.ensure_default_dashboard(member)
    second = services.create_dashboard(member, "Second")
    assert not second.is_default
    client = client_for(member)
    assert client.post(reverse("dashboard-set-default", kwargs={"dashboard_id": second.pk})).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    response = client.get(reverse("dashboard"))
    assert response.context["dashboard"].pk == second.pk


def test_rename_dashboard(member, client_for):
    dashboard = services.ensure_default_dashboard(member)
    client = client_for(member)
    client.post(reverse("dashboard-rename", kwargs={"dashboard_id": dashboard.pk}), {"name": "Overview"})
    dashboard.refresh_from_db()
    assert dashboard.name == "Overview"


def test_change_view_sets_one_to_four_columns(member, client_for):
    dashboard = services.ensure_default_dashboard(member)
    client = client_for(member)
    url = reverse("dashboard-columns", kwargs={"dashboard_id": dashboard.pk})
    client.post(url, {"columns": "2"})
    dashboard.refresh_from_db()
    assert dashboard.columns == 2
    assert "--cols:2" in client.get(reverse("dashboard")).content.decode()
    response = client.post(url, {"columns": "5"}, follow=True)
    dashboard.refresh_from_db()
    assert dashboard.columns == 2 and "Select from 1 to 4 columns." in response.content.decode()
    assert client.get(url).status_code == 405


def test_the_actions_menu_offers_the_guide_actions(member, client_for):
    services.ensure_default_dashboard(member)
    services.create_dashboard(member, "Second")
    client = client_for(member)
    html = client.get(reverse("dashboard")).content.decode()
    for label in ("Actions", "Create Dashboard", "Rename Dashboard", "Add Card", "Edit Cards", "Change View"):
        assert label in html
    second = Dashboard.objects.get(user=member, name="Second")
    html = client.get(reverse("dashboard-detail", kwargs={"dashboard_id": second.pk})).content.decode()
    assert "Set as Default" in html and "Delete Dashboard" in html
    # The dashboard menu switches between dashboards.
    assert reverse("dashboard-detail", kwargs={"dashboard_id": second.pk}) in html


# --- Editing cards -----------------------------------------------------------------------------------------

def test_moving_a_card_renumbers_the_positions(org_admin, client_for):
    dashboard = services.ensure_default_dashboard(org_admin)
    my_account, users, groups = dashboard.cards.all()
    client = client_for(org_admin)
    client.post(reverse("dashboard-card-move", kwargs={"dashboard_id": dashboard.pk, "card_id": groups.pk}),
                {"direction": "up"})
    assert card_types_of(dashboard) == ["account.my_account", "account.groups", "account.users"]
    services.move_card(Card.objects.get(pk=my_account.pk), 99)
    assert card_types_of(dashboard) == ["account.groups", "account.users", "account.my_account"]
    assert [c.position for c in dashboard.cards.all()] == [0, 1, 2]


def test_hiding_a_card_removes_it_from_the_grid_until_shown(org_admin, client_for):
    dashboard = services.ensure_default_dashboard(org_admin)
    users = dashboard.cards.get(card_type="account.users")
    client = client_for(org_admin)
    url = reverse("dashboard-card-visibility", kwargs={"dashboard_id": dashboard.pk, "card_id": users.pk})
    client.post(url, {"hidden": "1"})
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-card-type="account.users"' not in html and "1 hidden card" in html
    edit = client.get(reverse("dashboard-edit", kwargs={"dashboard_id": dashboard.pk})).content.decode()
    assert "Show" in edit and "Done" in edit
    client.post(url, {"hidden": "0"})
    assert 'data-card-type="account.users"' in client.get(reverse("dashboard")).content.decode()


def test_renaming_a_card(member, client_for):
    dashboard = services.ensure_default_dashboard(member)
    card = dashboard.cards.get()
    client = client_for(member)
    client.post(reverse("dashboard-card-rename", kwargs={"dashboard_id": dashboard.pk, "card_id": card.pk}),
                {"name": "Me"})
    card.refresh_from_db()
    assert card.name == "Me"
    response = client.post(reverse("dashboard-card-rename", kwargs={"dashboard_id": dashboard.pk, "card_id": card.pk}),
                           {"name": " "}, follow=True)
    card.refresh_from_db()
    assert card.name == "Me" and "Type a card name." in response.content.decode()


def test_deleting_a_card(org_admin, client_for):
    dashboard = services.ensure_default_dashboard(org_admin)
    users = dashboard.cards.get(card_type="account.users")
    client_for(org_admin).post(reverse("dashboard-card-delete", kwargs={"dashboard_id": dashboard.pk, "card_id": users.pk}))
    assert card_types_of(dashboard) == ["account.my_account", "account.groups"]
    assert [c.position for c in dashboard.cards.all()] == [0, 1]


# --- Isolation and leaks -------------------------------------------------------------------------------------

def test_another_users_dashboard_answers_404_in_every_page(member, org_admin, client_for):
    theirs = services.ensure_default_dashboard(org_admin)
    their_card = theirs.cards.first()
    mine = services.ensure_default_dashboard(member)
    client = client_for(member)
    d = {"dashboard_id": theirs.pk}
    for name in ("dashboard-detail", "dashboard-cards", "dashboard-edit", "dashboard-add-card", "dashboard-rename",
                 "dashboard-delete", "dashboard-set-default"):
        assert client.get(reverse(name, kwargs=d)).status_code == 404, name
    for name in ("dashboard-columns", "dashboard-delete", "dashboard-set-default", "dashboard-rename"):
        assert client.post(reverse(name, kwargs=d), {"columns": 1, "name": "x"}).status_code == 404, name
    for name in ("dashboard-card-rename", "dashboard-card-visibility", "dashboard-card-move", "dashboard-card-delete"):
        assert client.post(reverse(name, kwargs={**d, "card_id": their_card.pk}), {"name": "x"}).status_code == 404
        # Their card through my dashboard id is not found either.
        assert client.post(reverse(name, kwargs={"dashboard_id": mine.pk, "card_id": their_card.pk}),
                           {"name": "x"}).status_code == 404
    theirs.refresh_from_db()
    their_card.refresh_from_db()
    assert theirs.name == "My Dashboard" and theirs.columns == 3 and their_card.name != "x"


def test_anonymous_visitors_are_sent_to_sign_in(client, member):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_a_card_of_an_organization_no_longer_visible_shows_not_available(partner_admin, acme, client_for):
    make_user(acme, "secret-count@acme.test")
    dashboard = services.ensure_default_dashboard(partner_admin)
    services.add_card(dashboard, "account.users", "Acme users", organization=acme)
    cag = Group.objects.get(organization=partner_admin.organization, kind=GroupKind.CHILD_ORGANIZATION_ACCESS)
    group_services.remove_members(cag, [partner_admin.pk])
    html = client_for(fresh(partner_admin)).get(reverse("dashboard")).content.decode()
    assert "Acme users" in html and "This card is not available." in html
    assert reverse("accounts:users", kwargs={"org_id": acme.pk}) not in html
    assert "Acme" not in html.replace("Acme users", "")


def test_a_card_whose_permission_was_lost_shows_not_available(member, client_for):
    role_services.assign_user_roles(member, ["user_administrator"])
    dashboard = services.ensure_default_dashboard(fresh(member))
    assert "account.users" in card_types_of(dashboard)
    role_services.remove_user_roles(member, ["user_administrator"])
    html = client_for(fresh(member)).get(reverse("dashboard")).content.decode()
    assert "This card is not available." in html
    assert reverse("accounts:users", kwargs={"org_id": member.organization_id}) not in html


def test_dashboard_page_queries_do_not_grow_with_cards(partner_admin, acme, globex, client_for,
                                                       django_assert_max_num_queries):
    dashboard = services.ensure_default_dashboard(partner_admin)
    client = client_for(partner_admin)
    url = reverse("dashboard")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    kinds = ["account.users", "account.groups", "account.my_account"]
    while dashboard.cards.count() < 24:
        n = dashboard.cards.count()
        services.add_card(dashboard, kinds[n % 3], "", organization=(acme, globex)[n % 2])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) <= len(few) + 4  # one count per (card type, organization), not per card
    with django_assert_max_num_queries(30):
        client.get(url)
