"""Issue 7, "Done when": a document printed from CUPS' ipptool and one sent by an SMTP client land in Pam's
cloud queue; at a simulated printer Pam logs in with her badge and releases both; a real IPP Everywhere
printer (ippeveprinter) receives them; her quota and the Print Job History reflect the two releases. Every
part is the real one: the live server, smtp_ingest's SMTP server, the conversion, the device API, the
simulator's Print Release app, the IPP printer."""
import smtplib

import pytest

from accounts.choices import ApplicationKind
from accounts.services import applications
from agents.simulator.release import ReleaseApp
from fleet.models import Printer
from printmgmt.choices import HistoryResult, JobSource, JobState
from printmgmt.models import PrintJob, PrintJobHistory, QuotaDefinition
from printmgmt.services import quotas
from printmgmt.services.org_settings import submission_address, update_settings
from tests.accounts.test_device_api_fixtures import ALL_METHODS, Person, configure
from tests.agents.ipp_printer import ipp_everywhere_printer

from .documents import pdf_bytes
from .test_email_submission import message
from .test_ipp import _needs_ipptool, assert_passes, ipptool  # noqa: F401 - _needs_ipptool: an autouse fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_ipptool_and_email_jobs_are_released_by_badge_to_ippeveprinter(live_server, service, smtp, acme, tmp_path):
    configure(acme, **ALL_METHODS)
    update_settings(acme, email_submission=True, quotas_enabled=True)
    quota = quotas.default_definition(acme)
    quotas.update_definition(quota, same_every_month=True, limits={0: {"total": "custom", "total_limit": 20,
                                                                        "color": "custom", "color_limit": 5}})
    pam = Person(acme, "pam@acme.test", "b4d9e1", "4821", ["print_release_management_user"])
    app, secret = applications.create_application(acme, "Lobby printer", kind=ApplicationKind.DEVICE)
    Printer.objects.create(organization=acme, serial="SIM-E2E-1", ip_address="127.0.1.31", model_name="CX943")

    # from a computer: CUPS' ipptool prints a 2-page color PDF to /ipp/print as Pam, with the job template of
    # print-job.test: 2 copies, two-sided long edge, monochrome
    document = tmp_path / "quarterly.pdf"
    document.write_bytes(pdf_bytes(2, color=True))
    assert_passes(ipptool(service, "print-job.test", user=pam.user, document=document))
    # from a phone: an e-mail with a 3-page attachment to the organization's address
    to = submission_address(acme)
    with smtplib.SMTP(smtp.hostname, smtp.port, timeout=60) as client:
        client.send_message(message(pam.email, to, files=(("minutes.pdf", pdf_bytes(3)),)))

    queued = {job.source: job for job in PrintJob.objects.filter(owner=pam.user)}
    assert set(queued) == {JobSource.IPP, JobSource.EMAIL}
    assert all(job.state == JobState.HELD for job in queued.values()), [j.failure_reason for j in queued.values()]

    # at the printer: badge login, release all, printed by ippeveprinter, outcomes reported
    with ipp_everywhere_printer(tmp_path / "printer") as printer:
        release = ReleaseApp(live_server.url, app.client_id, secret, serial="SIM-E2E-1", printer_uri=printer.uri)
        results = release.visit(badge=pam.badge)
        assert sorted(r.result for r in results) == ["printed", "printed"], results
        received = printer.jobs()
        assert len(received) == 2 and all(path.read_bytes().startswith(b"%PDF") for path in received)

    assert not PrintJob.objects.filter(owner=pam.user).exists()
    history = {row.source: row for row in PrintJobHistory.objects.filter(owner=pam.user)}
    assert {source: row.result for source, row in history.items()} == {JobSource.IPP: HistoryResult.PRINTED,
                                                                       JobSource.EMAIL: HistoryResult.PRINTED}
    ipp, email = history[JobSource.IPP], history[JobSource.EMAIL]
    assert (ipp.pages, ipp.copies, ipp.impressions, ipp.sheets, ipp.duplex, ipp.color) == (2, 2, 4, 2, True, False)
    assert (email.pages, email.copies, email.impressions, email.sheets, email.color) == (3, 1, 3, 3, False)
    assert {row.printer_serial for row in history.values()} == {"SIM-E2E-1"}
    allowance = quotas.allowance(pam.user, acme)
    assert (allowance.total_used, allowance.color_used) == (7, 0)
    assert (allowance.total_remaining, allowance.color_remaining) == (13, 5)
    assert QuotaDefinition.objects.filter(organization=acme).count() == 1
