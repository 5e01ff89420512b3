"""Native Agents pages: Pre-enroll Printers (typed, from a file, with the e-mail), the pre-enrolled serial's
page, Remove pre-enrolled printers, and Enroll Printer with a printer-generated code."""
import html
import io

import pytest
from django.core import mail

from fleet.models import Agent, PreEnrollment, Printer
from fleet.services import native
from tests.conftest import make_user


@pytest.fixture
def signed_in(client, acme):
    client.force_login(make_user(acme, "fleet@acme.test", ["fleet_management_administrator"]))
    return client


def url(org, rest=""):
    return f"/o/{org.pk}/fleet/agents/{rest}"


def text(response):
    return " ".join(html.unescape(response.content.decode()).split())


def test_pre_enroll_typed_serials(signed_in, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url(acme, "native/pre-enroll/"), {
            "source": "manual", "serials": "50285510100t1\n7015207200004\n50285510100t1", "email": "it@acme.test"},
            follow=True)
    code = native.enrollment_code(acme).code
    page = text(response)
    assert f"2 printers pre-enrolled. 1 duplicate serial number ignored. Enrollment code: {code}" in page
    assert "Printer pre-enrolled" in page
    [message] = mail.outbox
    assert code in message.body and message.to == ["it@acme.test"]


def test_pre_enroll_from_a_file_reports_bad_lines(signed_in, acme):
    bad = io.BytesIO(b"Serial Number\nABC123\nnot valid\n")
    bad.name = "serials.csv"
    response = signed_in.post(url(acme, "native/pre-enroll/"), {"source": "file", "file": bad})
    assert 'Line 3: "not valid" is not a valid serial number.' in text(response)
    assert not PreEnrollment.objects.exists()
    good = io.BytesIO(b"ABC123\r\nDEF456\r\n")
    good.name = "serials.txt"
    signed_in.post(url(acme, "native/pre-enroll/"), {"source": "file", "file": good})
    assert set(PreEnrollment.objects.values_list("serial", flat=True)) == {"ABC123", "DEF456"}
    response = signed_in.post(url(acme, "native/pre-enroll/"), {"source": "manual", "serials": ""})
    assert "Type a serial number." in text(response)


def test_pre_enrolled_page_and_removal(signed_in, acme, globex):
    [pre] = native.pre_enroll(acme, ["ABC123"]).added
    page = text(signed_in.get(url(acme, f"native/pre-enrolled/{pre.pk}/")))
    assert "The printer associated with this agent is only pre-enrolled. You must complete enrollment at the " \
           "printer using the enrollment code." in page
    assert native.enrollment_code(acme).code in page and "Remove pre-enrolled printer" in page
    [theirs] = native.pre_enroll(globex, ["G1"]).added
    assert signed_in.get(url(acme, f"native/pre-enrolled/{theirs.pk}/")).status_code == 404
    signed_in.post(url(acme, f"native/pre-enrolled/{pre.pk}/remove/"))
    assert not PreEnrollment.objects.filter(organization=acme).exists()


def test_remove_several_pre_enrolled_printers(signed_in, acme):
    rows = native.pre_enroll(acme, ["A1", "A2", "A3"]).added
    page = text(signed_in.get(url(acme, "native/pre-enroll/remove/")))
    assert "A1" in page and "A3" in page
    signed_in.post(url(acme, "native/pre-enroll/remove/"), {"ids": [rows[0].pk, rows[2].pk]})
    assert list(PreEnrollment.objects.values_list("serial", flat=True)) == ["A2"]


def test_enroll_printer_with_a_printer_generated_code(signed_in, acme):
    page = text(signed_in.get(url(acme, "native/enroll/")))
    assert "Enter the enrollment code received from the printer" in page
    assert "NOTE: To enroll multiple printers simultaneously with native agents, use the Printer Enrollment Tool." in page
    response = signed_in.post(url(acme, "native/enroll/"), {"code": "nope1234"})
    assert "The enrollment code is invalid or expired." in text(response)
    row, _claim = native.request_printer_code("PG9", {"model": "Lexmark CS725", "ip": "127.0.80.1"})
    response = signed_in.post(url(acme, "native/enroll/"), {"code": row.code}, follow=True)
    assert "Printer PG9 enrolled." in text(response)
    printer = Printer.objects.get(organization=acme, serial="PG9")
    assert printer.agent.kind == "native" and Agent.objects.filter(kind="native").count() == 1
    assert "PG9" in text(signed_in.get(url(acme, "?section=native")))
