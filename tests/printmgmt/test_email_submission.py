"""E-mail submission through a real SMTP server (smtp_ingest's aiosmtpd controller on a free loopback port),
sent with smtplib: attachments and the body become jobs of the sender, strangers and unknown addresses are
refused at RCPT, unsupported attachments get a reply listing the 17 formats while the others still print."""
import os
import signal
import smtplib
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core import mail

from printmgmt.choices import DocumentFormat, JobSource, JobState
from printmgmt.management.commands.smtp_ingest import make_controller, stop_controller
from printmgmt.models import PrintJob
from printmgmt.services import email_submission
from printmgmt.services.org_settings import submission_address, update_settings
from tests.agents.agent_support import free_port
from tests.conftest import make_user

from .documents import image_bytes, pdf_bytes, text_bytes

pytestmark = pytest.mark.django_db(transaction=True)   # the SMTP server's ORM thread must see the rows


@pytest.fixture
def acme_address(acme):
    update_settings(acme, email_submission=True)
    return submission_address(acme)


def message(sender: str, to: str, *, body: str = "", html: str = "", subject: str = "Please print",
            files: tuple = ()) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content(body or "")
    if html:
        msg.add_alternative(html, subtype="html")
    for name, content in files:
        msg.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    return msg


def send(controller, sender: str, to: str, msg: EmailMessage) -> tuple[int, str]:
    """MAIL, RCPT, DATA by hand: the DATA reply text (the job count) is what we check."""
    with smtplib.SMTP(controller.hostname, controller.port, timeout=60) as client:
        client.ehlo()
        client.mail(sender)
        code, text = client.rcpt(to)
        if code != 250:
            return code, text.decode()
        code, text = client.data(msg.as_bytes(policy=policy.SMTP))
        return code, text.decode()


def test_each_attachment_becomes_a_job_of_the_sender(smtp, acme, pam, acme_address):
    to = acme_address.upper()   # addresses are case-insensitive, sender and recipient alike
    msg = message("Pam@Acme.test", to, body="ignored: body submission is off",
                  files=(("report.pdf", pdf_bytes(2)), ("notes.txt", text_bytes())))
    assert send(smtp, "Pam@Acme.test", to, msg) == (250, "2.0.0 2 print jobs created")
    jobs = {job.title: job for job in PrintJob.objects.all()}
    assert set(jobs) == {"report.pdf", "notes.txt"}
    for job in jobs.values():
        assert (job.owner, job.organization, job.source) == (pam, acme, JobSource.EMAIL)
        assert job.state in (JobState.CONVERTING, JobState.HELD)
    assert (jobs["report.pdf"].format, jobs["notes.txt"].format) == (DocumentFormat.PDF, DocumentFormat.TXT)
    assert jobs["report.pdf"].state == JobState.HELD and jobs["report.pdf"].pages == 2
    assert mail.outbox == []   # everything printed: no reply


@pytest.mark.parametrize("enabled", [True, False])
def test_the_body_is_a_job_only_when_body_submission_is_on(smtp, acme, pam, acme_address, enabled):
    update_settings(acme, email_body_submission=enabled)
    msg = message(pam.email, acme_address, body="Print this text, please.\n", subject="Memo",
                  files=(("a.pdf", pdf_bytes()),))
    code, text = send(smtp, pam.email, acme_address, msg)
    assert code == 250
    titles = sorted(PrintJob.objects.values_list("title", "format"))
    assert titles == ([("Memo", "txt"), ("a.pdf", "pdf")] if enabled else [("a.pdf", "pdf")])


def test_an_html_body_is_printed_as_html_and_its_plain_alternative_is_not_a_document():
    msg = message("p@x.test", "a@b.test", body="plain", html="<p>rich</p>", subject="S",
                  files=(("a.pdf", b"%PDF-1.4"),))
    docs = email_submission.documents(msg, body=True)
    assert [(name, title) for name, title, _ in docs] == [("message.html", "S"), ("a.pdf", "a.pdf")]
    assert [name for name, _, _ in email_submission.documents(msg, body=False)] == ["a.pdf"]


def test_an_unknown_sender_is_refused_and_nothing_is_created(smtp, acme, pam, acme_address):
    msg = message("stranger@example.test", acme_address, files=(("a.pdf", pdf_bytes()),))
    code, text = send(smtp, "stranger@example.test", acme_address, msg)
    assert code == 550 and "Sender not allowed" in text
    # the service refuses it too when called without the RCPT check
    outcome = email_submission.accept("stranger@example.test", [acme_address], msg.as_bytes())
    assert (outcome.code, outcome.jobs) == (550, [])
    assert not PrintJob.objects.exists() and mail.outbox == []


