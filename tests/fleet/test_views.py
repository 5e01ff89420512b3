"""Views of the Printers page (D §12): select (the user's default per organization, kept across sign-ins),
Quick View (never saved), Create view (unique name, identifier, ordered columns, becomes the default), Manage
views (edit, copy, delete; system views immutable; fallback to Standard), sharing with child organizations,
and the Fleet Management Viewer's Standard-only rule."""
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.choices import GroupKind
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from fleet.columns import SYSTEM_VIEWS
from fleet.models import PrinterView, ViewPreference
from fleet.services import views as view_services
from fleet.views.printers import move_columns
from tests.conftest import make_user
from tests.fleet.factories import make_printer


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


@pytest.fixture
def viewer(acme):
    return make_user(acme, "viewer@acme.test", ["fleet_management_viewer"])


def system(key) -> PrinterView:
    return PrinterView.objects.get(organization=None, system_key=key)


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org_id": org.pk, **kwargs})


def headers(client, org, **params):
    response = client.get(url("fleet:printers", org), params)
    return [h["key"] for h in response.context["headers"]]


def test_the_seven_system_views_exist_and_standard_is_the_default(acme, admin):
    views, current = view_services.views_for(admin, acme)
    assert [v.name for v in views] == ["Standard", "Configurations", "Managed", "Meters", "Operations", "Supplies",
                                       "Supplies coverage"]
    assert current.system_key == "standard" and len(SYSTEM_VIEWS) == 7


def test_selecting_a_view_makes_it_the_users_default_in_that_organization_only(client, acme, globex, admin):
    make_printer(acme)
    other = make_user(acme, "other@acme.test", ["fleet_management_administrator"])
    client.force_login(admin)
    response = client.post(url("fleet:printer-view-select", acme, view_id=system("operations").pk))
    assert response.status_code == 302
    assert headers(client, acme)[:3] == ["ip_address", "serial", "model_name"]
    # "does not change when you log out": a new session sees the same default
    again = Client()
    again.force_login(admin)
    assert headers(again, acme)[:3] == ["ip_address", "serial", "model_name"]
    assert view_services.current_view(other, acme).system_key == "standard"


def test_quick_view_is_applied_from_the_query_string_and_never_saved(client, acme, admin):
    make_printer(acme)
    client.force_login(admin)
    assert headers(client, acme, qv=1, identifier="serial", col=["host_name", "serial", "firmware"]) == [
        "serial", "host_name", "firmware"]
    assert not ViewPreference.objects.exists()
    assert headers(client, acme)[0:2] == ["ip_address", "model_name"]   # the default view again
    page = client.get(url("fleet:printer-view-quick", acme), {"communication": "communicating"})
    assert page.status_code == 200
    assert ("communication", "communicating") in page.context["carried"]


def test_create_view_through_the_page_becomes_the_default(client, acme, admin):
    make_printer(acme)
    client.force_login(admin)
    response = client.post(url("fleet:printer-view-create", acme),
                           {"name": "My view", "identifier": "serial",
                            "columns": ["firmware", "model_name", "serial"], "save": "1"})
    assert response.status_code == 302 and response["Location"] == url("fleet:printers", acme)
    view = PrinterView.objects.get(organization=acme, name="My view")
    assert view.identifier == "serial" and view.columns == ["firmware", "model_name"]
    assert view.created_by == admin
    assert headers(client, acme) == ["serial", "firmware", "model_name"]


def test_create_view_refuses_a_duplicate_name_an_empty_name_and_no_columns(client, acme, admin):
    client.force_login(admin)
    for data, message in (({"name": "Standard", "columns": ["serial"]}, "Type a unique view name."),
                          ({"name": "standard ", "columns": ["serial"]}, "Type a unique view name."),
                          ({"name": " ", "columns": ["serial"]}, "Type a view name."),
                          ({"name": "Empty", "columns": []}, "Select one or more columns.")):
        response = client.post(url("fleet:printer-view-create", acme), {"identifier": "ip_address", "save": "1", **data})
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not PrinterView.objects.filter(organization=acme).exists()
    with pytest.raises(ValidationError):
        view_services.create_view(acme, name="Bad", columns=["no_such_column"], by=admin)


