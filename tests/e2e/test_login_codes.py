"""Secure login code in a real browser: My Account > Generate Login Code > /device shows an 8-digit code;
Refresh replaces it; the page fits a phone."""
import re

import pytest

from accounts.models import PrinterLoginConfiguration
from accounts.services import login_codes as code_services
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def secure_login(acme):
    PrinterLoginConfiguration.objects.update_or_create(organization=acme, defaults={"secure_login": True})


def _code(page) -> str:
    return page.locator("[data-testid=login-code]").get_attribute("data-code")


def test_user_generates_a_login_code_from_my_account_and_refreshes_it(page, member, acme, secure_login):
    sign_in(page, "member@acme.test", PASSWORD)
    page.goto("/my-account/")
    page.click("[data-testid=generate-login-code]")
    page.wait_for_url("**/device")
    first = _code(page)
    assert re.fullmatch(r"\d{8}", first)
    assert re.fullmatch(r"\d{4} \d{4}", page.locator("[data-testid=login-code]").inner_text().strip())
    assert "15 minutes" in page.locator("[data-testid=login-code-expiry]").inner_text()
    with page.expect_navigation():
        page.click("[data-testid=login-code-refresh]")
    second = _code(page)
    assert re.fullmatch(r"\d{8}", second) and second != first
    # the code on screen is the one a printer can use, once
    assert code_services.redeem_login_code(acme, second) == member
    assert code_services.redeem_login_code(acme, first) is None


def test_login_code_page_fits_a_phone(browser, live_server, member, secure_login):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    sign_in(page, "member@acme.test", PASSWORD)
    page.goto("/device")
    box = page.locator("[data-testid=login-code]").bounding_box()
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 360 and box["x"] >= 0 and box["x"] + box["width"] <= 360
