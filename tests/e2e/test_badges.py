"""Badges in a real browser: an administrator registers a badge for a user on Manage Badge/PIN."""
import pytest

from accounts.models import Badge
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_admin_registers_a_badge_and_sees_it_waiting_for_log_in(page, org_admin, member, acme):
    sign_in(page, "admin@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/account/users/badges/")
    page.click("[data-testid=badge-register]")
    page.fill("input[name=email]", "member@acme.test")
    page.fill("input[name=badge_id]", "20171a")
    assert page.get_attribute("input[name=badge_id]", "type") == "password"
    page.check("[data-testid=reveal-badge-id]")  # "Show badge ID"
    assert page.get_attribute("input[name=badge_id]", "type") == "text"
    page.fill("input[name=description]", "Front desk card")
    page.click("button:has-text('Register Badge')")
    page.wait_for_selector("[data-testid=badges-table]")
    row = page.locator("[data-testid=badges-table] tbody tr").first
    text = row.inner_text()
    assert "member@acme.test" in text and "<waiting for log in>" in text and "<permanent>" in text
    assert "••••1a" in text and "20171a" not in text
    page.click("[data-testid=show-badge-id]")
    page.wait_for_selector("[data-testid=badge-id]:has-text('20171a')")
    badge = Badge.objects.get(organization=acme, badge_id="20171a")
    assert badge.user == member and not badge.temporary
