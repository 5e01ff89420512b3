"""A user sets their own PIN on My Account under "User set", in a real browser."""
import pytest

from accounts.choices import PinGeneration
from accounts.services import printer_login as pins
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_user_sets_their_pin_on_my_account(page, acme, member):
    pins.update_configuration(acme, pin=True, pin_generation=PinGeneration.USER_SET, pin_length=6)
    sign_in(page, "member@acme.test", PASSWORD)
    page.goto("/my-account/")
    assert "No PIN" in page.locator("[data-testid=my-pin]").inner_text()
    page.click("[data-testid=my-pin-set]:has-text('Set PIN')")
    assert "PIN must be of 6 characters long numeric" in page.inner_text("main")
    page.fill("#id_pin", "1234")
    page.click("button:has-text('Generate PIN')")
    assert "PIN must be of 6 characters long numeric." in page.locator("[data-testid=errors-pin]").inner_text()
    page.fill("#id_pin", "246810")
    page.check("text=Show PIN code")
    assert page.locator("#id_pin").get_attribute("type") == "text"
    page.click("button:has-text('Generate PIN')")
    page.wait_for_url("**/my-account/")
    assert "Reset PIN" in page.locator("[data-testid=my-pin]").inner_text()
    assert pins.find_user_by_pin(acme, "246810") == member
