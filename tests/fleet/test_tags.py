"""Tags (guide "Creating tags", "Assigning tags to printers", "Removing assigned tags", "Managing tags"): the
service and the pages (Manage tags, Create tag, edit, the Printers page's Tags > Apply)."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fleet.models import Printer, Tag
from fleet.services import tags as services
from tests.fleet.detail_support import catalog_printer, fleet_admin, fleet_viewer
from tests.fleet.factories import make_agent, make_tag


@pytest.fixture
def printers(acme):
    agent = make_agent(acme)
    return [catalog_printer(acme, agent) for _ in range(3)]


def _names(printer):
    return sorted(Printer.objects.get(pk=printer.pk).tags.values_list("name", flat=True))


# --------------------------------------------------------------------------------------------- service
def test_tag_names_are_unique_in_the_organization_whatever_the_case(acme, globex):
    services.create_tag(acme, "  Floor 1 ")
    assert Tag.objects.get(organization=acme).name == "Floor 1"
    with pytest.raises(ValidationError, match="already exists"):
        services.create_tag(acme, "floor 1")
    services.create_tag(globex, "Floor 1")             # another organization may use the name
    with pytest.raises(ValidationError, match="Type a tag name"):
        services.create_tag(acme, "   ")
    with pytest.raises(ValidationError, match="must not exceed 64"):
        services.create_tag(acme, "x" * 65)


def test_rename_keeps_assignments_and_refuses_a_taken_name(acme, printers):
    tag, other = make_tag(acme, "Old"), make_tag(acme, "Other")
    printers[0].tags.add(tag)
    services.rename_tag(tag, "New")
    assert _names(printers[0]) == ["New"]
    with pytest.raises(ValidationError, match="already exists"):
        services.rename_tag(tag, "OTHER")
    services.rename_tag(other, "other")                # its own name in another case is fine
    assert Tag.objects.get(pk=other.pk).name == "other"


def test_delete_tags_removes_their_assignments_and_ignores_other_organizations(acme, globex, printers):
    tag, foreign = make_tag(acme, "Gone"), make_tag(globex, "Theirs")
    printers[0].tags.add(tag)
    assert services.delete_tags(acme, [tag.pk, foreign.pk]) == 1
    assert _names(printers[0]) == []
    assert Tag.objects.filter(pk=foreign.pk).exists()


def test_apply_assigns_ticked_tags_and_removes_cleared_ones(acme, printers):
    keep, new, old = make_tag(acme, "Keep"), make_tag(acme, "New"), make_tag(acme, "Old")
    printers[0].tags.add(keep, old)
    printers[1].tags.add(old)
    changed = services.apply_tags(acme, printers[:2], assign=[new.pk], remove=[old.pk])
    assert changed == 2
    assert _names(printers[0]) == ["Keep", "New"]
    assert _names(printers[1]) == ["New"]
    assert _names(printers[2]) == []
    services.apply_tags(acme, printers[:1], assign=[new.pk])   # already tagged: nothing doubles
    assert _names(printers[0]) == ["Keep", "New"]


def test_apply_refuses_other_organizations_tags_and_nothing_to_do(acme, globex, printers):
    foreign = make_tag(globex, "Theirs")
    with pytest.raises(ValidationError, match="tags of this organization"):
        services.apply_tags(acme, printers, assign=[foreign.pk])
    with pytest.raises(ValidationError, match="Select or clear one or more tags"):
        services.apply_tags(acme, printers)
    assert not Printer.tags.through.objects.exists()


def test_apply_ignores_printers_of_other_organizations(acme, globex, printers):
    foreign = catalog_printer(globex)
    tag = make_tag(acme, "Mine")
    with pytest.raises(ValidationError, match="Select one or more printers"):
        services.apply_tags(acme, [foreign], assign=[tag.pk])
    assert _names(foreign) == []


# --------------------------------------------------------------------------------------------- pages
def test_manage_tags_page_lists_tags_with_printer_counts(client, acme, printers):
    tag = make_tag(acme, "Floor 1")
    printers[0].tags.add(tag)
    printers[1].tags.add(tag)
    Printer.objects.filter(pk=printers[1].pk).update(unenrolled_at="2026-01-01T00:00:00Z")
    client.force_login(fleet_admin(acme))
    page = client.get(reverse("fleet:tags", kwargs={"org_id": acme.pk})).content.decode()
    assert "Floor 1" in page and 'data-testid="tag-count">1<' in page
    assert 'data-testid="tag-create"' in page and 'data-testid="tags-delete"' in page


def test_create_rename_and_delete_through_the_pages(client, acme):
    client.force_login(fleet_admin(acme))
    tags_url = reverse("fleet:tags", kwargs={"org_id": acme.pk})
    response = client.post(reverse("fleet:tag-create", kwargs={"org_id": acme.pk}), {"name": "Lobby",
                                                                                      "next": tags_url})
    assert response["Location"] == tags_url
    tag = Tag.objects.get(organization=acme, name="Lobby")
    duplicate = client.post(reverse("fleet:tag-create", kwargs={"org_id": acme.pk}), {"name": "LOBBY"})
    assert duplicate.status_code == 200 and "already exists" in duplicate.content.decode()
    edit = reverse("fleet:tag", kwargs={"org_id": acme.pk, "tag_id": tag.pk})
    assert 'value="Lobby"' in client.get(edit).content.decode()
    assert client.post(edit, {"name": "Front desk"})["Location"] == tags_url
    assert Tag.objects.get(pk=tag.pk).name == "Front desk"
    client.post(reverse("fleet:tags-delete", kwargs={"org_id": acme.pk}), {"tag": [tag.pk]})
    assert not Tag.objects.filter(pk=tag.pk).exists()


def test_create_tag_from_the_toolbar_comes_back_only_to_this_site(client, acme):
    client.force_login(fleet_admin(acme))
    response = client.post(reverse("fleet:tag-create", kwargs={"org_id": acme.pk}),
                           {"name": "Lobby", "next": "https://evil.test/"})
    assert not response["Location"].startswith("https://evil.test")


def test_apply_from_the_tags_menu(client, acme, printers):
    a, b = make_tag(acme, "A"), make_tag(acme, "B")
    printers[0].tags.add(b)
    client.force_login(fleet_admin(acme))
    client.post(reverse("fleet:printers-tags", kwargs={"org_id": acme.pk}),
                {"printer": [printers[0].pk, printers[1].pk], "tag": [a.pk], "untag": [b.pk]})
    assert _names(printers[0]) == ["A"] and _names(printers[1]) == ["A"]


def test_viewer_sees_tags_but_cannot_change_them(client, acme, printers):
    tag = make_tag(acme, "Floor 1")
    client.force_login(fleet_viewer(acme))
    page = client.get(reverse("fleet:tags", kwargs={"org_id": acme.pk}))
    assert page.status_code == 200 and "Floor 1" in page.content.decode()
    assert 'data-testid="tags-delete"' not in page.content.decode()
    posts = [("fleet:tag-create", {}, {"name": "X"}), ("fleet:tags-delete", {}, {"tag": [tag.pk]}),
             ("fleet:tag", {"tag_id": tag.pk}, {"name": "Y"}),
             ("fleet:printers-tags", {}, {"printer": [printers[0].pk], "tag": [tag.pk]})]
    for name, kwargs, data in posts:
        assert client.post(reverse(name, kwargs={"org_id": acme.pk, **kwargs}), data).status_code == 403
    assert list(Tag.objects.values_list("name", flat=True)) == ["Floor 1"]
    assert _names(printers[0]) == []


def test_another_organizations_tag_answers_404(client, acme, globex):
    foreign = make_tag(globex, "Theirs")
    client.force_login(fleet_admin(acme))
    url = reverse("fleet:tag", kwargs={"org_id": acme.pk, "tag_id": foreign.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Hijacked"}).status_code == 404
    assert Tag.objects.get(pk=foreign.pk).name == "Theirs"


def test_select_all_matching_printers_applies_to_every_printer_the_filters_match(client, acme, printers):
    floor, lobby = make_tag(acme, "Floor"), make_tag(acme, "Lobby")
    printers[0].tags.add(floor)
    printers[1].tags.add(floor)
    client.force_login(fleet_admin(acme))
    client.post(reverse("fleet:printers-tags", kwargs={"org_id": acme.pk}),
                {"printer": [printers[0].pk], "select_all": "1", "query": f"tag={floor.pk}", "tag": [lobby.pk]})
    assert _names(printers[0]) == _names(printers[1]) == ["Floor", "Lobby"]
    assert _names(printers[2]) == []


def test_printers_page_toolbar_has_the_printer_and_tags_menus(client, acme, printers):
    make_tag(acme, "Floor 1")
    listing = reverse("fleet:printers", kwargs={"org_id": acme.pk})
    client.force_login(fleet_admin(acme))
    page = client.get(listing).content.decode()
    for testid in ("menu-printer", "menu-tags", "action-refresh", "action-notify", "action-clear",
                   "action-credentials", "action-unenroll", "action-create-tag", "action-manage-tags",
                   "action-tag-import"):
        assert f'data-testid="{testid}"' in page, testid
    assert "Floor 1" in page and reverse("api-fleet-tags", kwargs={"org_id": acme.pk}) in page
    assert "Unenrolling of printers cannot be stopped." in page
    client.force_login(fleet_viewer(acme))
    page = client.get(listing).content.decode()
    assert 'data-testid="menu-printer"' not in page and 'data-testid="menu-tags"' not in page


def test_a_concurrent_duplicate_gets_the_same_message(acme):
    services.create_tag(acme, "Lobby")
    with pytest.raises(ValidationError, match="already exists"):
        services._saved(Tag(organization=acme, name="Lobby"))    # the check passed in another request
    assert Tag.objects.filter(organization=acme).count() == 1
