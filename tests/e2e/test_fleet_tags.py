"""Tags in a real browser: create a tag, assign it to printers selected on the Printers page, tag printers from a
file (with the Tag Printers Results Summary), remove it from a printer and delete it on Manage tags."""
import pytest

from fleet.models import Tag
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.fleet.detail_support import catalog_printer, fleet_admin
from tests.fleet.factories import make_agent

pytestmark = pytest.mark.e2e


@pytest.fixture
def printers(acme):
    fleet_admin(acme, "fleet@acme.test")
    agent = make_agent(acme)
    return [catalog_printer(acme, agent, ip_address=f"127.0.8.{i}") for i in (1, 2, 3)]


def tagged(tag_name):
    return sorted(str(ip) for ip in Tag.objects.get(name=tag_name).printers.values_list("ip_address", flat=True))


def open_tags_menu(page):
    page.click("[data-testid=menu-tags] summary")


def select(page, printer):
    page.check(f"tr[data-printer='{printer.pk}'] input[name=printer]")


def test_tags_from_creation_to_removal(page, acme, printers, tmp_path):
    sign_in(page, "fleet@acme.test", PASSWORD)
    listing = f"/o/{acme.pk}/fleet/printers/"
    page.goto(listing)

    # Tags > Create tag
    open_tags_menu(page)
    page.click("[data-testid=action-create-tag]")
    page.fill("#dlg-create-tag [data-testid=tag-create-name]", "Floor 3")
    page.click("#dlg-create-tag [data-testid=tag-create-save]")
    page.wait_for_selector("text=Tag “Floor 3” created.")

    # nothing selected: the tags are disabled
    open_tags_menu(page)
    box = page.locator("[data-testid=tags-apply-form] label:has-text('Floor 3') input")
    assert box.is_disabled() and page.locator("[data-testid=tags-apply]").is_disabled()
    page.click("h1")

    # select two printers, tick the tag, Apply
    select(page, printers[0])
    select(page, printers[1])
    open_tags_menu(page)
    box.check()
    page.click("[data-testid=tags-apply]")
    page.wait_for_selector("text=Tags applied to 2 printers.")
    assert tagged("Floor 3") == ["127.0.8.1", "127.0.8.2"]

    # Tags > Tag printers using file import: one printer of the organization, one unknown address
    csv = tmp_path / "printers.csv"
    csv.write_text("IP Address\n127.0.8.3\n127.0.99.1\n", encoding="utf-8")
    open_tags_menu(page)
    page.click("[data-testid=action-tag-import]")
    page.fill("#dlg-tag-import input[type=search]", "floor")
    page.check("#dlg-tag-import label:has-text('Floor 3') input")
    page.set_input_files("#dlg-tag-import input[type=file]", str(csv))
    page.click("#dlg-tag-import [data-testid=tag-import-submit]")
    summary = page.locator("[data-testid=tag-summary]")
    summary.wait_for()
    assert "Tag Printers Results Summary" in summary.inner_text()
    assert page.locator("[data-testid=tag-summary-tagged]").inner_text() == "1"
    assert page.locator("[data-testid=tag-summary-not-tagged]").inner_text() == "1"
    assert tagged("Floor 3") == ["127.0.8.1", "127.0.8.2", "127.0.8.3"]
    page.click("[data-testid=tag-summary-close]")
    page.wait_for_url(f"**{listing}")

    # remove: the menu shows the tag ticked for the selected printer; clear it and Apply
    select(page, printers[0])
    open_tags_menu(page)
    page.wait_for_function("document.querySelector(\"[data-testid=tags-apply-form] input[data-tag-state='all']\")")
    assert box.is_checked()
    box.uncheck()
    page.click("[data-testid=tags-apply]")
    page.wait_for_selector("text=Tags applied to 1 printer.")
    assert tagged("Floor 3") == ["127.0.8.2", "127.0.8.3"]

    # the details page shows the printer's tags
    page.goto(f"/o/{acme.pk}/fleet/printers/{printers[1].pk}/")
    assert page.locator("[data-testid=printer-tags]").inner_text().strip() == "Floor 3"

    # Manage tags > Delete
    page.goto(f"/o/{acme.pk}/fleet/tags/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.check("[data-testid=tag-row] input[name=tag]")
    page.click("[data-testid=tags-delete]")
    page.wait_for_selector("text=1 tag deleted.")
    assert not Tag.objects.exists()


def test_rename_a_tag_on_manage_tags(page, acme, printers):
    Tag.objects.create(organization=acme, name="Lobby")
    sign_in(page, "fleet@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/fleet/tags/")
    page.click("[data-testid=tag-name]:has-text('Lobby')")
    page.fill("input[name=name]", "Front desk")
    page.click("[data-testid=tag-edit-save]")
    page.wait_for_selector("text=Tag renamed to “Front desk”.")
    assert list(Tag.objects.values_list("name", flat=True)) == ["Front desk"]
