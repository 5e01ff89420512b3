"""Browser tests: Playwright drives the Debian `chromium` package (no browser download) against
pytest-django's live server. Skipped with a message when chromium is missing, failed in CI."""
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")   # not the session: Playwright's loop must not outlive the browser tests
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("needs the Debian package chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, email, password):
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.click("[data-testid=login-next]")  # e-mail first (home-realm discovery), then the password
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/**")


# --- identity federation (test_federation_oidc.py, test_federation_saml.py) ------------------------------------

def assert_test_federation_result(page, *, given_name, badge, cost_center):
    """The Authentication Provider page after a Test federation round trip: succeeded, fields mapped."""
    assert page.locator("[data-testid=federation-test-result]").is_visible()
    assert page.locator("[data-testid=federation-test-ok]").is_visible()
    assert "Creates the user" in page.locator("[data-testid=federation-test-outcome]").inner_text()
    assert page.locator("[data-testid=federation-test-given_name]").inner_text() == given_name
    assert page.locator("[data-testid=federation-test-badge]").inner_text() == badge
    assert page.locator("[data-testid=federation-test-cost_center]").inner_text() == cost_center
    page.click("[data-testid=federation-test-result] summary")
    return page.locator("[data-testid=federation-test-claims]").inner_text()


def enable_provider(page):
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=auth-provider-enable]")
    page.wait_for_selector("[data-testid=auth-provider-disable]")
    assert page.locator("[data-testid=auth-provider-status]").inner_text().strip() == "Enabled"


def sign_in_federated(browser, base_url, email, at_provider) -> str:
    """In a fresh browser: e-mail first, `at_provider(page)` signs in on the provider's form, the dashboard.
    Returns the name in the user menu."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", email)
        page.click("[data-testid=login-next]")
        at_provider(page)
        page.wait_for_url("**/dashboard/**")
        return page.locator("[data-testid=user-menu] summary").inner_text()
    finally:
        context.close()
