"""Print submission (issue 7, "Measure"): 1,000 PDF jobs through e-mail (smtp_ingest's SMTP server, smtplib
over loopback, one document per message) and through IPP (Print-Job to /ipp/print on gunicorn, the
production web server, one keep-alive connection as CUPS sends, authenticated by the user's print token as the Print Clients page
recommends; with the e-mail and password for information: a password hash per request), each as jobs per
second and as a ratio of its time to writing the same files to storage directly (default_storage.save) in the
same run. Goal: ratio <= 4, and nothing lost: every document is a job of its sender, byte for byte.

What a submission includes: the protocol, the sender's authentication, the checks (size, content against
name), the stored original, the job row and the conversion task handed to the broker (Celery's in-memory
transport here: the worker's conversion is not part of submitting). BENCH_PRINT_JOBS sets the count;
BENCH_DATABASE_URL a PostgreSQL database (else SQLite)."""
import base64
import hashlib
import http.client
import io
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["CELERY_BROKER_URL"] = "memory://"
from bench._django import setup, table  # noqa: E402

JOBS = int(os.environ.get("BENCH_PRINT_JOBS", "1000"))
GOAL = 4.0
PASSWORD = "Bench-pass1!"


def documents(count: int) -> list[bytes]:
    """`count` distinct one-page PDFs (Letter at 100 dpi, a line of text and a color block: ~30 KB each)."""
    from PIL import Image, ImageDraw

    out = []
    for i in range(count):
        page = Image.new("RGB", (850, 1100), "white")
        draw = ImageDraw.Draw(page)
        for line in range(40):
            draw.text((60, 60 + line * 24), f"Document {i}, line {line}: quarterly figures and notes", fill="black")
        draw.rectangle((60, 1040, 60 + i % 700, 1070), fill=(200, 30 + i % 200, 30))
        buffer = io.BytesIO()
        page.save(buffer, "PDF", resolution=100)
        out.append(buffer.getvalue())
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_directly(docs: list[bytes]) -> float:
    """The baseline: the same files written to the same storage, nothing else."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    started = time.perf_counter()
    names = [default_storage.save(f"bench/direct/{i}.pdf", ContentFile(doc)) for i, doc in enumerate(docs)]
    elapsed = time.perf_counter() - started
    for name in names:
        default_storage.delete(name)
    return elapsed


def submit_by_email(docs: list[bytes], sender: str, to: str) -> float:
    from printmgmt.management.commands.smtp_ingest import make_controller, stop_controller

    messages = []
    for i, doc in enumerate(docs):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, to, f"Print {i}"
        msg.set_content("")
        msg.add_attachment(doc, maintype="application", subtype="pdf", filename=f"email-{i}.pdf")
        messages.append(msg.as_bytes(policy=SMTP))
    controller = make_controller("127.0.0.1", free_port())
    controller.start()
    try:
        started = time.perf_counter()
        with smtplib.SMTP(controller.hostname, controller.port, timeout=60) as client:
            for raw in messages:
                refused = client.sendmail(sender, [to], raw)
                assert not refused, refused
        return time.perf_counter() - started
    finally:
        stop_controller(controller)


class Gunicorn:
    """The production web server (gunicorn, as in the Dockerfile) on a free loopback port, serving the
    benchmark's database; the conversion tasks go to an in-memory broker (not part of submitting)."""

    def __init__(self, workers: int = 2):
        self.port = free_port()
        env = {**os.environ, "CELERY_BROKER_URL": "memory://", "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1"}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "lexcloud.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--worker-class", "gthread", "--threads", "2", "--log-level", "warning"],
            env=env, cwd=Path(__file__).resolve().parent.parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def submit_by_ipp(docs: list[bytes], email: str, password: str, prefix: str = "ipp") -> float:
    """Print-Job requests over one keep-alive HTTP connection to gunicorn, as CUPS sends them."""
    from agents import ipp

    server = Gunicorn()
    uri = f"ipp://127.0.0.1:{server.port}/ipp/print"
    auth = "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()
    bodies = [ipp.encode_request(ipp.Op.PRINT_JOB, i + 1, [
        (ipp.Tag.OPERATION, [*ipp.operation_attributes(),
                             (ipp.Tag.URI, "printer-uri", uri),
                             (ipp.Tag.NAME, "requesting-user-name", email),
                             (ipp.Tag.NAME, "job-name", f"{prefix}-{i}.pdf"),
                             (ipp.Tag.MIME_MEDIA_TYPE, "document-format", "application/pdf")])], doc)
        for i, doc in enumerate(docs)]
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        started = time.perf_counter()
        for body in bodies:
            connection.request("POST", "/ipp/print", body, {"Content-Type": "application/ipp", "Authorization": auth})
            response = connection.getresponse()
            raw = response.read()
            assert response.status == 200, (response.status, raw[:200])
            answer = ipp.decode_message(raw)
            assert answer.code < 0x0100, hex(answer.code)
        elapsed = time.perf_counter() - started
        connection.close()
        return elapsed
    finally:
        server.stop()


