"""Printer Login Configuration: the rules (A §12, §26, C §16-§17, test cases 26, 27, 30, T19), the page and the API."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.choices import ExpirationUnit, LoginMode, PinGeneration
from accounts.models import IdentityProvider, PrinterLoginConfiguration
from accounts.services import printer_login as pins
from tests.conftest import make_user

FEDERATION = ("If an authentication provider has been configured, the PIN Generation option must be set to "
              "Administrator manually set and to Never expire.")


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


# --- service -----------------------------------------------------------------------------------------------

def test_defaults_are_standard_badge_administrator_set_never_expires(acme):
    config = pins.get_configuration(acme)
    assert (config.mode, config.badge, config.pin, config.secure_login) == (LoginMode.STANDARD, True, False, False)
    assert (config.pin_generation, config.pin_expires, config.pin_length) == (PinGeneration.ADMIN_SET, False, 4)
    assert pins.get_configuration(acme).pk == config.pk  # one per organization


def test_standard_allows_badge_and_pin_at_once(acme):
    config = pins.update_configuration(acme, badge=True, pin=True, secure_login=True)
    assert (config.badge, config.pin, config.secure_login) == (True, True, True)


def test_standard_needs_at_least_one_method(acme):
    with pytest.raises(ValidationError) as excinfo:
        pins.update_configuration(acme, badge=False, pin=False, secure_login=False)
    assert "at least one" in _errors(excinfo)["mode"][0]
    assert pins.get_configuration(acme).badge is True  # nothing written


def test_badge_plus_pin_implies_badge_and_pin_and_keeps_secure_login_optional(acme):
    config = pins.update_configuration(acme, mode=LoginMode.BADGE_PIN, badge=False, pin=False, secure_login=True)
    assert (config.badge, config.pin, config.secure_login) == (True, True, True)
    assert pins.login_method(config) == "Badge + PIN as a second factor or Manual"


def test_login_method_names_the_standard_methods(acme):
    config = pins.update_configuration(acme, badge=True, pin=True, secure_login=True)
    assert pins.login_method(config) == "PIN, Badges or Manual"


@pytest.mark.parametrize("length,ok", [(3, False), (4, True), (12, True), (13, False)])
def test_pin_length_is_from_4_to_12(acme, length, ok):
    if ok:
        assert pins.update_configuration(acme, pin_length=length).pin_length == length
    else:
        with pytest.raises(ValidationError) as excinfo:
            pins.update_configuration(acme, pin_length=length)
        assert "4 to 12" in _errors(excinfo)["pin_length"][0]


@pytest.mark.parametrize("value,unit,ok", [
    (0, "hours", False), (1, "hours", True), (48, "hours", True), (49, "hours", False),
    (0, "days", False), (1, "days", True), (180, "days", True), (181, "days", False),
])
def test_expiration_is_1_to_48_hours_or_1_to_180_days(acme, value, unit, ok):
    kwargs = {"pin_expires": True, "pin_expiration_value": value, "pin_expiration_unit": unit}
    if ok:
        config = pins.update_configuration(acme, **kwargs)
        assert (config.pin_expires, config.pin_expiration_value, config.pin_expiration_unit) == (True, value, unit)
    else:
        with pytest.raises(ValidationError) as excinfo:
            pins.update_configuration(acme, **kwargs)
        assert "pin_expiration_value" in _errors(excinfo)


def test_expiration_needs_a_unit(acme):
    with pytest.raises(ValidationError) as excinfo:
        pins.update_configuration(acme, pin_expires=True, pin_expiration_value=5, pin_expiration_unit="weeks")
    assert "pin_expiration_unit" in _errors(excinfo)


def test_auto_generate_forces_never_expires(acme):
    config = pins.update_configuration(acme, pin_generation=PinGeneration.AUTO_EMAIL, pin_expires=True,
                                       pin_expiration_value=5, pin_expiration_unit=ExpirationUnit.DAYS)
    assert (config.pin_expires, config.pin_expiration_value, config.pin_expiration_unit) == (False, None, "")
    assert config.pin_lifetime is None


def _federate(org):
    IdentityProvider.objects.create(organization=org, protocol="oidc", enabled=True)
    org.refresh_from_db()


@pytest.mark.parametrize("changes", [
    {"pin_generation": PinGeneration.AUTO_EMAIL},
    {"pin_generation": PinGeneration.USER_SET},
    {"pin_expires": True, "pin_expiration_value": 5, "pin_expiration_unit": "days"},
])
def test_federated_organization_must_use_administrator_set_and_never_expire(acme, changes):
    _federate(acme)
    with pytest.raises(ValidationError) as excinfo:
        pins.update_configuration(acme, **changes)
    assert FEDERATION in _errors(excinfo)["pin_generation"]


def test_federated_organization_may_keep_administrator_set_never_expire(acme):
    _federate(acme)
    config = pins.update_configuration(acme, pin=True, pin_length=6)
    assert (config.pin_generation, config.pin_expires, config.pin_length) == (PinGeneration.ADMIN_SET, False, 6)


def test_saving_bumps_updated_at(acme):
    before = pins.get_configuration(acme).updated_at
    assert pins.update_configuration(acme, pin=True).updated_at > before


def test_a_user_administrator_cannot_change_the_configuration(acme):
    from django.core.exceptions import PermissionDenied

    ua = make_user(acme, "ua@acme.test", ["user_administrator"])
    with pytest.raises(PermissionDenied):
        pins.update_configuration(acme, by=ua, pin=True)


# --- page --------------------------------------------------------------------------------------------------

def _url(org):
    return reverse("accounts:printer-login", kwargs={"org_id": org.pk})


def _form(**overrides):
    data = {"mode": "standard", "badge": "on", "pin_length": "4", "pin_generation": "admin_set",
            "pin_expires": "never", "pin_expiration_value": "5", "pin_expiration_unit": "days"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_page_shows_the_modes_pin_details_and_help_texts(client, org_admin, acme):
    client.force_login(org_admin)
    body = client.get(_url(acme)).content.decode()
    for text in ("Standard authentication", "Badge + PIN as second factor", "Organization PIN Details",
                 "Specify the PIN length", "Automatically generate and email", "Administrator manually set",
                 "User set", "An auto generated PIN will be sent to users via e-mail. A user may request a new PIN.",
                 "Administrator sets the PIN when importing users. A user cannot reset the PIN.",
                 "Never expires", "Expires after", "Save Changes"):
        assert text in body, text


def test_page_saves_badge_plus_pin_with_expiry(client, org_admin, acme):
    client.force_login(org_admin)
    response = client.post(_url(acme), _form(mode="badge_pin", badge=None, secure_login_2fa="on", pin_length="6",
                                             pin_expires="after", pin_expiration_value="5"))
    assert response.status_code == 302
    config = PrinterLoginConfiguration.objects.get(organization=acme)
    assert (config.mode, config.badge, config.pin, config.secure_login) == ("badge_pin", True, True, True)
    assert (config.pin_length, config.pin_expires, config.pin_expiration_value, config.pin_expiration_unit) == \
        (6, True, 5, "days")


def test_page_secure_login_of_the_other_mode_is_ignored(client, org_admin, acme):
    client.force_login(org_admin)
    client.post(_url(acme), _form(secure_login_2fa="on"))
    assert PrinterLoginConfiguration.objects.get(organization=acme).secure_login is False


def test_page_shows_errors_and_saves_nothing(client, org_admin, acme):
    client.force_login(org_admin)
    response = client.post(_url(acme), _form(pin_length="13", pin_expires="after", pin_expiration_value="181"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "The PIN length must be from 4 to 12 digits." in body
    assert "Type a number from 1 to 180 day(s)." in body
    assert pins.get_configuration(acme).pin_length == 4


def test_page_refuses_federated_organization_with_the_guides_sentence(client, org_admin, acme):
    _federate(acme)
    client.force_login(org_admin)
    response = client.post(_url(acme), _form(pin_generation="user_set"))
    assert response.status_code == 400
    assert FEDERATION in response.content.decode()


def test_user_administrator_sees_the_page_but_cannot_save(client, acme):
    ua = make_user(acme, "ua@acme.test", ["user_administrator"])
    client.force_login(ua)
    response = client.get(_url(acme))
    assert response.status_code == 200 and "Save Changes" not in response.content.decode()
    assert client.post(_url(acme), _form(pin="on")).status_code == 403
    assert pins.get_configuration(acme).pin is False


def test_page_of_another_organization_answers_404(client, globex_admin, acme):
    client.force_login(globex_admin)
    assert client.get(_url(acme)).status_code == 404


# --- API ---------------------------------------------------------------------------------------------------

def _api(org):
    return f"/api/v1/organizations/{org.pk}/printer-login/"


def test_api_reads_and_updates_the_configuration(client, org_admin, acme):
    client.force_login(org_admin)
    data = client.get(_api(acme)).json()
    assert data["mode"] == "standard" and data["pin_generation"] == "admin_set" and data["login_method"] == "Badges"
    response = client.put(_api(acme), {"mode": "standard", "badge": True, "pin": True, "pin_length": 8,
                                       "pin_generation": "user_set", "pin_expires": True,
                                       "pin_expiration_value": 48, "pin_expiration_unit": "hours"},
                          content_type="application/json")
    assert response.status_code == 200, response.content
    config = pins.get_configuration(acme)
    assert (config.pin, config.pin_length, config.pin_expiration_value, config.pin_expiration_unit) == \
        (True, 8, 48, "hours")


def test_api_answers_400_with_a_message_and_writes_nothing(client, org_admin, acme):
    client.force_login(org_admin)
    response = client.put(_api(acme), {"pin_expires": True, "pin_expiration_value": 49, "pin_expiration_unit": "hours"},
                          content_type="application/json")
    assert response.status_code == 400
    assert response.json()["pin_expiration_value"] == ["Type a number from 1 to 48 hour(s)."]
    assert pins.get_configuration(acme).pin_expires is False


def test_api_write_needs_organization_administrator(client, acme):
    helpdesk = make_user(acme, "hd@acme.test", ["help_desk"])
    client.force_login(helpdesk)
    assert client.get(_api(acme)).status_code == 200
    assert client.put(_api(acme), {"pin": True}, content_type="application/json").status_code == 403


def test_api_of_another_organization_answers_404(client, globex_admin, acme):
    client.force_login(globex_admin)
    assert client.get(_api(acme)).status_code == 404
