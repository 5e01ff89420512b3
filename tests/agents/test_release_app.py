"""The simulated printer's Print Release app (agents/simulator/release.py) against the running server
(live_server): a badge or PIN login, release, the document printed on a real IPP Everywhere printer
(ippeveprinter, cups-ipp-utils) or written to a directory, the outcome reported; history and quota follow, a
failed or cancelled print leaves the job in the queue."""
import json

import pytest

from accounts.choices import ApplicationKind
from accounts.services import applications
from agents.simulator import release as release_app
from agents.simulator.release import ReleaseApp, ReleaseAppError, count_pages
from fleet.models import Printer
from printmgmt.choices import HistoryResult, JobState
from printmgmt.models import PrintJob, PrintJobHistory
from printmgmt.services import quotas
from printmgmt.services.org_settings import update_settings
from printmgmt.services.submission import submit_job
from tests.accounts.test_device_api_fixtures import ALL_METHODS, Person, configure
from tests.printmgmt.documents import pdf_bytes, upload

from .agent_support import dead_url
from .ipp_printer import ipp_everywhere_printer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(live_server, acme):
    configure(acme, **ALL_METHODS)
    app, secret = applications.create_application(acme, "Lobby printer", kind=ApplicationKind.DEVICE)
    Printer.objects.create(organization=acme, serial="SIM-REL-1", ip_address="127.0.1.30", model_name="CX943")
    pam = Person(acme, "pam@acme.test", "b4d9e1", "4821", ["print_release_management_user"])
    return {"url": live_server.url, "client_id": app.client_id, "secret": secret, "pam": pam, "org": acme}


def _submit(org, user, pages, *, color=False, name="doc.pdf"):
    job = submit_job(org, user, upload(name, pdf_bytes(pages, color=color)), source="email")
    job.refresh_from_db()
    assert job.state == JobState.HELD, job.failure_reason
    return job


def _app(setup, **options):
    return ReleaseApp(setup["url"], setup["client_id"], setup["secret"], serial="SIM-REL-1", **options)


def test_badge_login_releases_all_and_ippeveprinter_prints_them(setup, tmp_path):
    pam = setup["pam"].user
    report = _submit(setup["org"], pam, 2, color=True, name="report.pdf")
    memo = _submit(setup["org"], pam, 3, name="memo.pdf")
    with ipp_everywhere_printer(tmp_path) as printer:
        results = _app(setup, printer_uri=printer.uri).visit(badge="b4d9e1")
        assert {r.job_id: r.result for r in results} == {report.pk: "printed", memo.pk: "printed"}, results
        received = printer.jobs()
        assert len(received) == 2 and all(p.read_bytes().startswith(b"%PDF") for p in received)
        assert all(r.ipp_job_id for r in results)
    assert not PrintJob.objects.filter(owner=pam).exists()
    rows = {row.job_id: row for row in PrintJobHistory.objects.filter(owner=pam)}
    assert rows[report.pk].result == HistoryResult.PRINTED
    assert (rows[report.pk].impressions, rows[report.pk].color, rows[report.pk].printer_serial) == (2, True, "SIM-REL-1")
    assert (rows[memo.pk].impressions, rows[memo.pk].sheets, rows[memo.pk].color) == (3, 3, False)
    usage = quotas.allowance(pam, setup["org"])
    assert (usage.total_used, usage.color_used) == (5, 2)


def test_a_failed_print_is_reported_and_the_job_stays_in_the_queue(setup):
    pam = setup["pam"].user
    job = _submit(setup["org"], pam, 1)
    down = dead_url("ipp") + "/ipp/print"
    results = _app(setup, printer_uri=down).visit(pin="4821")
    assert [(r.job_id, r.result) for r in results] == [(job.pk, "failed")]
    assert "cannot reach the printer" in results[0].detail
    job.refresh_from_db()
    assert job.state == JobState.HELD
    assert PrintJobHistory.objects.get(job_id=job.pk).result == HistoryResult.FAILED


def test_pin_login_selected_job_with_copies_and_keep_to_a_directory_then_cancel(setup, tmp_path):
    update_settings(setup["org"], change_copies_before_release=True, print_and_keep=True)
    pam = setup["pam"].user
    keep, other = _submit(setup["org"], pam, 2), _submit(setup["org"], pam, 1)
    app = _app(setup, output_dir=tmp_path / "out")
    results = app.visit(pin="4821", job_ids=[keep.pk], copies=2, keep=True)
    assert [(r.job_id, r.result, r.pages, r.sheets) for r in results] == [(keep.pk, "printed", 4, 4)]
    assert (tmp_path / "out" / f"job-{keep.pk}.pdf").read_bytes().startswith(b"%PDF")
    keep.refresh_from_db()
    assert (keep.state, keep.release_count) == (JobState.HELD, 1)

    cancelled = app.visit(pin="4821", cancel=True)
    assert sorted(r.job_id for r in cancelled) == sorted([keep.pk, other.pk])
    assert all(r.result == "cancelled" for r in cancelled)
    assert PrintJob.objects.filter(owner=pam, state=JobState.HELD).count() == 2


def test_the_command_line_and_automatic_release(setup, tmp_path, capsys):
    update_settings(setup["org"], automatic_release=True)
    job = _submit(setup["org"], setup["pam"].user, 1)
    argv = ["release", "--server", setup["url"], "--client-id", setup["client_id"], "--client-secret",
            setup["secret"], "--serial", "SIM-REL-1", "--badge", "b4d9e1", "--auto", "--output", str(tmp_path)]
    from agents.simulator.cli import main

    assert main(argv) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(p["job_id"], p["result"]) for p in printed] == [(job.pk, "printed")]
    assert not PrintJob.objects.filter(pk=job.pk).exists()
    assert release_app.main([*argv[1:-5], "--pin", "0000", "--output", str(tmp_path)]) == 2   # bad PIN


def test_only_loopback_servers_and_printers():
    # RFC 5737 documentation addresses: never contacted, refused before any connection
    with pytest.raises(ReleaseAppError, match="loopback"):
        ReleaseApp("http://192.0.2.10:8000", "id", "secret", serial="X", output_dir="/tmp")
    with pytest.raises(ReleaseAppError, match="loopback"):
        ReleaseApp("http://127.0.0.1:8000", "id", "secret", serial="X", printer_uri="ipp://192.0.2.11/ipp/print")


def test_count_pages():
    assert count_pages(pdf_bytes(3)) == 3
    assert count_pages(b"not a pdf") == 0
