"""How messages leave and commands arrive: MQTT (paho-mqtt 1.6) on the Azure IoT Hub device topics of
agents/protocol.py with QoS 1, TLS for mqtts://, and paho's exponential reconnect back-off; the REST fallback
(`POST /api/agents/v1/messages`, `GET /api/agents/v1/commands`) when no broker is configured or the broker has
been unreachable for a grace period. Everything upstream goes through the outbox (agents/core/outbox.py): a
message leaves the outbox only once the broker or the server has acknowledged it. Why paho and not
azure-iot-device: docs/decisions/0011-agent-runtime.md."""
from __future__ import annotations

import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlparse

from .. import protocol
from .http import HttpError, RestClient, Unreachable
from .outbox import Outbox, Pending

log = logging.getLogger(__name__)

QOS = 1
REST_BATCH = 100                 # messages per POST (the server takes up to 1000 and 8 MB)
MQTT_WINDOW = 100                # messages published before waiting for their PUBACKs


class CredentialsRejected(Exception):
    """The server answered 401: the agent was deactivated, or its secret replaced by a new activation."""


@dataclass
class TransportSettings:
    mqtt_url: str = ""                 # "" = REST only
    verify_tls: bool = True
    ca_file: str = ""
    client_cert: str = ""
    client_key: str = ""
    backoff_min: float = 1.0
    backoff_max: float = 300.0
    mqtt_grace_seconds: float = 10.0
    publish_timeout: float = 10.0


def upstream_topic(device_id: str, message_id: str) -> str:
    """The device-to-cloud topic with IoT Hub system properties (message id, content type and encoding), as
    azure-iot-device writes them; the server reads the device id from the topic and ignores the rest."""
    properties = f"$.mid={message_id}&$.ct={quote('application/json', safe='')}&$.ce=utf-8"
    return protocol.telemetry_topic(device_id) + quote(properties, safe="=&")


def mqtt_client(url: str, client_id: str, device_id: str, secret: str, settings: TransportSettings,
                *, clean_session: bool):
    """A paho client for the broker URL: user name/password from the URL, else the device's credentials;
    TLS for mqtts:// (CA file, optional client certificate for X.509 device identities)."""
    import paho.mqtt.client as mqtt

    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"the broker URL must start with mqtt:// or mqtts://, not {url!r}")
    client = mqtt.Client(client_id=client_id, clean_session=clean_session, protocol=mqtt.MQTTv311)
    client.username_pw_set(unquote(parsed.username) if parsed.username else device_id,
                           unquote(parsed.password or "") if parsed.username else secret)
    tls = parsed.scheme in ("mqtts", "ssl")
    if tls:
        client.tls_set(ca_certs=settings.ca_file or None, certfile=settings.client_cert or None,
                       keyfile=settings.client_key or None,
                       cert_reqs=ssl.CERT_REQUIRED if settings.verify_tls else ssl.CERT_NONE)
        client.tls_insecure_set(not settings.verify_tls)
    return client, parsed.hostname or "127.0.0.1", parsed.port or (8883 if tls else 1883)


