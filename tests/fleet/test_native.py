"""Native Agent enrollment: the organization's enrollment code, pre-enrollment by serial (typed or from a
file, with the e-mail), the printer completing enrollment with the code, printer-generated codes redeemed in
the portal and claimed by the printer, and removing pre-enrolled printers."""
import base64
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from fleet.choices import Activation, AgentType
from fleet.models import Agent, EnrollmentCode, PreEnrollment, Printer, PrinterEnrollmentCode
from fleet.services import agents as agent_services
from fleet.services import native

ENROLL = "/api/agents/v1/enroll"
CODES = "/api/agents/v1/enrollment-codes"
CLAIM = "/api/agents/v1/enrollment-codes/claim"
IDENTITY = {"model": "Lexmark CX725de", "ip": "127.0.30.5", "mac": "00:21:b7:00:00:01", "firmware": "081.215"}


def basic(device_id, secret):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{device_id}:{secret}".encode()).decode()}


# --- the organization's code -----------------------------------------------------------------------------
def test_one_enrollment_code_per_organization(acme, globex):
    code = native.enrollment_code(acme)
    assert native.enrollment_code(acme) == code
    assert len(code.code) == 6 and set(code.code) <= set(native.ORG_CODE_ALPHABET)
    assert native.enrollment_code(globex).code != code.code
    assert EnrollmentCode.objects.count() == 2


# --- pre-enrollment --------------------------------------------------------------------------------------
def test_pre_enroll_typed_serials_ignores_duplicates(acme, org_admin):
    result = native.pre_enroll(acme, ["50285510100t1", "7015207200004", "50285510100T1"], user=org_admin)
    assert [p.serial for p in result.added] == ["50285510100t1", "7015207200004"] and result.duplicates == 1
    again = native.pre_enroll(acme, native.serials_from_text("7015207200004\n 7015207200005 "))
    assert len(again.added) == 1 and again.duplicates == 1
    assert PreEnrollment.objects.filter(organization=acme).count() == 3


def test_pre_enroll_rejects_bad_serials_and_writes_nothing(acme):
    with pytest.raises(ValidationError) as error:
        native.pre_enroll(acme, ["GOOD1", "bad serial!", "x" * 70])
    assert error.value.message_dict["serials"][0] == '"bad serial!" is not a valid serial number.'
    assert not PreEnrollment.objects.exists()


def test_serials_from_a_file_with_header_and_line_errors():
    assert native.serials_from_file(b"Serial Number\r\nABC123\r\n\r\nDEF456\r\n") == ["ABC123", "DEF456"]
    assert native.serials_from_file("ABC123\nDEF456,extra\n") == ["ABC123", "DEF456"]
    with pytest.raises(ValidationError) as error:
        native.serials_from_file("Serial Number\nABC123\nno good\n\n??\n")
    assert error.value.messages == ['Line 3: "no good" is not a valid serial number.',
                                    'Line 5: "??" is not a valid serial number.']
    with pytest.raises(ValidationError, match="no serial number"):
        native.serials_from_file("Serial Number\n")
    with pytest.raises(ValidationError, match="UTF-8"):
        native.serials_from_file(b"\xff\xfeA\x00")


