"""`manage.py mqtt_ingest`: the telemetry ingest process. Subscribes to the agents' upstream topics on the
MQTT broker (settings.MQTT_URL) with QoS 1, gathers messages into batches and applies each batch through
fleet.services.ingest with the device id of each message's topic (the broker's ACL lets a device publish only
under its own id).

Several processes can share the load with an MQTT shared subscription (`--share GROUP`). paho's network
thread only queues messages; this thread decodes and writes, so a slow database never stalls the broker
connection. SIGTERM/SIGINT stop it cleanly: it disconnects, applies what it already received, and exits.
A lost broker connection is retried with back-off by paho; a lost database connection by this loop.
"""
import os
import queue
import signal
import socket
import ssl
import threading
import time
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connection

from agents.protocol import EVENTS_SUBSCRIPTION, device_of_topic
from fleet.services.ingest import IngestResult, decode_payloads, ingest

RECONNECT_DELAYS = (1, 60)          # seconds, paho's exponential back-off to the broker
DATABASE_RETRY_MAX = 30             # seconds between attempts while the database is away


class IngestLoop:
    """The subscribe → batch → ingest loop, usable from the command or from a test thread."""

    def __init__(self, url: str, *, topics=(EVENTS_SUBSCRIPTION,), share: str = "", client_id: str = "",
                 batch_size: int = 500, batch_ms: int = 200, progress_seconds: float = 30.0, write=print):
        self.url = urlparse(url)
        if self.url.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"MQTT_URL must start with mqtt:// or mqtts://, not {url!r}")
        self.topics = [f"$share/{share}/{t}" if share else t for t in topics]
        self.persistent = bool(client_id)   # a fixed client id keeps a broker session across restarts
        self.client_id = client_id or f"lexcloud-ingest-{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self.batch_size, self.batch_seconds = batch_size, batch_ms / 1000
        self.progress_seconds, self.write = progress_seconds, write
        self.inbox: queue.Queue = queue.Queue()
        self.totals = IngestResult()
        self.subscribed, self.stopping = threading.Event(), threading.Event()
        self._last_progress = self._started = time.monotonic()
        self._reported = 0

    # ------------------------------------------------------------------------------------------ broker
    def _client(self):
        import paho.mqtt.client as mqtt

        client = mqtt.Client(client_id=self.client_id, clean_session=not self.persistent,
                             protocol=mqtt.MQTTv311)
        if self.url.username:
            client.username_pw_set(unquote(self.url.username), unquote(self.url.password or ""))
        if self.url.scheme in ("mqtts", "ssl"):
            client.tls_set(ca_certs=settings.MQTT_CA_FILE or None, certfile=settings.MQTT_CERT_FILE or None,
                           keyfile=settings.MQTT_KEY_FILE or None, cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(*RECONNECT_DELAYS)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = lambda c, userdata, mid, granted: self._subscribed(granted)
        client.on_message = lambda c, userdata, msg: self.inbox.put((msg.topic, msg.payload))
        return client

    def _on_connect(self, client, userdata, flags, rc):
        if rc != 0:
            self.write(f"mqtt_ingest: broker refused the connection (code {rc}); retrying")
            return
        self.write(f"mqtt_ingest: connected to {self.url.hostname}:{self._port()} as {self.client_id}")
        client.subscribe([(topic, 1) for topic in self.topics])

    def _on_disconnect(self, client, userdata, rc):
        self.subscribed.clear()
        if rc != 0 and not self.stopping.is_set():
            self.write("mqtt_ingest: connection to the broker lost; reconnecting with back-off")

    def _subscribed(self, granted):
        if any(code == 0x80 for code in granted):
            self.write(f"mqtt_ingest: the broker refused the subscription to {', '.join(self.topics)}")
            return
        self.write(f"mqtt_ingest: subscribed to {', '.join(self.topics)} (QoS 1)")
        self.subscribed.set()

    def _port(self) -> int:
        return self.url.port or (8883 if self.url.scheme in ("mqtts", "ssl") else 1883)

    # ------------------------------------------------------------------------------------------ loop
    def run(self) -> IngestResult:
        try:
            connection.ensure_connection()      # say at once when the database is not reachable
        except (OperationalError, InterfaceError) as exc:
            self.write(f"mqtt_ingest: database unavailable ({exc}); messages wait until it is back")
        client = self._client()
        client.connect_async(self.url.hostname or "127.0.0.1", self._port(), keepalive=30)
        client.loop_start()
        try:
            while not self.stopping.is_set():
                batch = self._collect()
                if batch:
                    self._apply(batch)
                self._progress()
        finally:
            client.disconnect()
            client.loop_stop()
            self._drain()
            self._progress(final=True)
            connection.close()
        return self.totals

    def stop(self) -> None:
        self.stopping.set()

    def _collect(self) -> list:
        """Up to batch_size messages, waiting at most batch_ms after the first one."""
        try:
            batch = [self.inbox.get(timeout=0.5)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _drain(self) -> None:
        """After the disconnect: apply what was received (and acknowledged) already."""
        batch = []
        while True:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                break
            if len(batch) >= self.batch_size:
                self._apply(batch, final=True)
                batch = []
        if batch:
            self._apply(batch, final=True)

    def _apply(self, batch, final=False) -> None:
        decoded, result = decode_payloads((device_of_topic(topic), payload) for topic, payload in batch)
        delay = 1
        while True:
            try:
                result.merge(ingest(decoded))
                break
            except (OperationalError, InterfaceError) as exc:
                connection.close()
                if final or self.stopping.is_set():
                    self.write(f"mqtt_ingest: database unavailable ({exc}); {len(decoded)} messages not applied")
                    result.errors += len(decoded)
                    break
                self.write(f"mqtt_ingest: database unavailable ({exc}); retrying in {delay}s")
                time.sleep(delay)
                delay = min(delay * 2, DATABASE_RETRY_MAX)
        self.totals.merge(result)
        for problem in result.problems[:3]:
            self.write(f"mqtt_ingest: {problem}")

    def _progress(self, final=False) -> None:
        now = time.monotonic()
        if not final and now - self._last_progress < self.progress_seconds:
            return
        t = self.totals
        rate = (t.messages - self._reported) / max(now - self._last_progress, 1e-6)
        self.write(f"mqtt_ingest: {t.messages} messages ({t.applied} applied, {t.duplicates} duplicates, "
                   f"{t.refused} refused, {t.errors} errors), {t.reports} printer reports ({t.stale} stale, "
                   f"{t.refused_reports} refused); {rate:.0f} messages/s, {self.inbox.qsize()} queued"
                   + (f" - stopped after {time.process_time():.1f}s of CPU" if final else ""))
        self._last_progress, self._reported = now, t.messages


class Command(BaseCommand):
    help = "Apply agents' MQTT messages (telemetry, enroll, heartbeat, event) to the database, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="", help="broker URL (default: settings.MQTT_URL)")
        parser.add_argument("--share", default="", metavar="GROUP",
                            help="join the MQTT shared subscription $share/GROUP/... to scale out over processes")
        parser.add_argument("--client-id", default="",
                            help="fixed MQTT client id: the broker keeps the session (and queues QoS 1 messages) "
                                 "while this process restarts; '{hostname}' in it is replaced by the host name "
                                 "(one id per container when scaled out); default: a fresh id and a clean session")
        parser.add_argument("--topic", action="append", default=[],
                            help=f"topic filter to subscribe to (repeatable; default {EVENTS_SUBSCRIPTION})")
        parser.add_argument("--batch-size", type=int, default=500, help="messages per transaction (default 500)")
        parser.add_argument("--batch-ms", type=int, default=200,
                            help="longest wait in milliseconds to fill a batch (default 200)")
        parser.add_argument("--progress", type=float, default=30.0, metavar="SECONDS",
                            help="print a line of counters this often (default 30)")

    def handle(self, *args, url, share, client_id, topic, batch_size, batch_ms, progress, **options):
        url = url or settings.MQTT_URL
        if not url:
            raise CommandError("MQTT_URL is not set: give the broker as MQTT_URL=mqtt://host:1883 or --url")
        try:
            client_id = client_id.replace("{hostname}", socket.gethostname())
            loop = IngestLoop(url, topics=topic or (EVENTS_SUBSCRIPTION,), share=share, client_id=client_id,
                              batch_size=batch_size, batch_ms=batch_ms, progress_seconds=progress,
                              write=self._write)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: loop.stop())
        loop.run()

    def _write(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