class MqttLink:
    """The agent's broker session: a persistent session (the broker keeps QoS 1 commands while the agent is
    away), subscribed to its command topic, reconnecting by itself with exponential back-off."""

    def __init__(self, url: str, device_id: str, secret: str, settings: TransportSettings,
                 on_command: Callable[[protocol.CommandMessage], None], on_connected: Callable[[], None]):
        self.url, self.device_id, self.settings = url, device_id, settings
        self.on_command, self.on_connected = on_command, on_connected
        self.connected = threading.Event()
        self.down_since: float = time.monotonic()
        self.last_error = ""
        self.stopping = False
        self.client, self.host, self.port = mqtt_client(url, device_id, device_id, secret, settings,
                                                        clean_session=False)
        self.client.reconnect_delay_set(max(1, int(settings.backoff_min)), max(1, int(settings.backoff_max)))
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._message

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=60)
        self.client.loop_start()   # paho's thread: retries the first connection too, with back-off

    def stop(self) -> None:
        self.stopping = True
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def _connected(self, client, _userdata, _flags, rc) -> None:
        if rc != 0:
            import paho.mqtt.client as mqtt

            self.last_error = mqtt.connack_string(rc)
            log.warning("broker %s:%s refused the connection: %s", self.host, self.port, self.last_error)
            return
        client.subscribe(protocol.command_subscription(self.device_id), qos=QOS)
        self.last_error = ""
        self.connected.set()
        log.info("connected to the broker %s:%s", self.host, self.port)
        self.on_connected()

    def _disconnected(self, _client, _userdata, rc) -> None:
        if self.connected.is_set() and not self.stopping:
            self.down_since = time.monotonic()
            log.warning("lost the broker connection (rc=%s); reconnecting with back-off", rc)
        self.connected.clear()

    def _message(self, _client, _userdata, message) -> None:
        """A command from the server; anything else on the topic is logged and dropped."""
        try:
            decoded = protocol.decode(message.payload, upstream=False)
        except protocol.ProtocolError as error:
            log.warning("dropped a message on %s: %s", message.topic, error)
            return
        if decoded.type != protocol.MessageType.COMMAND or decoded.agent != self.device_id:
            log.warning("dropped a %s message for %s on my command topic", decoded.type, decoded.agent)
            return
        self.on_command(decoded.body)

    def publish(self, batch: list[Pending]) -> list[str]:
        """Publish with QoS 1 and wait for the PUBACKs; the ids the broker acknowledged."""
        infos = []
        for item in batch:
            if not self.connected.is_set():
                break
            info = self.client.publish(upstream_topic(self.device_id, item.id), item.payload, qos=QOS)
            infos.append((item.id, info))
        deadline = time.monotonic() + self.settings.publish_timeout
        acknowledged = []
        for message_id, info in infos:
            try:
                info.wait_for_publish(max(deadline - time.monotonic(), 0.01))
            except (ValueError, RuntimeError):
                continue
            if info.is_published():
                acknowledged.append(message_id)
        return acknowledged


class Transport:
    """Drains the outbox over MQTT or REST and fetches commands over REST. Blocking calls: the runner runs
    them in a worker thread."""

    def __init__(self, device_id: str, secret: str, rest: RestClient, outbox: Outbox, settings: TransportSettings,
                 on_command: Callable[[protocol.CommandMessage], None], on_connected: Callable[[], None]):
        self.device_id, self.rest, self.outbox, self.settings = device_id, rest, outbox, settings
        self.on_command = on_command
        self.mqtt = (MqttLink(settings.mqtt_url, device_id, secret, settings, on_command, on_connected)
                     if settings.mqtt_url else None)
        self.last_communication: float | None = None    # time.time() of the last acknowledged exchange
        self.last_error = ""
        self.route = "mqtt" if self.mqtt else "rest"
        self._delivering = threading.Lock()   # one drain at a time (a cancelled one may still be finishing)

    def start(self) -> None:
        if self.mqtt:
            self.mqtt.start()

    def stop(self) -> None:
        if self.mqtt:
            self.mqtt.stop()

    @property
    def mqtt_connected(self) -> bool:
        return bool(self.mqtt and self.mqtt.connected.is_set())

    def rest_allowed(self) -> bool:
        """REST carries messages when there is no broker, or it has been away longer than the grace period."""
        if self.mqtt is None:
            return True
        return (not self.mqtt_connected
                and time.monotonic() - self.mqtt.down_since >= self.settings.mqtt_grace_seconds)

    def _communicated(self) -> None:
        self.last_communication = time.time()
        self.last_error = ""

    def deliver(self) -> int:
        """Send what the outbox holds, oldest first, until it is empty or the way is blocked. Returns how many
        were delivered; raises Unreachable (retry with back-off) or CredentialsRejected."""
        with self._delivering:
            return self._drain()

    def _drain(self) -> int:
        delivered = 0
        while True:
            window = MQTT_WINDOW if self.mqtt_connected else REST_BATCH
            batch = self.outbox.peek(window)
            if not batch:
                return delivered
            if self.mqtt_connected:
                self.route = "mqtt"
                acknowledged = self.mqtt.publish(batch)
                self.outbox.remove(acknowledged)
                delivered += len(acknowledged)
                if acknowledged:
                    self._communicated()
                if len(acknowledged) < len(batch):
                    raise Unreachable("the broker did not acknowledge every message")
            elif self.rest_allowed():
                self.route = "rest"
                delivered += self._post(batch)
            else:
                return delivered   # wait for the broker to come back (within its grace period)

    def _post(self, batch: list[Pending]) -> int:
        """POST a batch; a refused batch is retried one by one so that one bad message costs only itself."""
        try:
            self.rest.post_json("messages", b"[" + b",".join(item.payload for item in batch) + b"]")
        except HttpError as error:
            if error.status == 401:
                raise CredentialsRejected(str(error)) from None
            if error.status in (400, 403, 413):
                if len(batch) > 1:
                    return sum(self._post([item]) for item in batch)
                log.error("the server refused message %s (%s), dropped: %s", batch[0].id, batch[0].type, error)
                self.outbox.remove([batch[0].id])
                return 0
            raise Unreachable(str(error)) from None
        self.outbox.remove(item.id for item in batch)
        self._communicated()
        return len(batch)

    def poll_commands(self) -> list[protocol.CommandMessage]:
        """GET commands: the agent's pending jobs, as the broker would deliver them."""
        try:
            answer = self.rest.get("commands")
        except HttpError as error:
            if error.status == 401:
                raise CredentialsRejected(str(error)) from None
            raise Unreachable(str(error)) from None
        self._communicated()
        commands = []
        for raw in (answer or {}).get("commands", []):
            try:
                message = protocol.decode(raw, upstream=False)
            except protocol.ProtocolError as error:
                log.warning("dropped a command from the server: %s", error)
                continue
            if message.type == protocol.MessageType.COMMAND:
                commands.append(message.body)
        return commands

    def upload(self, job: int, name: str, content: bytes, attempts: int = 4) -> dict:
        """A job file (MIB walk, log) over HTTPS; the answer names the stored file. A server error or an
        unreachable server is retried with back-off a few times before the job fails."""
        delay = self.settings.backoff_min
        for attempt in range(attempts):
            try:
                return self.rest.upload(f"jobs/{job}/files", name, content) or {}
            except HttpError as error:
                if error.status < 500 or attempt == attempts - 1:
                    raise
            except Unreachable:
                if attempt == attempts - 1:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, self.settings.backoff_max)
        return {}


