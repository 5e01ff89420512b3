"""Guest printing by e-mail (E §1.12.3, TC-P7, TC-P8; 2025 guide C7/T8) through a real SMTP server: an unknown
sender becomes a guest when the organization allows it, gets a PIN by e-mail, reuses its queue and PIN, is
forgotten 14 days after its last job; the page limit, the validity rule, the PIN at the printer and the portal
refusing guests."""
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.auth import EmailBackend
from accounts.models import RoleAssignment, User, UserPin
from accounts.services import printer_login
from printmgmt.choices import GuestAssignment, JobSource, JobState
from printmgmt.models import GuestSender, PrintJob, PrintJobHistory
from printmgmt.services import guests, retention
from printmgmt.services.org_settings import submission_address, update_settings
from tests.accounts.test_device_api_fixtures import access_token, configure, printer_of

from .documents import pdf_bytes, text_bytes
from .test_email_submission import message, send

pytestmark = pytest.mark.django_db(transaction=True)   # the SMTP server's ORM thread must see the rows

VISITOR = "Visitor@Example.test"
PIN_RE = re.compile(r"Your PIN: (\d+)")


@pytest.fixture
def guest_org(acme):
    """Acme with PIN login at its printers, e-mail submission and guests on."""
    configure(acme, pin=True)
    update_settings(acme, email_submission=True, guest_email_submission=True)
    return acme


@pytest.fixture
def address(guest_org):
    return submission_address(guest_org)


def three_files():
    return (("a.pdf", pdf_bytes(1)), ("b.pdf", pdf_bytes(2)), ("c.txt", text_bytes()))


def confirmations():
    return [m for m in mail.outbox if m.subject.startswith("Your PIN")]


def pin_of(email) -> str:
    return PIN_RE.search(email.body).group(1)


def guest_user() -> User:
    return User.objects.get(is_guest=True)


# --- TC-P8 -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,expected", [(True, 4), (False, 3)])
def test_tc_p8_each_attachment_and_the_body_when_on_is_a_guest_job(smtp, guest_org, address, body, expected):
    update_settings(guest_org, email_body_submission=body)
    msg = message(VISITOR, address, body="Please print this note.\n", subject="Visit", files=three_files())
    assert send(smtp, VISITOR, address, msg) == (250, f"2.0.0 {expected} print jobs created")
    guest = guest_user()
    jobs = list(PrintJob.objects.all())
    assert len(jobs) == expected
    assert {(j.owner_id, j.source, j.state) for j in jobs} == {(guest.pk, JobSource.GUEST, JobState.HELD)}
    [confirmation] = confirmations()
    assert confirmation.to == [VISITOR.lower()]
    assert pin_of(confirmation).isdigit() and len(pin_of(confirmation)) == 4
    assert all(f"- {job.title}" in confirmation.body for job in jobs)   # "all those print jobs are listed"
    assert guest.email.startswith("guest-") and guest.email.endswith(f"@guest.{guest_org.pk}.invalid")
    assert not guest.has_usable_password()
    assert list(RoleAssignment.objects.filter(user=guest).values_list("role", flat=True)) == [guests.GUEST_ROLE]


def test_tc_p8_a_job_over_the_guest_page_limit_is_not_processed(smtp, guest_org, address):
    update_settings(guest_org, guest_page_limit_enabled=True, guest_page_limit=2)
    msg = message(VISITOR, address, files=(("long.pdf", pdf_bytes(3)), ("short.pdf", pdf_bytes(2))))
    assert send(smtp, VISITOR, address, msg)[0] == 250
    jobs = {job.title: job for job in PrintJob.objects.all()}
    assert jobs["short.pdf"].state == JobState.HELD
    long = jobs["long.pdf"]
    assert long.state == JobState.FAILED and not long.document
    assert "at most 2 pages" in long.failure_reason
    [confirmation] = confirmations()
    assert "These documents were not printed:\n- long.pdf: The document has 3 pages" in confirmation.body
    assert "- short.pdf (2 pages)" in confirmation.body


def test_tc_p8_a_zip_gets_a_reply_listing_the_formats_and_no_guest_is_made(smtp, guest_org, address):
    msg = message(VISITOR, address, files=(("archive.zip", b"PK\x03\x04zip"),))
    assert send(smtp, VISITOR, address, msg) == (250, "2.0.0 0 print jobs created")
    [reply] = mail.outbox
    assert reply.to == [VISITOR.lower()] and "archive.zip" in reply.body
    assert "CSV, DOC, DOCX, GIF, HTML, JPG, ODP, ODS, ODT, PDF, PPT, PPTX, RTF, TIFF, TXT, XLS, XLSX" in reply.body
    assert not User.objects.filter(is_guest=True).exists() and not GuestSender.objects.exists()


