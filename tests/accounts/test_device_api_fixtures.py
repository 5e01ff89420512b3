"""Shared fixtures of the device API tests (imported by test_device_api*.py and tests/tenancy/test_device_matrix.py):
a printer (Application) of an organization with an access token, users with a badge, a PIN and a login code."""
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from accounts.choices import ApplicationKind, LoginMode, PinSource
from accounts.services import applications, badges, login_codes, printer_login
from tests.conftest import PASSWORD, make_user

ALL_METHODS = {"badge": True, "pin": True, "secure_login": True}


def access_token(application) -> str:
    """An access token of the application, as POST /oauth/token would issue it."""
    value = secrets.token_urlsafe(30)
    get_access_token_model().objects.create(application=application, token=value, scope="device",
                                            expires=timezone.now() + timedelta(hours=2))
    return value


def printer_of(org, name="Printer"):
    app, _secret = applications.create_application(org, name, kind=ApplicationKind.DEVICE)
    return app


def configure(org, **fields):
    return printer_login.update_configuration(org, **fields)


class Person:
    """A user of an organization with every credential: badge, PIN, password and (on demand) a login code."""

    def __init__(self, org, email, badge, pin, roles=()):
        self.user = make_user(org, email, list(roles), first_name="Pat", last_name=email.split("@")[0].title(),
                              department="Finance", cost_center="CC-7")
        self.email, self.password, self.badge, self.pin = email, PASSWORD, badge, pin
        badges.register_badge(self.user, badge)
        printer_login.set_pin(self.user, pin, source=PinSource.ADMIN, notify=False)

    def code(self) -> str:
        return login_codes.issue_login_code(self.user)[0]

    def credentials(self, method) -> dict:
        if method == "code":
            return {"method": "code", "code": self.code()}
        return {"badge": {"method": "badge", "badge": self.badge},
                "pin": {"method": "pin", "pin": self.pin},
                "badge_pin": {"method": "badge_pin", "badge": self.badge, "pin": self.pin},
                "password": {"method": "password", "email": self.email, "password": self.password}}[method]


@pytest.fixture
def acme_printer(acme):
    configure(acme, **ALL_METHODS)
    return printer_of(acme, "Acme lobby printer")


@pytest.fixture
def acme_token(acme_printer):
    return access_token(acme_printer)


@pytest.fixture
def alice(acme):
    return Person(acme, "alice@acme.test", "20171a", "4821", ["print_release_management_user", "scan_management_user",
                                                               "organization_administrator"])


def badge_pin_mode(org, secure_login=False):
    return configure(org, mode=LoginMode.BADGE_PIN, secure_login=secure_login)