def check_broker(url: str, device_id: str, secret: str, settings: TransportSettings,
                 timeout: float = 5.0) -> tuple[bool, str]:
    """Test Agent Connection, broker half: a short separate connection with the agent's credentials."""
    if not url:
        return False, "No broker configured: messages go over REST."
    try:
        client, host, port = mqtt_client(url, f"{device_id or 'agent'}-test-{uuid.uuid4().hex[:8]}",
                                         device_id, secret, settings, clean_session=True)
    except ValueError as error:
        return False, str(error)
    done, answer = threading.Event(), {}

    def connected(_client, _userdata, _flags, rc):
        answer["rc"] = rc
        done.set()

    client.on_connect = connected
    started = time.monotonic()
    try:
        client.connect(host, port, keepalive=10)
    except (OSError, ValueError, ssl.SSLError) as error:
        return False, f"{host}:{port} unreachable: {error}"
    client.loop_start()
    try:
        if not done.wait(timeout):
            return False, f"{host}:{port} did not answer within {timeout:.0f} s"
        if answer["rc"] != 0:
            import paho.mqtt.client as mqtt

            return False, f"{host}:{port} refused the connection: {mqtt.connack_string(answer['rc'])}"
        return True, f"{host}:{port} accepted the connection in {1000 * (time.monotonic() - started):.0f} ms"
    finally:
        client.disconnect()
        client.loop_stop()


def check_server(rest: RestClient, activated: bool) -> tuple[bool, str]:
    """Test Agent Connection, server half: GET definition (with credentials when activated)."""
    if not rest.server:
        return False, "No server configured (activate with --server URL --code CODE)."
    started = time.monotonic()
    try:
        rest.get("definition", timeout=10)
    except HttpError as error:
        if error.status == 401 and not activated:
            return True, f"{rest.server} answered (the agent is not activated yet)"
        if error.status == 401:
            return False, f"{rest.server} rejected the agent's credentials (deactivated?)"
        return False, f"{rest.server} answered HTTP {error.status}"
    except Unreachable as error:
        return False, f"unreachable: {error}"
    return True, f"{rest.server} answered in {1000 * (time.monotonic() - started):.0f} ms"
