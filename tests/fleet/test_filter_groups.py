"""Filter groups (D §11.2): save the current filters under a name, select one (the listing with its filters),
modify and rename it, delete it; per organization, through the gate; and their API."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fleet.choices import Communication
from fleet.models import FilterGroup
from fleet.services import views as view_services
from tests.conftest import make_user
from tests.fleet.factories import make_printer, make_tag


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org_id": org.pk, **kwargs})


def test_save_the_current_filters_as_a_group_and_apply_it(client, acme, admin):
    silent = make_printer(acme, communication=Communication.NOT_COMMUNICATING, model_name="CX725")
    make_printer(acme, model_name="CX725")
    client.force_login(admin)
    response = client.post(url("fleet:filter-group-save", acme),
                           {"name": "Silent CX725", "query": "communication=not_communicating&model=CX725&page=3"})
    group = FilterGroup.objects.get(organization=acme, name="Silent CX725")
    assert group.filters == {"communication": ["not_communicating"], "model": ["CX725"]}
    assert group.created_by == admin
    assert response.status_code == 302 and f"fg={group.pk}" in response["Location"]
    # select it: the listing with its filters
    response = client.get(url("fleet:filter-group", acme, filter_group_id=group.pk))
    assert response.status_code == 302
    listing = client.get(response["Location"])
    assert [r["id"] for r in listing.context["rows"]] == [silent.pk]
    assert listing.context["selected_group"] == group and not listing.context["group_modified"]
    assert "Silent CX725" in listing.content.decode()


def test_modify_the_selected_group_replaces_its_filters_and_renames_it(client, acme, admin):
    tag = make_tag(acme, "Floor 2")
    group = view_services.save_filter_group(acme, name="Errors", filters={"status": ["error"]}, by=admin)
    client.force_login(admin)
    response = client.post(url("fleet:filter-group-save", acme),
                           {"name": "Errors on floor 2", "filter_group": group.pk,
                            "query": f"status=error&status=warning&tag={tag.pk}"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Errors on floor 2"
    assert group.filters == {"tag": [str(tag.pk)], "status": ["error", "warning"]}
    assert FilterGroup.objects.filter(organization=acme).count() == 1
    view_services.rename_filter_group(group, "Renamed")
    assert FilterGroup.objects.get(pk=group.pk).name == "Renamed"


def test_a_filter_group_needs_a_unique_name_and_valid_filters(client, acme, admin):
    view_services.save_filter_group(acme, name="Taken", filters={"q": ["x"]})
    with pytest.raises(ValidationError, match="Type a unique filter group name."):
        view_services.save_filter_group(acme, name="taken", filters={"q": ["y"]})
    with pytest.raises(ValidationError, match="Type a filter group name."):
        view_services.save_filter_group(acme, name="  ", filters={"q": ["y"]})
    with pytest.raises(ValidationError, match="Select one or more filters first."):
        view_services.save_filter_group(acme, name="Empty", filters={"sort": ["serial"], "page": ["2"]})
    with pytest.raises(ValidationError, match="Printer status"):
        view_services.save_filter_group(acme, name="Bad", filters={"status": ["melting"]})
    client.force_login(admin)
    response = client.post(url("fleet:filter-group-save", acme), {"name": "Taken", "query": "q=z"}, follow=True)
    assert "Type a unique filter group name." in response.content.decode()
    assert FilterGroup.objects.filter(organization=acme).count() == 1


def test_delete_a_filter_group(client, acme, admin):
    group = view_services.save_filter_group(acme, name="Old", filters={"q": ["x"]})
    client.force_login(admin)
    response = client.post(url("fleet:filter-group-delete", acme, filter_group_id=group.pk))
    assert response.status_code == 302
    assert not FilterGroup.objects.filter(pk=group.pk).exists()


def test_filter_groups_belong_to_their_organization(client, acme, globex, admin):
    theirs = view_services.save_filter_group(globex, name="Globex", filters={"q": ["x"]})
    client.force_login(admin)
    assert client.get(url("fleet:filter-group", acme, filter_group_id=theirs.pk)).status_code == 404
    assert client.post(url("fleet:filter-group-delete", acme, filter_group_id=theirs.pk)).status_code == 404
    response = client.post(url("fleet:filter-group-save", acme), {"name": "Hijack", "filter_group": theirs.pk,
                                                                  "query": "q=y"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Globex"
    assert "Globex" not in [g.name for g in client.get(url("fleet:printers", acme)).context["filter_groups"]]


def test_a_viewer_applies_filter_groups_but_cannot_save_or_delete_them(client, acme):
    group = view_services.save_filter_group(acme, name="Shared", filters={"q": ["x"]})
    viewer = make_user(acme, "viewer@acme.test", ["fleet_management_viewer"])
    client.force_login(viewer)
    assert client.get(url("fleet:filter-group", acme, filter_group_id=group.pk)).status_code == 302
    assert client.post(url("fleet:filter-group-save", acme), {"name": "Mine", "query": "q=y"}).status_code == 403
    assert client.post(url("fleet:filter-group-delete", acme, filter_group_id=group.pk)).status_code == 403
    assert 'data-testid="filter-group-save"' not in client.get(url("fleet:printers", acme)).content.decode()


def test_filter_groups_api(client, acme, globex, admin):
    client.force_login(admin)
    base = url("api-fleet-filter-groups", acme)
    response = client.post(base, {"name": "Low toner", "filters": {"supply_below": ["15"]}},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    group_id = response.json()["id"]
    assert client.get(base).json() == [{"id": group_id, "name": "Low toner", "filters": {"supply_below": ["15"]},
                                        "created_at": response.json()["created_at"]}]
    detail = url("api-fleet-filter-group", acme, filter_group_id=group_id)
    response = client.patch(detail, {"filters": {"status": ["nonsense"]}}, content_type="application/json")
    assert response.status_code == 400
    response = client.patch(detail, {"name": "Very low toner", "filters": {"supply_below": ["5"]}},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["filters"] == {"supply_below": ["5"]}
    theirs = view_services.save_filter_group(globex, name="Globex", filters={"q": ["x"]})
    assert client.get(url("api-fleet-filter-group", acme, filter_group_id=theirs.pk)).status_code == 404
    assert client.delete(detail).status_code == 204
    assert not FilterGroup.objects.filter(organization=acme).exists()