def test_a_zip_beside_a_document_is_listed_in_the_confirmation(smtp, guest_org, address):
    msg = message(VISITOR, address, files=(("archive.zip", b"PK\x03\x04zip"), ("a.pdf", pdf_bytes())))
    assert send(smtp, VISITOR, address, msg) == (250, "2.0.0 1 print job created")
    [confirmation] = confirmations()
    assert "- archive.zip:" in confirmation.body and "The supported file formats are CSV" in confirmation.body


# --- refusals ------------------------------------------------------------------------------------------------------

def test_unknown_senders_are_refused_when_guests_are_off_or_pins_are_not_on(smtp, guest_org, address):
    update_settings(guest_org, guest_email_submission=False)
    code, text = send(smtp, VISITOR, address, message(VISITOR, address, files=three_files()))
    assert code == 550 and "Sender not allowed" in text
    update_settings(guest_org, guest_email_submission=True)
    configure(guest_org, pin=False, badge=True)   # PIN login turned off afterwards: guests cannot print
    assert send(smtp, VISITOR, address, message(VISITOR, address, files=three_files()))[0] == 550
    assert send(smtp, "", address, message("", address))[0] == 550   # the null sender (a bounce) never
    assert not PrintJob.objects.exists() and not User.objects.filter(is_guest=True).exists()


def test_a_disabled_user_or_a_guest_address_is_not_a_new_guest(smtp, guest_org, address, make):
    make(guest_org, "former@acme.test").__class__.objects.filter(email="former@acme.test").update(is_active=False)
    assert send(smtp, "former@acme.test", address, message("former@acme.test", address, files=three_files()))[0] == 550
    send(smtp, VISITOR, address, message(VISITOR, address, files=(("a.pdf", pdf_bytes()),)))
    synthetic = guest_user().email   # mail "from" the guest account is not the guest's own queue
    code, _ = send(smtp, synthetic, address, message(synthetic, address, files=(("a.pdf", pdf_bytes()),)))
    assert code == 550 and PrintJob.objects.count() == 1


# --- the same sender: queue and PIN (C7/T8) --------------------------------------------------------------------

def test_the_same_sender_reuses_its_queue_and_pin_and_only_a_hash_is_kept(smtp, guest_org, address, globex):
    send(smtp, VISITOR, address, message(VISITOR, address, files=(("one.pdf", pdf_bytes()),)))
    send(smtp, VISITOR.lower(), address, message(VISITOR, address, files=(("two.pdf", pdf_bytes()),)))
    first, second = confirmations()
    assert pin_of(first) == pin_of(second)
    assert "- one.pdf" in second.body and "- two.pdf" in second.body   # the whole queue is listed
    [sender] = GuestSender.objects.all()
    assert set(PrintJob.objects.values_list("owner_id", flat=True)) == {sender.user_id}
    assert sender.address_digest == guests.address_digest(guest_org, VISITOR) and len(sender.address_digest) == 64
    stored = f"{sender.address_digest} {sender.pin_sealed} {sender.user.email} {sender.user.name}".lower()
    assert "visitor" not in stored and "example.test" not in stored and pin_of(first) not in stored
    # the same address is another guest in another organization
    assert guests.address_digest(globex, VISITOR) != sender.address_digest


def test_an_expired_pin_is_replaced_and_the_queue_kept(smtp, guest_org, address):
    send(smtp, VISITOR, address, message(VISITOR, address, files=(("one.pdf", pdf_bytes()),)))
    user = guest_user()
    expired_at = timezone.now() - timedelta(minutes=1)
    UserPin.objects.filter(user=user).update(expires_at=expired_at)
    send(smtp, VISITOR, address, message(VISITOR, address, files=(("two.pdf", pdf_bytes()),)))
    _first, second = confirmations()
    assert guest_user().pk == user.pk and PrintJob.objects.filter(owner=user).count() == 2
    record = UserPin.objects.get(user=user)
    assert record.is_valid() and record.expires_at > expired_at
    assert record.digest == printer_login.pin_digest(guest_org, pin_of(second))


def test_after_14_idle_days_the_guest_is_removed_and_a_later_email_gets_a_new_queue(smtp, guest_org, address):
    send(smtp, VISITOR, address, message(VISITOR, address, files=(("one.pdf", pdf_bytes()),)))
    old = guest_user()
    later = timezone.now() + timedelta(days=14, minutes=1)
    result = retention.purge(now=later)
    assert result["guests"] == 1 and result["jobs"] == 1
    assert not User.objects.filter(pk=old.pk).exists() and not GuestSender.objects.exists()
    assert PrintJobHistory.objects.get().owner_email == old.email   # reports keep the guest's identifier
    send(smtp, VISITOR, address, message(VISITOR, address, files=(("two.pdf", pdf_bytes()),)))
    assert guest_user().pk != old.pk