def test_the_column_builder_adds_removes_and_moves_columns_without_javascript(client, acme, admin):
    assert move_columns(["a"], "add", ["nope", "serial"], []) == ["serial"]   # unknown keys dropped
    assert move_columns(["serial"], "add", ["model_name", "serial"], []) == ["serial", "model_name"]
    assert move_columns(["serial", "model_name", "firmware"], "up", [], ["firmware"]) == ["serial", "firmware",
                                                                                         "model_name"]
    assert move_columns(["serial", "model_name", "firmware"], "down", [], ["serial"]) == ["model_name", "serial",
                                                                                         "firmware"]
    assert move_columns(["serial", "model_name"], "up", [], ["serial"]) == ["serial", "model_name"]
    assert move_columns(["serial", "model_name", "firmware"], "remove", [], ["model_name"]) == ["serial", "firmware"]
    client.force_login(admin)
    response = client.post(url("fleet:printer-view-create", acme),
                           {"name": "Built", "identifier": "ip_address", "columns": ["serial"],
                            "available": ["firmware", "tags"], "move": "add"})
    assert [s["column"].key for s in response.context["selected"]] == ["serial", "firmware", "tags"]
    assert "firmware" not in [c.key for c in response.context["available"]]
    assert not PrinterView.objects.filter(name="Built").exists()


def test_a_view_created_from_manage_views_does_not_become_the_default(client, acme, admin):
    client.force_login(admin)
    response = client.post(url("fleet:printer-view-create", acme) + "?manage=1",
                           {"name": "Side view", "identifier": "ip_address", "columns": ["serial"], "save": "1",
                            "manage": "1"})
    assert response["Location"] == url("fleet:printer-views", acme)
    assert view_services.current_view(admin, acme).system_key == "standard"


def test_copy_prefills_a_new_view_from_any_view_including_system_ones(client, acme, admin):
    client.force_login(admin)
    response = client.get(url("fleet:printer-view-create", acme), {"copy": system("meters").pk, "manage": "1"})
    state = response.context["state"]
    assert state["name"] == "Copy of Meters" and state["columns"] == list(system("meters").columns)
    view_services.create_view(acme, name="Copy of Meters", columns=["serial"], by=admin)
    assert view_services.copy_name(system("meters"), acme) == "Copy of Meters (2)"


def test_system_views_cannot_be_edited_or_deleted(client, acme, admin):
    standard = system("standard")
    with pytest.raises(ValidationError, match="You cannot edit system-generated views."):
        view_services.update_view(acme, standard, name="Mine", identifier="ip_address", columns=["serial"], by=admin)
    with pytest.raises(ValidationError, match="You cannot delete system-generated views."):
        view_services.delete_views(acme, [standard.pk], by=admin)
    client.force_login(admin)
    assert client.get(url("fleet:printer-view-edit", acme, view_id=standard.pk)).status_code == 404
    response = client.post(url("fleet:printer-views-delete", acme), {"view": [standard.pk]}, follow=True)
    assert "You cannot delete system-generated views." in response.content.decode()
    assert PrinterView.objects.filter(pk=standard.pk, columns=SYSTEM_VIEWS["standard"][1]).exists()


