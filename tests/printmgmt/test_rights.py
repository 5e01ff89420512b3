"""Who may print (printmgmt.services.rights.may_print): one rule for release at a printer, print clients, IPP
and print tokens. Print users and administrators may; a guest only while the organization accepts guests."""
import pytest

from printmgmt.services import guests, print_tokens
from printmgmt.services.history import sheets_for
from printmgmt.services.org_settings import update_settings
from printmgmt.services.rights import may_print
from tests.accounts.test_device_api_fixtures import configure
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_print_users_and_administrators_may_print_others_not(acme, globex, pam, ada):
    nobody = make_user(acme, "nobody@acme.test")
    assert may_print(pam, acme) and may_print(ada, acme)
    assert not may_print(nobody, acme)
    assert not may_print(pam, globex)                      # never in another organization
    pam.is_active = False
    assert not may_print(pam, acme)
    # the same rule for print tokens (IPP): administrators too, guests never
    assert print_tokens.may_hold_tokens(ada) and not print_tokens.may_hold_tokens(nobody)


def test_a_guest_prints_only_while_the_organization_accepts_guests(acme):
    configure(acme, pin=True)
    update_settings(acme, email_submission=True, guest_email_submission=True)
    guest = guests.guest_for(acme, "visitor@guest.test").user
    assert guest.is_guest and may_print(guest, acme)
    assert not print_tokens.may_hold_tokens(guest)
    update_settings(acme, guest_email_submission=False)
    assert not may_print(guest, acme)


@pytest.mark.parametrize("impressions,copies,duplex,sheets", [
    (6, 2, False, 6), (6, 2, True, 4),    # 3 pages twice, two-sided: 2 sheets per copy
    (4, 1, True, 2), (0, 1, True, 0), (5, 0, True, 3)])
def test_sheets_for(impressions, copies, duplex, sheets):
    assert sheets_for(impressions, copies, duplex) == sheets
