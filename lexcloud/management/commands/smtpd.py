"""A local SMTP sink for development: accepts every message on 127.0.0.1, prints a summary with any links,
and keeps each message as an .eml file under var/mail/ (aiosmtpd)."""
import re
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand

LINK = re.compile(r"https?://\S+")


class SinkHandler:
    def __init__(self, folder: Path, out):
        self.folder, self.out = folder, out

    async def handle_DATA(self, server, session, envelope):
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{time.time_ns()}.eml"
        path.write_bytes(envelope.content)
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        links = LINK.findall(body.get_content()) if body else []
        self.out.write(f"[mail] to={','.join(envelope.rcpt_tos)} subject={message['subject']!r} saved={path}")
        for link in links:
            self.out.write(f"[mail]   link: {link}")
        return "250 Message accepted for delivery"


class Command(BaseCommand):
    help = "Run a local SMTP sink (development only): prints and stores every message it receives."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1025)

    def handle(self, host, port, **options):
        controller = Controller(SinkHandler(Path(settings.VAR_DIR) / "mail", self.stdout), hostname=host, port=port)
        controller.start()
        self.stdout.write(f"SMTP sink listening on {host}:{port}; messages saved under {settings.VAR_DIR / 'mail'}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