def test_an_unknown_recipient_is_refused_at_rcpt(smtp, acme, pam, acme_address, settings):
    for to in (f"nobody@print.{settings.PRINT_EMAIL_DOMAIN}", "acme@example.test"):
        code, text = send(smtp, pam.email, to, message(pam.email, to, files=(("a.pdf", pdf_bytes()),)))
        assert code == 550 and "Unknown recipient" in text
    update_settings(acme, email_submission=False)   # the address exists only while submission is on
    code, _ = send(smtp, pam.email, acme_address, message(pam.email, acme_address))
    assert code == 550
    assert not PrintJob.objects.exists()


def test_unsupported_attachments_get_a_reply_and_the_others_still_print(smtp, acme, pam, acme_address):
    msg = message(pam.email, acme_address, subject="Quarterly",
                  files=(("setup.exe", b"MZ\x90\x00program"), ("archive.zip", b"PK\x03\x04zip"),
                         ("invoice.pdf", image_bytes("JPEG")), ("report.pdf", pdf_bytes())))
    assert send(smtp, pam.email, acme_address, msg) == (250, "2.0.0 1 print job created")
    assert list(PrintJob.objects.values_list("title", "source")) == [("report.pdf", JobSource.EMAIL)]
    assert len(mail.outbox) == 1
    reply = mail.outbox[0]
    assert reply.to == [pam.email] and reply.subject == "Some documents were not printed"
    assert "setup.exe" in reply.body and "archive.zip" in reply.body and "report.pdf" in reply.body
    assert "“invoice.pdf” is not a PDF document: its content is a JPG image" in reply.body
    assert all(label in reply.body for _value, label in DocumentFormat.choices) and len(DocumentFormat.choices) == 17


def test_a_message_with_nothing_to_print_gets_a_reply(acme, pam, acme_address):
    outcome = email_submission.accept(pam.email, [acme_address], message(pam.email, acme_address,
                                                                         body="Hello").as_bytes())
    assert (outcome.code, outcome.smtp_reply) == (250, "250 2.0.0 0 print jobs created")
    assert [m.subject for m in mail.outbox] == ["Nothing to print"] and "PDF, PPT" in mail.outbox[0].body


def test_a_body_in_an_unknown_charset_is_still_printed(acme, pam, acme_address):
    update_settings(acme, email_body_submission=True)
    raw = (f"From: {pam.email}\r\nTo: {acme_address}\r\nSubject: Odd\r\n"
           "Content-Type: text/plain; charset=x-unknown\r\n\r\nCaf\xe9 menu\r\n").encode("latin-1")
    docs = email_submission.documents(message_from_bytes(raw, policy=policy.default), body=True)
    assert [(name, title) for name, title, _ in docs] == [("message.txt", "Odd")]
    assert docs[0][2].startswith(b"Caf")


def test_a_sender_of_one_organization_cannot_print_to_another(smtp, acme, globex, pam, acme_address):
    update_settings(globex, email_submission=True)
    globex_address = submission_address(globex)
    outsider = make_user(globex, "gil@globex.test")
    for sender, to in ((outsider.email, acme_address), (pam.email, globex_address)):
        code, text = send(smtp, sender, to, message(sender, to, files=(("a.pdf", pdf_bytes()),)))
        assert code == 550 and "Sender not allowed" in text
    assert not PrintJob.objects.exists()


def test_a_message_over_the_size_limit_is_refused(acme, pam, acme_address, settings):
    settings.PRINT_EMAIL_MAX_BYTES = 10_000
    msg = message(pam.email, acme_address, files=(("big.pdf", os.urandom(20_000)),))
    outcome = email_submission.accept(pam.email, [acme_address], msg.as_bytes())
    assert outcome.code == 552 and not PrintJob.objects.exists()
    controller = make_controller("127.0.0.1", free_port())   # the SMTP server enforces it during DATA too
    controller.start()
    try:
        code, text = send(controller, pam.email, acme_address, msg)
    finally:
        stop_controller(controller)
    assert code == 552 and not PrintJob.objects.exists()


def test_the_command_stops_cleanly_on_sigterm():
    port = free_port()
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    process = subprocess.Popen([sys.executable, str(manage), "smtp_ingest", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on 127.0.0.1:" in process.stdout.readline()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            assert client.noop()[0] == 250
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Stopped: 0 messages" in out
