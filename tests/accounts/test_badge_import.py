"""Badge / PIN import (spec C §21, T10-T16, A test cases 31-33): the guide's sample files, any column order,
quoted badge IDs, short rows, required values by login mode, PIN options, authority, size."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.choices import LoginMode, PinGeneration, PinSource
from accounts.models import Badge, UserPin
from accounts.services import printer_login as pin_services
from accounts.services.badge_import import NO_USER, import_badges
from accounts.services.badges import register_badge
from tests.conftest import make_user

DATA = Path(__file__).resolve().parent.parent / "data"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def configure(org, *, mode=LoginMode.STANDARD, badge=True, pin=False, generation=PinGeneration.ADMIN_SET,
              length=6):
    config = pin_services.get_configuration(org)
    config.mode, config.badge, config.pin, config.pin_generation, config.pin_length = (
        mode, badge, pin, generation, length)
    config.save()
    return config


@pytest.fixture
def people(acme):
    jdoe = make_user(acme, "jdoe@company.com")
    llane = make_user(acme, "llane@company.com")
    ckent = make_user(acme, "ckent@company.com")
    return jdoe, llane, ckent


def test_guide_badge_only_sample_creates_temporary_badges_and_deletes_one(acme, people):  # T10
    jdoe, llane, ckent = people
    configure(acme, badge=True, pin=False)
    register_badge(ckent, "20173c")
    before = timezone.now()
    result = import_badges(acme, sample("badges_badge_only.csv"))
    assert result.errors == []
    assert (result.badges_created, result.badges_deleted) == (2, 1)
    first = Badge.objects.get(organization=acme, badge_id="20171a")
    assert first.user == jdoe and first.temporary
    assert before + timedelta(hours=24) <= first.expires_at <= timezone.now() + timedelta(hours=24)
    assert Badge.objects.get(organization=acme, badge_id="20172b").user == llane
    assert not Badge.objects.filter(organization=acme, badge_id="20173c").exists()


def test_guide_pin_only_sample_sets_pins_under_administrator_manually_set(acme, people):  # T11
    jdoe, llane, ckent = people
    configure(acme, badge=False, pin=True, generation=PinGeneration.ADMIN_SET)
    pin_services.set_pin(ckent, "999999", notify=False)
    result = import_badges(acme, sample("badges_pin_only.csv"))
    assert result.errors == []
    assert (result.pins_set, result.pins_deleted) == (2, 1)
    assert pin_services.check_user_pin(jdoe, "123456")
    assert pin_services.check_user_pin(llane, "234567")
    assert UserPin.objects.get(user=jdoe).source == PinSource.IMPORT
    assert not UserPin.objects.filter(user=ckent).exists()
    assert not Badge.objects.filter(organization=acme).exists()


def test_reordered_columns_give_the_same_result_as_the_pin_only_sample(acme, people):  # T13, A 32
    jdoe, llane, ckent = people
    configure(acme, badge=False, pin=True)
    pin_services.set_pin(ckent, "999999", notify=False)
    result = import_badges(acme, sample("badges_reordered.csv"))
    assert result.errors == []
    assert pin_services.check_user_pin(jdoe, "123456") and pin_services.check_user_pin(llane, "234567")
    assert not UserPin.objects.filter(user=ckent).exists()


def test_pin_values_are_ignored_and_pins_generated_under_automatically_generate_and_email(
        acme, people, django_capture_on_commit_callbacks):  # A 31
    jdoe, llane, _ckent = people
    configure(acme, badge=False, pin=True, generation=PinGeneration.AUTO_EMAIL)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_badges(acme, sample("badges_pin_only.csv"))
    assert result.errors == []
    assert result.pins_generated == 2 and result.pins_set == 0
    assert UserPin.objects.get(user=jdoe).source == PinSource.SYSTEM
    assert UserPin.objects.get(user=llane).source == PinSource.SYSTEM
    assert sorted(m.to[0] for m in mail.outbox) == ["jdoe@company.com", "llane@company.com"]


def test_guide_badge_and_pin_sample_under_badge_plus_pin(acme, people):  # T12
    jdoe, llane, ckent = people
    configure(acme, mode=LoginMode.BADGE_PIN)
    register_badge(ckent, "20173c")
    pin_services.set_pin(ckent, "345678", notify=False)
    result = import_badges(acme, sample("badges_badge_and_pin.csv"))
    assert result.errors == []
    assert Badge.objects.get(organization=acme, badge_id="20171a").user == jdoe
    assert pin_services.check_user_pin(jdoe, "123456") and pin_services.check_user_pin(llane, "234567")
    assert not Badge.objects.filter(badge_id="20173c").exists()
    assert not UserPin.objects.filter(user=ckent).exists()


def test_badge_id_in_quotes_may_contain_commas(acme, people):  # T14
    configure(acme)
    result = import_badges(acme, sample("badges_quoted.csv"))
    assert result.errors == []
    badge = Badge.objects.get(organization=acme)
    assert badge.badge_id == "20171a,2a,3a" and badge.user == people[0] and not badge.temporary


def test_short_delete_row_of_the_guide_is_padded_and_deletes_the_badge(acme, people):  # T15
    configure(acme)
    register_badge(people[2], "20171a")
    result = import_badges(acme, sample("badges_short_row.csv"))
    assert result.errors == [] and result.badges_deleted == 1
    assert not Badge.objects.filter(organization=acme).exists()


def test_badge_import_does_not_create_a_user(acme, people):  # A 33
    configure(acme)
    result = import_badges(acme, "BADGE, OPERATION, EMAIL, TEMPORARY, PIN\nb1, CREATE, nobody@company.com, false,\n")
    assert result.errors == [{"line": 2, "email": "nobody@company.com", "reason": NO_USER}]
    assert not Badge.objects.exists()


def test_emails_are_lower_cased(acme, people):  # T5
    configure(acme)
    result = import_badges(acme, "BADGE,OPERATION,EMAIL,TEMPORARY,PIN\nb1,CREATE,JDOE@company.com,false,\n")
    assert result.errors == []
    assert Badge.objects.get(badge_id="b1").user == people[0]


@pytest.mark.parametrize("mode,badge,pin,line,reason", [
    (LoginMode.STANDARD, True, False, ", CREATE, jdoe@company.com, , 123456", "BADGE must not be empty"),
    (LoginMode.BADGE_PIN, True, False, ", CREATE, jdoe@company.com, , 123456", "BADGE must not be empty"),
    (LoginMode.STANDARD, False, True, "b1, CREATE, jdoe@company.com, false,", "PIN must not be empty"),
    (LoginMode.BADGE_PIN, True, False, "b1, CREATE, jdoe@company.com, false,", "PIN must not be empty"),
    (LoginMode.STANDARD, True, True, ", CREATE, jdoe@company.com, ,", "needs a BADGE or a PIN"),
    (LoginMode.STANDARD, True, False, "b1, CREATE, , false,", "EMAIL is required"),
])
def test_required_values_follow_the_printer_login_mode(acme, people, mode, badge, pin, line, reason):  # T16
    configure(acme, mode=mode, badge=badge, pin=pin)
    result = import_badges(acme, "BADGE, OPERATION, EMAIL, TEMPORARY, PIN\n" + line + "\n")
    assert len(result.errors) == 1 and result.errors[0]["line"] == 2
    assert reason in result.errors[0]["reason"]
    assert not Badge.objects.exists() and not UserPin.objects.exists()


def test_each_bad_line_is_reported_with_its_line_number_and_good_lines_apply(acme, people):
    configure(acme)
    register_badge(people[1], "taken")
    content = ("BADGE, OPERATION, EMAIL, TEMPORARY, PIN\n"
               "ok1, CREATE, jdoe@company.com, false,\n"
               "taken, CREATE, jdoe@company.com, false,\n"
               "x, UPDATE, jdoe@company.com, false,\n"
               "y, CREATE, jdoe@company.com, maybe,\n"
               "a,b,c,d,e,f\n"
               "\n"
               "ok2, CREATE, llane@company.com, true,\n"
               "missing, DELETE, , ,\n")
    result = import_badges(acme, content)
    assert [e["line"] for e in result.errors] == [3, 4, 5, 6, 9]
    reasons = [e["reason"] for e in result.errors]
    assert reasons[0] == "This badge ID is already registered."
    assert "CREATE or DELETE" in reasons[1] and "true or false" in reasons[2] and "double quotation" in reasons[3]
    assert result.badges_created == 2
    assert set(Badge.objects.values_list("badge_id", flat=True)) == {"taken", "ok1", "ok2"}


def test_a_row_whose_pin_fails_changes_nothing_not_even_its_badge(acme, people):
    configure(acme, mode=LoginMode.BADGE_PIN, length=6)
    result = import_badges(acme, "BADGE, OPERATION, EMAIL, TEMPORARY, PIN\nb1, CREATE, jdoe@company.com, false, 12\n")
    assert result.errors and result.errors[0]["line"] == 2
    assert not Badge.objects.exists()


def test_header_names_are_case_sensitive(acme):
    configure(acme)
    with pytest.raises(ValidationError, match="case-sensitive"):
        import_badges(acme, "badge, operation, email, temporary, pin\n")


def test_header_must_name_the_five_columns(acme):
    with pytest.raises(ValidationError, match="BADGE, OPERATION, EMAIL, TEMPORARY, PIN"):
        import_badges(acme, "BADGE, OPERATION, EMAIL\n")


def test_file_over_one_megabyte_is_rejected(acme):
    content = b"BADGE, OPERATION, EMAIL, TEMPORARY, PIN\n" + b"x" * (1024 * 1024)
    with pytest.raises(ValidationError, match="The size of the CSV file must not exceed 1MB."):
        import_badges(acme, content)


def test_rows_for_users_above_the_importer_are_errors(acme, people):
    configure(acme)
    useradmin = make_user(acme, "ua@acme.test", ["user_administrator"])
    boss = make_user(acme, "boss@company.com", ["organization_administrator"])
    register_badge(boss, "bossbadge")
    content = ("BADGE, OPERATION, EMAIL, TEMPORARY, PIN\n"
               "b1, CREATE, boss@company.com, false,\n"
               "bossbadge, DELETE, , ,\n"
               "b2, CREATE, jdoe@company.com, false,\n")
    result = import_badges(acme, content, by=useradmin)
    assert [e["line"] for e in result.errors] == [2, 3]
    assert all("more rights" in e["reason"] for e in result.errors)
    assert set(Badge.objects.values_list("badge_id", flat=True)) == {"bossbadge", "b2"}


def test_import_never_touches_another_organizations_users_or_badges(acme, globex, people):
    configure(acme)
    outsider = make_user(globex, "out@globex.test")
    register_badge(outsider, "20173c")
    result = import_badges(acme, "BADGE, OPERATION, EMAIL, TEMPORARY, PIN\n"
                                 "b1, CREATE, out@globex.test, false,\n20173c, DELETE, , ,\n")
    assert [e["line"] for e in result.errors] == [2, 3]
    assert Badge.objects.filter(organization=globex, badge_id="20173c").exists()
