"""The demo data of `make run`: idempotent, with working printer logins."""
from io import StringIO

from django.core.management import call_command

from accounts.models import Application, Organization, User
from accounts.services import badges, printer_login


def test_seed_demo_is_idempotent_and_prepares_printer_login(db):
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    assert "client_secret" in first.getvalue() and "client_secret" not in second.getvalue()
    assert Organization.objects.count() == 3 and Application.objects.count() == 1
    acme = Organization.objects.get(name="Acme Corporation")
    john = User.objects.get(email="john.doe@acme.lexcloud.test")
    assert badges.find_badge(acme, "0001a").user == john
    assert printer_login.find_user_by_pin(acme, "4821") == john
    assert User.objects.get(email="admin@acme.lexcloud.test").check_password("Demo-pass1!")
