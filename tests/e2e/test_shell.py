"""The shell in a real browser: sign in, the portal switcher, switching into a child organization."""
import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_partner_admin_signs_in_and_switches_into_a_child_organization(page, partner_admin, acme):
    sign_in(page, "pa@partner.test", PASSWORD)
    page.click("[data-testid=org-switcher] summary")
    page.click(f"[data-testid=org-switcher] a:has-text('{acme.name}')")
    page.wait_for_url(f"**/o/{acme.pk}/account/")
    assert page.locator("[data-testid=org-switcher] summary strong").inner_text() == acme.name
    page.click("[data-testid=portal-switcher] summary")
    portals = page.locator("[data-testid=portal-switcher] .menu-panel a").all_inner_texts()
    assert "Account Management" in portals


def test_plain_user_sees_no_account_management_portal(page, member):
    sign_in(page, "member@acme.test", PASSWORD)
    page.click("[data-testid=portal-switcher] summary")
    portals = page.locator("[data-testid=portal-switcher] .menu-panel a").all_inner_texts()
    assert "Account Management" not in portals
    assert "Dashboard" in portals


def test_shell_fits_a_phone_screen(browser, live_server, org_admin):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    sign_in(page, "admin@acme.test", PASSWORD)
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 390


def test_dashboard_refresh_reloads_the_cards_in_place(page, org_admin, acme):
    from tests.conftest import make_user

    sign_in(page, "admin@acme.test", PASSWORD)
    grid = page.locator("#dashboard-grid")
    assert grid.get_attribute("data-refresh-seconds") == "300"
    before = page.locator("[data-testid=card-grid] .count").first.inner_text()
    make_user(acme, "late.arrival@acme.test")
    page.click("[data-testid=refresh]")
    page.wait_for_function(f"document.querySelector('#dashboard-grid .count').innerText !== '{before}'")
    assert page.url.endswith("/dashboard/")  # in place: no navigation
