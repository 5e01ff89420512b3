"""The e-mail submission server: an SMTP server (aiosmtpd) for every organization's submission address.
Unknown recipients and senders who are not users of the organization are refused at RCPT time (550), so
nothing is queued for them, unless the organization takes guests (printmgmt.services.guests); the message itself goes to printmgmt.services.email_submission.accept, whose
250 reply says how many jobs were created. aiosmtpd runs its own event loop thread: the Django ORM runs in
a separate worker thread (the ORM must not run inside an event loop), which closes its connections after
each call so none outlives its use."""
import asyncio
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections

from printmgmt.services import email_submission

log = logging.getLogger(__name__)
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, try again later"


class IngestHandler:
    """aiosmtpd handler: RCPT and DATA checks through the e-mail submission service, in ORM threads."""

    def __init__(self, workers: int = 1):
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtp-ingest-orm")
        self.messages = self.jobs = 0

    async def _orm(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, _with_fresh_connection,
                                                                function, *args)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        try:
            refusal = await self._orm(email_submission.check_recipient, envelope.mail_from, address)
        except Exception:
            log.exception("smtp_ingest: checking recipient %s failed", address)
            return TEMPORARY_FAILURE
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        try:
            outcome = await self._orm(email_submission.accept, envelope.mail_from, list(envelope.rcpt_tos),
                                      content)
        except Exception:
            log.exception("smtp_ingest: a message from %s could not be processed", envelope.mail_from)
            return TEMPORARY_FAILURE
        self.messages += 1
        self.jobs += len(outcome.jobs)
        return outcome.smtp_reply

    def close(self) -> None:
        """Close the worker thread's database connections, then the thread."""
        self.executor.submit(connections.close_all).result()
        self.executor.shutdown(wait=True)


def _with_fresh_connection(function, *args):
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


def make_controller(host: str = "127.0.0.1", port: int = 2525, workers: int = 1) -> Controller:
    """A started-later Controller whose SMTP server refuses messages over PRINT_EMAIL_MAX_BYTES (552) itself."""
    handler = IngestHandler(workers)
    return Controller(handler, hostname=host, port=port, data_size_limit=email_submission.max_bytes())


def stop_controller(controller: Controller) -> None:
    controller.stop()
    controller.handler.close()


class Command(BaseCommand):
    help = "Run the e-mail submission SMTP server: mail to an organization's print address becomes print jobs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--workers", type=int, default=1, help="ORM threads handling messages (default 1)")

    def handle(self, host, port, workers, **options):
        controller = make_controller(host, port, workers)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"E-mail submission listening on {host}:{port}")
        self.stdout.flush()
        try:
            while not stop.wait(1):
                pass
        finally:
            stop_controller(controller)
            handler = controller.handler
            self.stdout.write(f"Stopped: {handler.messages} messages, {handler.jobs} print jobs")
