"""The IPP print service (/ipp/print) driven by CUPS' own client, ipptool, against the live test server: the
test files under tests/printmgmt/ipp/ are what a CUPS, macOS or Windows computer sends. Skips naming
cups-ipp-utils when ipptool is missing (fails under LEXCLOUD_REQUIRE_SERVICES)."""
import base64
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from agents import ipp
from printmgmt.choices import HistoryResult, JobSource, JobState
from printmgmt.models import PrintJob, PrintJobHistory
from printmgmt.services import print_tokens
from tests.conftest import PASSWORD, make_user

from .documents import pdf_bytes, text_bytes

TESTS = Path(__file__).parent / "ipp"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _needs_ipptool():
    if shutil.which("ipptool"):
        return
    message = "needs CUPS' ipptool: apt-get install cups-ipp-utils"
    if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes(2, color=True))
    return path


@pytest.fixture
def elf(tmp_path):
    path = tmp_path / "program.bin"
    path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(200))
    return path


@pytest.fixture
def globex_user(globex):
    return make_user(globex, "gus@globex.test", ["print_release_management_user"])


def ipptool(service, test, *, user=None, secret=PASSWORD, document=None, chunked=False, **variables):
    """Run `ipptool -t` (test report) with `test` against the service as `user`; returns the finished process."""
    parts = urlsplit(service)
    target = service
    if user is not None:
        userinfo = f"{quote(getattr(user, 'email', user), safe='')}:{quote(secret, safe='')}"
        target = f"{parts.scheme}://{userinfo}@{parts.netloc}{parts.path}"
    command = ["ipptool", "-t", "-T", "30", "-4", "-d", f"printer={service}"]
    command += [] if chunked else ["-L"]
    for name, value in variables.items():
        command += ["-d", f"{name}={value}"]
    if document is not None:
        command += ["-f", str(document)]
    test_path = test if isinstance(test, Path) else TESTS / test
    return subprocess.run([*command, target, str(test_path)], capture_output=True, text=True, timeout=120)


def assert_passes(run):
    assert run.returncode == 0, f"ipptool failed:\n{run.stdout}\n{run.stderr}"


def test_print_job_lands_in_the_users_queue_with_the_ipp_settings(service, pam, pdf):
    run = ipptool(service, "print-job.test", user=pam, document=pdf)
    assert_passes(run)
    job = PrintJob.objects.get(owner=pam)
    assert job.organization_id == pam.organization_id
    assert (job.source, job.state, job.format, job.title) == (JobSource.IPP, JobState.HELD, "pdf", "ipptool report.pdf")
    assert job.file_name == "ipptool report.pdf"
    assert (job.copies, job.two_sided, job.color_mode, job.paper_size, job.pages_per_side, job.orientation) == (
        2, "long_edge", "mono", "a4", 2, "landscape")
    assert job.pages == 2


def test_chunked_requests_as_cups_backends_send_them(service, pam, pdf):
    """CUPS sends Transfer-Encoding: chunked when its filters pipe the document: ipptool's default."""
    assert_passes(ipptool(service, "print-job.test", user=pam, document=pdf, chunked=True))
    assert PrintJob.objects.filter(owner=pam, state=JobState.HELD).count() == 1


def test_a_print_token_replaces_the_password(service, pam, pdf):
    _token, secret = print_tokens.create_token(pam, "Laptop")
    assert_passes(ipptool(service, "print-job.test", user="any-name", secret=secret, document=pdf))
    assert PrintJob.objects.get(owner=pam).source == JobSource.IPP
    assert pam.print_tokens.get().last_used_at is not None


def test_validate_job(service, pam):
    assert_passes(ipptool(service, "validate-job.test", user=pam))
    assert not PrintJob.objects.exists()


def test_get_printer_attributes_anonymous_and_signed_in(service, pam, pdf):
    """Answered without credentials (clients ask before they have them: `lpadmin -m everywhere`), the same
    for everybody; a client that sends credentials up front learns its own queued-job-count."""
    assert_passes(ipptool(service, "get-printer-attributes.test", queued=0))
    assert_passes(ipptool(service, "print-job.test", user=pam, document=pdf))
    assert_passes(ipptool(service, "get-printer-attributes.test", user=pam, queued=0))   # not challenged
    basic = base64.b64encode(f"{pam.email}:{PASSWORD}".encode()).decode()
    answer = ipp.send(service, ipp.Op.GET_PRINTER_ATTRIBUTES,
                      [(ipp.Tag.OPERATION, [*ipp.operation_attributes(), (ipp.Tag.URI, "printer-uri", service)])],
                      headers={"Authorization": f"Basic {basic}"})
    assert answer.get("queued-job-count", ipp.Tag.PRINTER) == 1


def test_cancel_job_deletes_the_job_with_a_history_row(service, pam, pdf):
    assert_passes(ipptool(service, "cancel-job.test", user=pam, document=pdf))
    assert not PrintJob.objects.exists()
    row = PrintJobHistory.objects.get()
    assert (row.owner_id, row.result, row.source) == (pam.pk, HistoryResult.DELETED, JobSource.IPP)


def test_unsupported_formats_are_refused(service, pam, elf):
    assert_passes(ipptool(service, "unsupported-format.test", user=pam, document=elf))
    assert not PrintJob.objects.exists()


def test_a_wrong_password_is_refused_with_401(service, pam, pdf):
    run = ipptool(service, "print-job.test", user=pam, secret="wrong-password", document=pdf)
    assert run.returncode != 0
    assert "Unauthorized" in run.stdout + run.stderr or "401" in run.stdout + run.stderr
    assert not PrintJob.objects.exists()
    with pytest.raises(ipp.IppError, match="HTTP 401"):
        ipp.print_job(service, pdf.read_bytes(), job_name="anonymous")


def test_another_organizations_user_never_sees_nor_cancels_the_job(service, pam, globex_user, pdf):
    assert_passes(ipptool(service, "print-job.test", user=pam, document=pdf))
    job = PrintJob.objects.get(owner=pam)
    assert_passes(ipptool(service, "other-user.test", user=globex_user, foreign=job.pk))
    assert PrintJob.objects.filter(pk=job.pk, state=JobState.HELD).exists()


def test_documents_over_the_limit_are_refused(service, pam, pdf, settings, tmp_path):
    settings.PRINT_MAX_UPLOAD_BYTES = 1024
    big = tmp_path / "big.txt"
    big.write_bytes(text_bytes(400))
    test = tmp_path / "too-large.test"
    test.write_text((TESTS / "validate-job.test").read_text().split("{", 2)[0] + """{
  NAME "Print-Job over the size limit"
  OPERATION Print-Job
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $printer
  ATTR mimeMediaType document-format text/plain
  FILE $filename
  STATUS client-error-request-entity-too-large
}
""")
    assert_passes(ipptool(service, test, user=pam, document=big))
    assert_passes(ipptool(service, test, user=pam, document=big, chunked=True))
    assert not PrintJob.objects.exists()
