"""User import service (spec C §9, test cases T1–T8 of C §25): parsing, rules, batches, e-mails."""
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import ImportStatus
from accounts.models import Group, User, UserImport
from accounts.services import imports as svc
from tests.conftest import make_user

DATA = Path(__file__).resolve().parent.parent / "data"
HEADER = svc.HEADER_LINE


def csv_text(*lines):
    return "\n".join([HEADER, *lines]) + "\n"


@pytest.fixture
def company(acme, org_admin):
    """The users the guide's sample file updates and deletes."""
    make_user(acme, "llane@company.com", first_name="L")
    make_user(acme, "ckent@company.com")
    return acme


def test_guide_sample_file_is_the_served_sample():
    assert (DATA / "guide_users.csv").read_text().splitlines() == svc.SAMPLE_CSV.splitlines()


def test_guide_sample_creates_jdoe_with_group_and_custom_attributes(company, org_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = svc.import_users(company, (DATA / "guide_users.csv").read_bytes(), by=org_admin,
                                  send_password_links=True)
    jdoe = User.objects.get(email="jdoe@company.com")
    assert (jdoe.first_name, jdoe.last_name, jdoe.display_name, jdoe.shortname) == ("John", "Doe", "Johnny", "jdoe")
    assert jdoe.custom_attributes == {"key1": "value1", "key2": "value2"}
    assert list(jdoe.member_of.values_list("name", flat=True)) == ["Group 1"]
    assert not jdoe.has_usable_password()
    assert not User.objects.filter(email="ckent@company.com").exists()
    assert (result.created, result.updated, result.deleted) == (1, 0, 1)
    assert [m.to for m in mail.outbox] == [["jdoe@company.com"]]
    assert "Set up your lexcloud account" in mail.outbox[0].subject


def test_guide_sample_llane_password2_is_reported_with_the_policy_message(company, org_admin):
    result = svc.import_users(company, (DATA / "guide_users.csv").read_bytes(), by=org_admin,
                              send_password_links=True)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error["line"] == 3 and error["email"] == "llane@company.com"
    assert "uppercase" in error["reason"] and "special character" in error["reason"]
    assert User.objects.get(email="llane@company.com").first_name == "L"  # the bad line changed nothing


def test_quoted_values_with_commas_are_one_value(company, org_admin):
    result = svc.import_users(company, csv_text(
        'llane@company.com,UPDATE,"pass,Word2!",Lois,Lane,"Lois,Lane",llane,"Group1,Group2",'), by=org_admin)
    assert result.errors == [] and result.updated == 1
    llane = User.objects.get(email="llane@company.com")
    assert llane.display_name == "Lois,Lane" and llane.check_password("pass,Word2!")
    assert sorted(llane.member_of.values_list("name", flat=True)) == ["Group1", "Group2"]


def test_minimal_delete_row_with_seven_values_deletes(company, org_admin):
    make_user(company, "jd@company.com")
    result = svc.import_users(company, csv_text("jd@company.com,DELETE,,,,,"), by=org_admin)
    assert result.deleted == 1 and not User.objects.filter(email="jd@company.com").exists()


def test_upper_case_email_is_lower_cased(acme, org_admin):
    svc.import_users(acme, csv_text("JDOE@Company.com,CREATE,Abcdef1!,John"), by=org_admin)
    assert User.objects.filter(email="jdoe@company.com", organization=acme).exists()


def test_group_names_are_sanitised_and_existing_groups_reused(acme, org_admin):
    existing = Group.objects.create(organization=acme, name="Staff")
    before = Group.objects.filter(organization=acme).count()
    svc.import_users(acme, csv_text('a@company.com,CREATE,Abcdef1!,,,,,"Sales#1,R&D,staff"'), by=org_admin)
    user = User.objects.get(email="a@company.com")
    assert sorted(user.member_of.values_list("name", flat=True)) == ["R_D", "Sales_1", "Staff"]
    assert Group.objects.filter(organization=acme).count() == before + 2 and existing in user.member_of.all()


def test_update_with_delete_action_clears_names_and_empty_leaves_unchanged(acme, org_admin):
    make_user(acme, "jdoe@company.com", first_name="John", last_name="Doe", display_name="Johnny",
              shortname="jdoe", department="Sales")
    svc.import_users(acme, csv_text("jdoe@company.com,UPDATE,,[delete],[delete],[delete],[delete],,,,"), by=org_admin)
    jdoe = User.objects.get(email="jdoe@company.com")
    assert (jdoe.first_name, jdoe.last_name, jdoe.display_name, jdoe.shortname) == ("", "", "", "")
    assert jdoe.department == "Sales"


def test_custom_attributes_accept_the_guides_semicolon_form(acme, org_admin):
    svc.import_users(acme, csv_text("""a@company.com,CREATE,Abcdef1!,,,,,,"{key1:'value1';key2:'value2'}\""""),
                     by=org_admin)
    assert User.objects.get(email="a@company.com").custom_attributes == {"key1": "value1", "key2": "value2"}


def test_file_of_one_megabyte_plus_one_byte_is_rejected(acme, settings):
    content = csv_text("a@company.com,DELETE").encode()
    content += b"#" * (settings.IMPORT_MAX_BYTES + 1 - len(content))
    assert len(content) == 1024 * 1024 + 1
    with pytest.raises(ValidationError, match="must not exceed 1MB"):
        svc.import_users(acme, content)


def test_lower_case_header_is_rejected_as_case_sensitive(acme):
    with pytest.raises(ValidationError, match="case-sensitive"):
        svc.import_users(acme, HEADER.replace("EMAIL", "email", 1) + "\na@company.com,DELETE\n")


def test_header_with_a_missing_column_is_rejected(acme):
    with pytest.raises(ValidationError, match="first line must be the header"):
        svc.import_users(acme, HEADER.replace(",DEPARTMENT", "") + "\n")


def test_utf8_bom_is_accepted_and_other_encodings_rejected(acme, org_admin):
    svc.import_users(acme, ("\ufeff" + csv_text("b@company.com,CREATE,Abcdef1!,Zoë")).encode("utf-8"), by=org_admin)
    assert User.objects.get(email="b@company.com").first_name == "Zoë"
    with pytest.raises(ValidationError, match="UTF-8"):
        svc.import_users(acme, csv_text("c@company.com,CREATE,Abcdef1!,Zoë").encode("latin-1"))


def test_bad_rows_change_nothing_and_are_reported_while_good_rows_apply(acme, globex, org_admin):
    make_user(acme, "exists@company.com")
    outsider = make_user(globex, "outsider@company.com", first_name="Out")
    result = svc.import_users(acme, csv_text(
        "good@company.com,CREATE,Abcdef1!,Good",                       # 2
        "exists@company.com,CREATE,Abcdef1!",                          # 3 exists
        "nobody@company.com,UPDATE,,X",                                # 4 unknown
        "outsider@company.com,UPDATE,,Changed",                        # 5 other organization
        "outsider@company.com,DELETE",                                 # 6 (already on line 5)
        "nopass@company.com,CREATE,,No",                               # 7 no password, no link option
        "weak@company.com,CREATE,weak",                                # 8 policy
        "too@company.com,CREATE,,,,,,,,,,extra",                       # 9 twelve values
        "not-an-email,CREATE,Abcdef1!",                                # 10
        "x@company.com,MOVE",                                          # 11
        "admin@acme.test,DELETE",                                      # 12 the importing admin
        "attrs@company.com,CREATE,Abcdef1!,,,,,,{not valid",           # 13
    ), by=org_admin)
    reasons = {e["line"]: e["reason"] for e in result.errors}
    assert sorted(reasons) == list(range(3, 14))
    assert reasons[3] == "E-mail must be unique."
    assert reasons[4] == reasons[5] == "User not found in this organization."
    assert "already on line 5" in reasons[6]
    assert "E-mail a link to change the password" in reasons[7]
    assert "at least 8 characters" in reasons[8]
    assert "12 values" in reasons[9]
    assert reasons[12] == "You cannot delete your own account."
    assert "CUSTOM_ATTRIBUTES" in reasons[13]
    assert result.created == 1 and result.updated == 0 and result.deleted == 0
    assert set(User.objects.filter(organization=acme).values_list("email", flat=True)) == {
        "admin@acme.test", "exists@company.com", "good@company.com"}
    outsider.refresh_from_db()
    assert outsider.first_name == "Out" and outsider.organization == globex


def test_create_with_password_sets_it_and_sends_no_link(acme, org_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        svc.import_users(acme, csv_text("p@company.com,CREATE,Abcdef1!"), by=org_admin, send_password_links=True)
    assert User.objects.get(email="p@company.com").check_password("Abcdef1!")
    assert mail.outbox == []


def test_progress_is_reported_per_batch(acme, org_admin, monkeypatch):
    monkeypatch.setattr(svc, "BATCH_SIZE", 10)
    calls = []
    svc.import_users(acme, csv_text(*[f"u{i}@company.com,CREATE,,,,,,,,," for i in range(25)]), by=org_admin,
                     send_password_links=True, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 25), (10, 25), (20, 25), (25, 25)]


def _queries_for(org, rows, by):
    domain = org.name.lower()
    lines = []
    for i in range(rows):
        lines.append(f'n{i}@{domain}.com,CREATE,,N{i},,,,"G{i % 3},Shared",,,')
    lines += [f"old{i}@{domain}.com,UPDATE,,Renamed,,,,Shared" for i in range(rows // 5)]
    lines += [f"gone{i}@{domain}.com,DELETE" for i in range(rows // 5)]
    with CaptureQueriesContext(connection) as ctx:
        result = svc.import_users(org, csv_text(*lines), by=by, send_password_links=True)
    assert result.errors == []
    return len(ctx.captured_queries)


def test_queries_grow_with_batches_not_rows(acme, globex, org_admin, globex_admin, monkeypatch):
    monkeypatch.setattr(svc, "BATCH_SIZE", 50)
    User.objects.bulk_create([User(email=f"{kind}{i}@{org.name.lower()}.com", organization=org, password="!")
                              for org, size in ((acme, 10), (globex, 100)) for kind in ("old", "gone")
                              for i in range(size)])
    # acme: 50 CREATE + 10 UPDATE + 10 DELETE = 70 rows = 2 batches;
    # globex: 500 CREATE + 100 + 100 = 700 rows = 14 batches.
    small = _queries_for(acme, 50, org_admin)
    large = _queries_for(globex, 500, globex_admin)
    per_batch = small / 2
    assert large <= per_batch * 14 + 2
    assert User.objects.filter(organization=globex, first_name="Renamed").count() == 100


def test_run_import_stores_result_and_mails_the_log(acme, org_admin):
    user_import = UserImport.objects.create(
        organization=acme, created_by=org_admin, filename="users.csv", send_password_links=False,
        content=csv_text("ok@company.com,CREATE,Abcdef1!", "bad@company.com,CREATE,weak"))
    svc.run_import(user_import)
    user_import.refresh_from_db()
    assert user_import.status == ImportStatus.DONE and user_import.percent == 100
    assert user_import.processed_rows == user_import.total_rows == 2
    assert user_import.result["created"] == 1 and user_import.result["errors"][0]["line"] == 3
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["admin@acme.test"]
    body = mail.outbox[0].body
    assert "Created:    1" in body and "Line 3 (bad@company.com): Password must be at least 8" in body


def test_start_user_import_runs_in_the_background_task(acme, org_admin, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("users.txt", csv_text("t@company.com,CREATE,Abcdef1!").encode())
    with django_capture_on_commit_callbacks(execute=True):
        user_import = svc.start_user_import(acme, upload, by=org_admin, send_password_links=False)
    user_import.refresh_from_db()
    assert user_import.status == ImportStatus.DONE and User.objects.filter(email="t@company.com").exists()
    assert mail.outbox[0].subject.startswith("lexcloud user import log")


def test_start_user_import_rejects_a_bad_file_and_stores_nothing(acme, org_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    for name, content, message in [("u.csv", b"email,OPERATION\n", "first line must be the header"),
                                   ("u.xlsx", csv_text().encode(), "CSV or TXT"),
                                   ("u.csv", b"x" * (1024 * 1024 + 1), "1MB")]:
        with pytest.raises(ValidationError, match=message):
            svc.start_user_import(acme, SimpleUploadedFile(name, content), by=org_admin)
    assert not UserImport.objects.exists()


def test_task_exits_quietly_when_the_import_is_gone(db):
    from accounts.tasks import run_user_import

    assert run_user_import(123456) is None


def test_guide_quoted_delete_and_sanitise_examples_parse_cleanly():
    rows, errors = svc.parse_user_csv((DATA / "guide_users_quoted.csv").read_text())
    assert errors == []
    llane, jd, jdoe = rows
    assert llane.password == "pass,Word2!" and llane.profile["display_name"] == "Lois,Lane"
    assert llane.groups == ["Group1", "Group2"] and jd.operation == "DELETE"
    assert jdoe.email == "jdoe@company.com" and jdoe.groups == ["Sales_1", "R_D"]
