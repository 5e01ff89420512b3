"""Print quotas in a real browser: an administrator turns on Enable print quotas in Organizational Settings,
creates a quota definition with a color limit inside the total, assigns it to a user on the Personal tab, and
after that user's color pages are spent sees them Exceeded in User Quota Status (filtered by type)."""
import pytest

from printmgmt.models import QuotaAssignment, QuotaDefinition
from printmgmt.services import quotas
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def open_admin_menu(page, item):
    page.click("[data-testid=nav-administration]")
    page.click(f"[data-testid={item}]")
    page.wait_for_load_state()   # the click returns once the next page starts loading


def test_enable_define_assign_and_watch_a_quota(page, acme):
    make_user(acme, "ada@acme.test", ["print_release_management_administrator"], first_name="Ada")
    pam = make_user(acme, "pam@acme.test", ["print_release_management_user"], first_name="Pam")
    sign_in(page, "ada@acme.test", PASSWORD)

    # Organizational Settings: the quota pages only appear once quotas are on
    page.goto(f"/o/{acme.pk}/print/administration/settings/")
    page.click("[data-testid=nav-administration]")
    assert page.locator("[data-testid=nav-quota-definitions]").count() == 0
    page.check("#id_quotas_enabled")
    page.check("input[name=quota_assign_by][value=personal]")
    page.click("[data-testid=settings-save]")
    page.wait_for_selector("text=Organizational settings saved.")

    # Quota Definitions > Create: Same limits for each month, 100 pages of which 30 in color
    open_admin_menu(page, "nav-quota-definitions")
    assert page.locator("[data-testid=quota-definition-row][data-name='Default Quota']").is_visible()
    page.click("[data-testid=quota-create]")
    page.fill("#id_name", "Floor 2")
    assert not page.locator("#id_total_limit").is_visible()
    page.check("input[name=total][value=custom]")
    page.fill("#id_total_limit", "100")
    page.check("input[name=color][value=custom]")
    page.fill("#id_color_limit", "300")
    page.click("[data-testid=quota-save]")
    page.wait_for_selector("text=it cannot be more than 100 pages")       # the color limit is part of the total
    page.fill("#id_color_limit", "30")
    page.click("[data-testid=quota-save]")
    page.wait_for_selector("text=Quota definition “Floor 2” created.")
    row = page.locator("[data-testid=quota-definition-row][data-name='Floor 2']")
    assert row.locator("[data-testid=quota-definition-total]").inner_text() == "100 pages"
    assert row.locator("[data-testid=quota-definition-color]").inner_text() == "30 pages"

    # Quota Assignments: Personal only, so no other tab; Assign Quota > e-mail > definition > Assign Quota
    open_admin_menu(page, "nav-quota-assignments")
    assert page.locator("[data-testid=quota-tabs] a").all_inner_texts() == ["Personal"]
    page.click("[data-testid=quota-assign-open]")
    page.fill("#id_target", "pam@acme.test")
    page.select_option("#id_definition", label="Floor 2")
    page.click("[data-testid=quota-assign]")
    page.wait_for_selector("text=Quota “Floor 2” assigned to pam@acme.test.")
    assert page.locator("[data-testid=quota-assignment-target]").inner_text() == "pam@acme.test"
    assert QuotaAssignment.objects.get().definition == QuotaDefinition.objects.get(name="Floor 2")

    # Pam prints her 30 color pages; color is Exceeded, 70 mono pages remain
    quotas.consume(pam, acme, pages=30, color=True)
    open_admin_menu(page, "nav-quota-status")
    page.select_option("#id_type", "personal")
    page.click("[data-testid=quota-status-filters] button[type=submit]")
    page.wait_for_url("**type=personal**")
    rows = page.locator("[data-testid=quota-status-row]")
    assert rows.count() == 1
    assert rows.locator("[data-testid=quota-status-user]").inner_text() == "pam@acme.test"
    assert rows.locator("[data-testid=quota-status-value]").inner_text() == "Exceeded"
    assert rows.locator("[data-testid=quota-status-total]").inner_text() == "70"
    assert rows.locator("[data-testid=quota-status-color]").inner_text() == "0"
    assert rows.locator("[data-testid=quota-status-type]").inner_text() == "Personal"
    with page.expect_download() as download:
        page.click("[data-testid=quota-status-export]")
    assert download.value.suggested_filename.startswith("user-quota-status-")