def test_an_idle_guest_not_yet_purged_is_not_reused(guest_org):
    first = guests.guest_for(guest_org, "visitor@example.test")
    GuestSender.objects.filter(pk=first.sender.pk).update(last_job_at=timezone.now() - timedelta(days=15))
    second = guests.guest_for(guest_org, "visitor@example.test")
    assert second.user.pk != first.user.pk and not User.objects.filter(pk=first.user.pk).exists()


# --- validity (TC-P7) ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("retention_hours,pin_hours,valid_hours", [(6, 7, 6), (7, 6, 6)])
def test_tc_p7_a_guest_job_is_valid_for_the_shorter_of_retention_and_pin_expiry(
        smtp, guest_org, address, retention_hours, pin_hours, valid_hours):
    update_settings(guest_org, retention_value=retention_hours, retention_unit="hours")
    configure(guest_org, pin_expires=True, pin_expiration_value=pin_hours, pin_expiration_unit="hours")
    before = timezone.now()
    send(smtp, VISITOR, address, message(VISITOR, address, files=(("a.pdf", pdf_bytes()),)))
    job = PrintJob.objects.get()
    pin = UserPin.objects.get(user=job.owner)
    assert before + timedelta(hours=pin_hours) <= pin.expires_at <= timezone.now() + timedelta(hours=pin_hours)
    assert job.expires_at == min(job.submitted_at + timedelta(hours=retention_hours), pin.expires_at)
    assert abs(job.expires_at - (job.submitted_at + timedelta(hours=valid_hours))) < timedelta(seconds=30)
    assert retention.purge(now=job.expires_at + timedelta(seconds=1))["jobs"] == 1


def test_a_guest_pin_lives_at_most_14_days_and_retention_changes_keep_the_rule(guest_org):
    guest = guests.guest_for(guest_org, "visitor@example.test")   # "Never expires": 14 days for guests
    assert abs(guest.pin_expires_at - (timezone.now() + timedelta(days=14))) < timedelta(seconds=30)
    configure(guest_org, pin_expires=True, pin_expiration_value=1, pin_expiration_unit="hours")
    UserPin.objects.filter(user=guest.user).delete()
    guest = guests.guest_for(guest_org, "visitor@example.test")
    from django.core.files.base import ContentFile

    from printmgmt.services.submission import submit_job

    job = submit_job(guest_org, guest.user, ContentFile(pdf_bytes(), name="a.pdf"), source=JobSource.GUEST)
    guests.record_jobs(guest, [job])
    update_settings(guest_org, retention_value=2, retention_unit="days")   # longer retention: the PIN still bounds
    job.refresh_from_db()
    assert job.expires_at == guest.pin_expires_at


def test_guests_get_the_cost_center_or_department_of_the_setting(guest_org):
    update_settings(guest_org, guest_assignment=GuestAssignment.COST_CENTER, guest_cost_center="Visitors")
    user = guests.guest_for(guest_org, "visitor@example.test").user
    assert (user.cost_center, user.department) == ("Visitors", "")
    update_settings(guest_org, guest_assignment=GuestAssignment.DEPARTMENT, guest_department="Lobby")
    user = guests.guest_for(guest_org, "visitor@example.test").user
    assert (user.cost_center, user.department) == ("", "Lobby")


# --- at the printer, and never in the portal ------------------------------------------------------------------

def test_the_guest_pin_logs_in_at_the_printer_and_lists_the_guest_jobs(smtp, guest_org, address, client):
    send(smtp, VISITOR, address, message(VISITOR, address, files=(("a.pdf", pdf_bytes()),)))
    pin, guest = pin_of(confirmations()[0]), guest_user()
    token = access_token(printer_of(guest_org, "Lobby printer"))
    response = client.post(reverse("device:authenticate"), {"method": "pin", "pin": pin},
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["id"] == guest.pk and body["roles"] == [guests.GUEST_ROLE]
    from printmgmt.services.release import release_queue

    assert [job.title for job in release_queue(guest, guest_org)] == ["a.pdf"]


def test_a_guest_never_signs_in_to_the_portal(guest_org, client):
    user = guests.guest_for(guest_org, "visitor@example.test").user
    user.set_password("Some-pass1!")   # even with a password set behind the service's back
    user.save()
    assert EmailBackend().authenticate(None, email=user.email, password="Some-pass1!") is None
    assert not client.login(email=user.email, password="Some-pass1!")
    client.force_login(user, backend="accounts.auth.EmailBackend")
    response = client.get(reverse("printmgmt:home", args=[guest_org.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