def lost(source: str, docs: list[bytes], prefix: str) -> int:
    """Documents sent that are not, byte for byte, a job of the sender."""
    from printmgmt.models import PrintJob

    stored = {}
    for job in PrintJob.objects.filter(source=source, title__startswith=f"{prefix}-"):
        with job.original.open("rb") as handle:
            stored[job.title] = hashlib.sha256(handle.read()).hexdigest()
    return sum(1 for i, doc in enumerate(docs) if stored.get(f"{prefix}-{i}.pdf") != hashlib.sha256(doc).hexdigest())


def main() -> int:
    setup("bench_print_submission")
    from accounts.services.organizations import create_organization
    from printmgmt.choices import JobSource
    from printmgmt.services.org_settings import submission_address, update_settings
    from tests.conftest import ALL_SERVICES, make_user

    org = create_organization("Bench Print", entitlements=ALL_SERVICES)
    user = make_user(org, "sender@bench.test", ["print_release_management_user"])
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    update_settings(org, email_submission=True)
    docs = documents(JOBS)
    size_kb = statistics.mean(len(d) for d in docs) / 1024

    baseline = min(write_directly(docs) for _ in range(3))
    rows = [(f"write {JOBS:,} files to storage directly (baseline)", f"{JOBS / baseline:,.0f}", "1.0x", "")]
    over, lost_total = [], 0
    paths = [("e-mail (SMTP, one document per message)", JobSource.EMAIL, "email", docs,
              lambda: submit_by_email(docs, user.email, submission_address(org)))]
    try:
        from agents import ipp  # noqa: F401
        from printmgmt.services.print_tokens import create_token

        _token, secret = create_token(user, "Bench computer")
        paths.append(("IPP Print-Job (print token, keep-alive)", JobSource.IPP, "ipp", docs,
                      lambda: submit_by_ipp(docs, user.email, secret)))
        few = docs[:100]
        paths.append(("IPP Print-Job, e-mail and password, 100 jobs (info)", JobSource.IPP, "basic", few,
                      lambda: submit_by_ipp(few, user.email, PASSWORD, prefix="basic")))
    except ImportError:
        print("[bench_print_submission] agents.ipp is missing: IPP not measured")
    for label, source, prefix, sent, run in paths:
        elapsed = run()
        missing = lost(source, sent, prefix)
        lost_total += missing
        ratio = elapsed / (baseline * len(sent) / JOBS)
        if ratio > GOAL and "(info)" not in label:
            over.append(label)
        rows.append((label, f"{len(sent) / elapsed:,.0f}", f"{ratio:.1f}x", f"{missing}"))

    from django.db import connection

    print(f"\nPrint submission of {JOBS:,} one-page PDFs ({size_kb:.0f} KB on average), {connection.vendor}\n")
    print(table(rows, ("path", "jobs/s", "time vs baseline", "lost")))
    met = not over and not lost_total
    print(f"\nGoal: each path <= {GOAL:.0f}x the time of writing the files directly, nothing lost: "
          + ("met" if met else f"NOT met ({', '.join(over) or f'{lost_total} lost'})"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