def test_pre_enroll_mails_the_code_and_instructions_after_commit(acme, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        native.pre_enroll(acme, ["ABC123"], email="it@acme.test", request_base_url="http://127.0.0.1:8000")
    [message] = smtp_server.messages
    code = native.enrollment_code(acme).code
    assert message["To"] == "it@acme.test" and code in message.get_content()
    assert "ABC123" in message.get_content() and "case-sensitive" in message.get_content()


def test_no_mail_when_nothing_was_added(acme, django_capture_on_commit_callbacks):
    native.pre_enroll(acme, ["ABC123"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        native.pre_enroll(acme, ["ABC123"], email="it@acme.test")
    assert mail.outbox == []
    with pytest.raises(ValidationError, match="valid e-mail"):
        native.pre_enroll(acme, ["XYZ"], email="not-an-address")


def test_remove_pre_enrolled_printers_only_in_the_organization(acme, globex):
    mine = native.pre_enroll(acme, ["A1", "A2"]).added
    theirs = native.pre_enroll(globex, ["G1"]).added
    assert native.remove_pre_enrollments(acme, [mine[0].pk, theirs[0].pk]) == 1
    assert set(PreEnrollment.objects.values_list("serial", flat=True)) == {"A2", "G1"}


# --- the printer enrolls with the organization's code ----------------------------------------------------
def test_a_pre_enrolled_printer_enrolls_with_the_code(client, acme):
    native.pre_enroll(acme, ["50285510100t1"])
    code = native.enrollment_code(acme).code
    response = client.post(ENROLL, {"serial": "50285510100T1", "enrollment_code": code, "identity": IDENTITY},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    agent = Agent.objects.get(device_id=body["device_id"])
    assert (agent.kind, agent.activation, agent.organization) == (AgentType.NATIVE, Activation.ACTIVATED, acme)
    assert agent.check_secret(body["secret"]) and body["agent"]["kind"] == "native"
    printer = Printer.objects.get(organization=acme, agent=agent)
    assert (printer.serial, printer.model_name, str(printer.ip_address)) == ("50285510100t1", "Lexmark CX725de", "127.0.30.5")
    assert not PreEnrollment.objects.filter(organization=acme).exists()
    assert client.get("/api/agents/v1/definition", **basic(agent.device_id, body["secret"])).status_code == 200


@pytest.mark.parametrize("case", ["lowercase_code", "not_pre_enrolled", "other_org_code", "unknown_code"])
def test_enrollment_code_refusals(client, acme, globex, case):
    native.pre_enroll(acme, ["SER1"])
    code, serial = native.enrollment_code(acme).code, "SER1"
    if case == "lowercase_code":
        code = code.lower()      # "The enrollment code is case-sensitive."
    elif case == "not_pre_enrolled":
        serial = "SER2"
    elif case == "other_org_code":
        code = native.enrollment_code(globex).code
    else:
        code = "ZZZZZ9"
    response = client.post(ENROLL, {"serial": serial, "enrollment_code": code}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "The enrollment code is invalid or expired."}
    assert not Agent.objects.filter(kind="native").exists()


def test_each_native_printer_has_its_own_agent_and_credentials(acme):
    native.pre_enroll(acme, ["N1", "N2"])
    code = native.enrollment_code(acme).code
    one = native.enroll_pre_enrolled(serial="N1", code=code, identity={"ip": "127.0.31.1"})
    two = native.enroll_pre_enrolled(serial="N2", code=code, identity={"ip": "127.0.31.2"})
    assert one.agent.pk != two.agent.pk and one.secret != two.secret
    assert not one.agent.check_secret(two.secret)


def test_a_printer_taken_from_a_fleet_agent(acme):
    fleet = agent_services.save_fleet_agent(acme, name="F")
    agent_services.activate(agent_services.current_activation_code(fleet).code, kind="fleet")
    printer = Printer.objects.create(organization=acme, agent=fleet, agent_type="fleet", serial="T1")
    native.pre_enroll(acme, ["T1"])
    enrolled = native.enroll_pre_enrolled(serial="T1", code=native.enrollment_code(acme).code)
    printer.refresh_from_db()
    assert printer.agent == enrolled.agent and printer.agent_type == AgentType.NATIVE


# --- printer-generated codes -----------------------------------------------------------------------------
def test_printer_generated_code_redeemed_then_claimed_once(client, acme, org_admin):
    response = client.post(CODES, {"serial": "PG1", "identity": IDENTITY}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert len(body["code"]) == 8 and body["claim"]
    pending = client.post(CLAIM, {"claim": body["claim"]}, content_type="application/json")
    assert pending.status_code == 202 and pending.json() == {"status": "pending"}
    printer = native.redeem_printer_code(acme, body["code"], user=org_admin)
    assert printer.serial == "PG1" and printer.organization == acme and printer.agent.kind == AgentType.NATIVE
    claimed = client.post(CLAIM, {"claim": body["claim"]}, content_type="application/json")
    assert claimed.status_code == 200
    credentials = claimed.json()
    assert credentials["device_id"] == printer.agent.device_id and credentials["organization"]["id"] == str(acme.pk)
    assert printer.agent.__class__.objects.get(pk=printer.agent.pk).check_secret(credentials["secret"])
    again = client.post(CLAIM, {"claim": body["claim"]}, content_type="application/json")
    assert again.status_code == 400                  # handed out once
    assert PrinterEnrollmentCode.objects.get().pending_secret == ""


def test_printer_codes_are_case_sensitive_single_use_and_expire(acme, globex):
    start = timezone.now()
    row, _claim = native.request_printer_code("PG2", now=start)
    swapped = row.code.swapcase()
    with pytest.raises(ValidationError, match="The enrollment code is invalid or expired."):
        native.redeem_printer_code(acme, swapped, now=start)
    with pytest.raises(ValidationError, match="invalid or expired"):
        native.redeem_printer_code(acme, row.code, now=start + timedelta(hours=24))
    native.redeem_printer_code(acme, row.code, now=start + timedelta(hours=23))
    with pytest.raises(ValidationError, match="invalid or expired"):
        native.redeem_printer_code(globex, row.code, now=start + timedelta(hours=23))
    assert not Printer.objects.filter(organization=globex).exists()


def test_an_expired_unredeemed_claim_is_refused(acme):
    start = timezone.now()
    _row, claim = native.request_printer_code("PG3", now=start)
    assert native.claim_credentials(claim, now=start).pending
    with pytest.raises(ValidationError):
        native.claim_credentials(claim, now=start + timedelta(hours=25))
    with pytest.raises(ValidationError):
        native.claim_credentials("not-a-claim")


def test_code_requests_need_a_serial_and_are_throttled(client, db):
    assert client.post(CODES, {}, content_type="application/json").status_code == 400
    for i in range(19):
        assert client.post(CODES, {"serial": f"S{i}"}, content_type="application/json").status_code == 201
    response = client.post(CODES, {"serial": "S99"}, content_type="application/json")
    assert response.status_code == 429