def test_editing_a_custom_view_keeps_it_unique(client, acme, admin):
    first = view_services.create_view(acme, name="First", columns=["serial"], by=admin)
    view_services.create_view(acme, name="Second", columns=["serial"], by=admin)
    client.force_login(admin)
    edit = url("fleet:printer-view-edit", acme, view_id=first.pk)
    response = client.post(edit, {"name": "Second", "identifier": "ip_address", "columns": ["serial"], "save": "1"})
    assert "Type a unique view name." in response.content.decode()
    response = client.post(edit, {"name": "Renamed", "identifier": "host_name", "columns": ["firmware", "serial"],
                                  "save": "1"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.name, first.identifier, first.columns) == ("Renamed", "host_name", ["firmware", "serial"])


def test_deleting_the_current_view_brings_back_standard_for_every_user_using_it(client, acme, admin):
    user_a = make_user(acme, "a@acme.test", ["fleet_management_administrator"])
    view = view_services.create_view(acme, name="Shared", columns=["serial"], by=admin)
    view_services.select_view(user_a, acme, view)
    assert view_services.current_view(user_a, acme) == view
    client.force_login(admin)   # user B deletes the view user A uses
    response = client.post(url("fleet:printer-views-delete", acme), {"view": [view.pk]})
    assert response.status_code == 302
    assert not PrinterView.objects.filter(pk=view.pk).exists()
    assert view_services.current_view(user_a, acme).system_key == "standard"
    assert view_services.current_view(admin, acme).system_key == "standard"


def test_custom_views_are_shared_with_child_organizations_not_siblings(client, partner, acme, globex, admin):
    partner_admin = make_user(partner, "fleet@partner.test", ["fleet_management_administrator"])
    shared = view_services.create_view(partner, name="Partner view", columns=["serial"], by=partner_admin)
    local = view_services.create_view(acme, name="Acme view", columns=["serial"], by=admin)
    acme_names = [v.name for v in view_services.views_for(admin, acme)[0]]
    globex_admin = make_user(globex, "fleet@globex.test", ["fleet_management_administrator"])
    globex_names = [v.name for v in view_services.views_for(globex_admin, globex)[0]]
    assert "Partner view" in acme_names and "Acme view" in acme_names
    assert "Partner view" in globex_names and "Acme view" not in globex_names
    assert "Acme view" not in [v.name for v in view_services.views_for(partner_admin, partner)[0]]
    # usable below, editable only where it was created; names unique along the line
    view_services.select_view(admin, acme, shared)
    with pytest.raises(ValidationError, match="copy it to change it"):
        view_services.update_view(acme, shared, name="Mine now", identifier="ip_address", columns=["serial"], by=admin)
    assert view_services.delete_views(acme, [shared.pk], by=admin) == 0
    client.force_login(admin)
    assert client.get(url("fleet:printer-view-edit", acme, view_id=shared.pk)).status_code == 404
    assert client.get(url("fleet:printer-view-edit", acme, view_id=local.pk)).status_code == 200
    with pytest.raises(ValidationError, match="Type a unique view name."):
        view_services.create_view(acme, name="partner VIEW", columns=["serial"], by=admin)
    with pytest.raises(ValidationError, match="Type a unique view name."):
        view_services.create_view(partner, name="Acme view", columns=["serial"], by=partner_admin)
    # a sibling's view cannot be selected through another organization
    globex_view = view_services.create_view(globex, name="Globex view", columns=["serial"], by=globex_admin)
    response = client.post(url("fleet:printer-view-select", acme, view_id=globex_view.pk))
    assert response.status_code == 404


def test_a_partner_administrator_sees_the_partners_views_in_a_child(partner, acme):
    pa = make_user(partner, "pa@partner.test")
    cag = group_services.create_group(partner, "CAG", GroupKind.CHILD_ORGANIZATION_ACCESS)
    role_services.assign_group_roles(cag, ["fleet_management_administrator"])
    group_services.add_members(cag, [pa.pk])
    view_services.create_view(partner, name="Partner view", columns=["serial"])
    assert "Partner view" in [v.name for v in view_services.views_for(pa, acme)[0]]


def test_a_fleet_viewer_uses_only_the_standard_view_and_quick_views(client, acme, admin, viewer):
    make_printer(acme)
    custom = view_services.create_view(acme, name="Custom", columns=["serial"], by=admin)
    views, current = view_services.views_for(viewer, acme)
    assert [v.name for v in views] == ["Standard"] and current.system_key == "standard"
    with pytest.raises(ValidationError, match="only the Standard view and Quick views"):
        view_services.select_view(viewer, acme, custom)
    with pytest.raises(ValidationError):
        view_services.create_view(acme, name="Viewer view", columns=["serial"], by=viewer)
    client.force_login(viewer)
    response = client.post(url("fleet:printer-view-select", acme, view_id=custom.pk), follow=True)
    assert "only the Standard view and Quick views" in response.content.decode()
    assert headers(client, acme, qv=1, col=["serial"]) == ["ip_address", "serial"]
    assert client.get(url("fleet:printer-view-create", acme)).status_code == 403
    assert client.get(url("fleet:printer-views", acme)).status_code == 403
    # a preference saved while the user was an administrator does not outlive the role
    ViewPreference.objects.create(user=viewer, organization=acme, view=custom)
    assert view_services.current_view(viewer, acme).system_key == "standard"


def test_manage_views_lists_system_custom_and_shared_views(client, partner, acme, admin):
    view_services.create_view(partner, name="Partner view", columns=["serial"])
    mine = view_services.create_view(acme, name="Acme view", columns=["serial", "firmware"], by=admin)
    client.force_login(admin)
    response = client.get(url("fleet:printer-views", acme))
    rows = {r["view"].name: r for r in response.context["rows"]}
    assert rows["Standard"]["kind"] == "System" and not rows["Standard"]["editable"]
    assert rows["Partner view"]["kind"] == "Shared by Demo Partner" and not rows["Partner view"]["editable"]
    assert rows["Acme view"]["editable"] and rows["Acme view"]["columns"] == "Serial Number, Current Firmware Version"
    assert url("fleet:printer-view-edit", acme, view_id=mine.pk) in response.content.decode()
