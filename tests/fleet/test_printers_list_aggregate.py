"""The partner's aggregate "All organizations (view only)" (D §11.1): the printers of the organization and of
every organization below it that the user reaches with Fleet Management access, an Organization column
linking to each organization's Printers page, no actions; filters, views and export work."""
import csv
import io

import pytest
from django.urls import reverse

from accounts.choices import GroupKind
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from accounts.services.organizations import create_organization
from tests.conftest import ALL_SERVICES, make_user
from tests.fleet.factories import make_printer


def partner_admin_with(partner, roles, email="pa@partner.test"):
    user = make_user(partner, email)
    cag = group_services.create_group(partner, f"CAG {email}", GroupKind.CHILD_ORGANIZATION_ACCESS)
    role_services.assign_group_roles(cag, roles)
    group_services.add_members(cag, [user.pk])
    return user


@pytest.fixture
def printers(partner, acme, globex):
    return {"partner": make_printer(partner, ip_address="127.0.8.1"), "acme": make_printer(acme, ip_address="127.0.8.2"),
            "globex": make_printer(globex, ip_address="127.0.8.3")}


def aggregate(client, user, org, **params):
    client.force_login(user)
    return client.get(reverse("fleet:printers-all", kwargs={"org_id": org.pk}), params)


def ids(response):
    return sorted(r["id"] for r in response.context["rows"])


def test_a_partner_administrator_sees_the_children_printers_with_organization_links(client, partner, acme,
                                                                                    printers):
    pa = partner_admin_with(partner, ["fleet_management_administrator"])
    response = aggregate(client, pa, partner)
    assert response.status_code == 200
    # the partner's own printers need a Fleet role in the partner itself: child access does not grant it there
    assert ids(response) == sorted([printers["acme"].pk, printers["globex"].pk])
    keys = [h["key"] for h in response.context["headers"]]
    assert keys[:2] == ["ip_address", "organization"]
    html = response.content.decode()
    assert reverse("fleet:printers", kwargs={"org_id": acme.pk}) in html
    assert reverse("fleet:printer", kwargs={"org_id": acme.pk, "printer_id": printers["acme"].pk}) in html
    assert 'name="printer"' not in html and 'data-testid="menu-printer"' not in html   # view only


def test_the_partners_own_printers_appear_when_the_user_has_a_fleet_role_there(client, partner, printers):
    pa = partner_admin_with(partner, ["fleet_management_administrator"])
    role_services.assign_user_roles(pa, ["fleet_management_viewer"])
    assert ids(aggregate(client, pa, partner)) == sorted(p.pk for p in printers.values())


def test_a_customers_administrator_sees_only_their_organization_never_a_sibling(client, partner, acme, printers):
    admin = make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])
    assert ids(aggregate(client, admin, acme)) == [printers["acme"].pk]
    assert aggregate(client, admin, partner).status_code == 404   # the parent is out of sight


def test_a_grandchild_is_included_and_child_access_without_a_fleet_role_sees_nothing(client, partner, acme,
                                                                                   printers):
    grandchild = create_organization("Acme West", parent=acme, entitlements=ALL_SERVICES)
    deep = make_printer(grandchild, ip_address="127.0.8.4")
    pa = partner_admin_with(partner, ["fleet_management_viewer"])
    assert ids(aggregate(client, pa, partner)) == sorted([printers["acme"].pk, printers["globex"].pk, deep.pk])
    assert ids(aggregate(client, pa, acme)) == sorted([printers["acme"].pk, deep.pk])
    no_fleet = partner_admin_with(partner, ["organization_administrator"], email="accounts@partner.test")
    response = aggregate(client, no_fleet, partner)
    assert response.status_code == 200 and response.context["rows"] == []


def test_filters_and_export_work_in_the_aggregate(client, partner, acme, globex, printers):
    pa = partner_admin_with(partner, ["fleet_management_administrator"])
    assert ids(aggregate(client, pa, partner, q="127.0.8.3")) == [printers["globex"].pk]
    response = client.get(reverse("fleet:printers-all-export", kwargs={"org_id": partner.pk}), {"sort": "organization"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["IP Address", "Organization"]
    assert [r[1] for r in rows[1:]] == ["Acme", "Globex"]
    assert 'attachment; filename="printers-all-organizations-' in response["Content-Disposition"]


def test_a_partner_administrator_finds_the_aggregate_from_a_customers_printers_page(client, partner, acme):
    pa = partner_admin_with(partner, ["fleet_management_administrator"])
    client.force_login(pa)
    html = client.get(reverse("fleet:printers", kwargs={"org_id": acme.pk})).content.decode()
    assert f'href="{reverse("fleet:printers-all", kwargs={"org_id": partner.pk})}"' in html
    customer = make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])
    client.force_login(customer)   # sees one organization: nothing to aggregate
    assert 'data-testid="printers-all-link"' not in client.get(
        reverse("fleet:printers", kwargs={"org_id": acme.pk})).content.decode()
