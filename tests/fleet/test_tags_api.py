"""Tags API: /api/v1/organizations/{org_id}/tags/ (list with printer counts, create, rename, delete, assign,
remove), through the organization gate; a constant number of queries for the list."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleet.models import Tag
from tests.fleet.detail_support import catalog_printer, fleet_admin, fleet_viewer
from tests.fleet.factories import make_agent, make_tag


@pytest.fixture
def printers(acme):
    agent = make_agent(acme)
    return [catalog_printer(acme, agent) for _ in range(3)]


def url(org, name="api-fleet-tags", **kwargs):
    return reverse(name, kwargs={"org_id": org.pk, **kwargs})


@pytest.fixture
def admin_client(client, acme):
    client.force_login(fleet_admin(acme))
    return client


def test_list_counts_printers_and_the_selected_ones(admin_client, acme, printers):
    floor, lobby = make_tag(acme, "Floor"), make_tag(acme, "Lobby")
    for printer in printers:
        printer.tags.add(floor)
    printers[0].tags.add(lobby)
    body = admin_client.get(url(acme), {"printer": [printers[0].pk, printers[1].pk]}).json()
    assert [(t["name"], t["printers"], t["selected"]) for t in body] == [("Floor", 3, 2), ("Lobby", 1, 1)]
    assert admin_client.get(url(acme)).json()[0]["selected"] is None


def test_create_rename_delete(admin_client, acme):
    created = admin_client.post(url(acme), {"name": "Lobby"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["name"] == "Lobby" and created.json()["printers"] == 0
    duplicate = admin_client.post(url(acme), {"name": "lobby"}, content_type="application/json")
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["name"][0]
    tag_url = url(acme, "api-fleet-tag", tag_id=created.json()["id"])
    renamed = admin_client.patch(tag_url, {"name": "Front desk"}, content_type="application/json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Front desk"
    assert admin_client.delete(tag_url).status_code == 204
    assert not Tag.objects.exists()


def test_assign_and_remove(admin_client, acme, printers):
    tag = make_tag(acme, "Floor")
    ids = [p.pk for p in printers[:2]]
    assigned = admin_client.post(url(acme, "api-fleet-tags-assign"), {"tags": [tag.pk], "printers": ids},
                                 content_type="application/json")
    assert assigned.status_code == 200 and assigned.json() == {"printers": 2}
    assert sorted(tag.printers.values_list("pk", flat=True)) == sorted(ids)
    removed = admin_client.post(url(acme, "api-fleet-tags-remove"), {"tags": [tag.pk], "printers": ids[:1]},
                                content_type="application/json")
    assert removed.status_code == 200
    assert list(tag.printers.values_list("pk", flat=True)) == ids[1:]


def test_other_organizations_tags_and_printers_are_refused(admin_client, acme, globex, printers):
    foreign_tag, foreign_printer = make_tag(globex, "Theirs"), catalog_printer(globex)
    assert admin_client.get(url(acme, "api-fleet-tag", tag_id=foreign_tag.pk)).status_code == 404
    assert admin_client.delete(url(acme, "api-fleet-tag", tag_id=foreign_tag.pk)).status_code == 404
    response = admin_client.post(url(acme, "api-fleet-tags-assign"), {"tags": [foreign_tag.pk],
                                                                      "printers": [printers[0].pk]},
                                 content_type="application/json")
    assert response.status_code == 404
    mine = make_tag(acme, "Mine")
    response = admin_client.post(url(acme, "api-fleet-tags-assign"), {"tags": [mine.pk],
                                                                      "printers": [foreign_printer.pk]},
                                 content_type="application/json")
    assert response.status_code == 400 and "enrolled printers of this organization" in response.json()["printers"][0]
    assert not foreign_printer.tags.exists() and not foreign_tag.printers.exists()


def test_viewer_reads_but_cannot_write(client, acme, printers):
    tag = make_tag(acme, "Floor")
    client.force_login(fleet_viewer(acme))
    assert client.get(url(acme)).status_code == 200
    assert client.post(url(acme), {"name": "X"}, content_type="application/json").status_code == 403
    assert client.patch(url(acme, "api-fleet-tag", tag_id=tag.pk), {"name": "Y"},
                        content_type="application/json").status_code == 403
    assert client.post(url(acme, "api-fleet-tags-assign"), {"tags": [tag.pk], "printers": [printers[0].pk]},
                       content_type="application/json").status_code == 403
    assert Tag.objects.get().name == "Floor" and not tag.printers.exists()


def test_list_query_count_does_not_grow_with_tags(admin_client, acme, printers):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url(acme), {"printer": [printers[0].pk]}).status_code == 200
        return len(queries.captured_queries)

    make_tag(acme, "One").printers.add(printers[0])
    few = count()
    for n in range(20):
        make_tag(acme, f"Tag {n}").printers.add(*printers)
    assert count() == few
