"""Activation: the 72-hour code from the portal becomes the agent's own credentials (POST activate), kept in
the state directory; then the definition (GET definition), cached so that the agent starts offline too."""
from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

from .. import __version__
from .config import NATIVE, AgentConfig, Credentials, StateDir
from .http import HttpError, RestClient

log = logging.getLogger(__name__)


class ActivationFailed(Exception):
    """The server refused the code (invalid, expired, used up) or could not be reached. `transient`: the
    server was unreachable or failed (5xx, 429), so trying again soon may succeed; a refusal is not."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def client_for(config: AgentConfig, credentials: Credentials | None = None, server: str = "") -> RestClient:
    """A REST client with the configured TLS, proxy and timeout, authenticated when credentials are given."""
    return RestClient(server or (credentials.server if credentials else config.server),
                      device_id=credentials.device_id if credentials else "",
                      secret=credentials.secret if credentials else "",
                      timeout=config.http_timeout, verify=config.verify_tls, ca_file=config.ca_file,
                      proxy=config.proxy)


def _local_ip(server_host: str) -> str | None:
    """The address this host uses towards the server (no packet is sent: a UDP socket only routes)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((server_host or "127.0.0.1", 9))
            return probe.getsockname()[0]
    except OSError:
        return None


def activate(config: AgentConfig, state: StateDir, *, server: str = "", code: str = "") -> Credentials:
    """POST activate with the code and store the credentials (0600). A new activation replaces old ones."""
    from urllib.parse import urlparse

    server = (server or config.server).rstrip("/")
    code = (code or config.activation_code).strip()
    if not server or not code:
        raise ActivationFailed("Both the server URL and the activation code are needed to activate.")
    client = client_for(config, server=server)
    host_name = config.host_name or socket.gethostname()
    body = {"code": code, "kind": config.kind, "host_name": host_name, "version": __version__}
    address = _local_ip(urlparse(server).hostname or "")
    if address:
        body["ip_address"] = address
    return _store(state, server, _post(client, "activate", body))


def enroll_native(config: AgentConfig, state: StateDir, serial: str, identity: dict | None = None) -> Credentials:
    """A Native-Agent printer enrolls itself: POST enroll with its (pre-enrolled) serial number, the
    organization's enrollment code and what it knows about itself; the server creates its Native Agent,
    enrolls the printer under it and answers the same credentials as `activate`."""
    server = config.server.rstrip("/")
    code = config.enrollment_code.strip()
    if not server or not code or not serial:
        raise ActivationFailed("The server URL, the enrollment code and the serial number are needed to enroll.")
    body = {"serial": serial, "enrollment_code": code,
            "identity": {k: v for k, v in (identity or {}).items() if v not in (None, "")}}
    return _store(state, server, _post(client_for(config, server=server), "enroll", body))


def _post(client: RestClient, route: str, body: dict) -> dict:
    """POST without credentials; the server's refusal ("The ... code is invalid or expired.") as
    ActivationFailed."""
    try:
        return client.post_json(route, body)
    except HttpError as error:
        message = error.body.get("error") if isinstance(error.body, dict) else str(error)
        raise ActivationFailed(message or str(error), transient=error.status >= 500 or error.status == 429) from None
    except OSError as error:
        raise ActivationFailed(f"The server could not be reached: {error}", transient=True) from None


def _store(state: StateDir, server: str, answer: dict) -> Credentials:
    """The credentials answer of activate/enroll kept in the state directory (0600)."""
    credentials = Credentials(
        device_id=answer["device_id"], secret=answer["secret"], server=server,
        mqtt_url=(answer.get("mqtt") or {}).get("url", ""), organization=answer.get("organization") or {},
        agent=answer.get("agent") or {}, definition_url=answer.get("definition_url", ""),
        activated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    state.forget()   # a new identity: nothing queued or learned under the old one may be sent under it
    state.save_credentials(credentials)
    log.info("activated as %s (%s) for %s", credentials.device_id, credentials.agent.get("name", ""),
             credentials.organization.get("name", ""))
    return credentials


def fetch_definition(client: RestClient, state: StateDir) -> dict:
    """GET definition and cache it; raises HttpError/Unreachable for the caller to fall back on the cache."""
    definition = client.get("definition")
    if not isinstance(definition, dict):
        raise HttpError(200, "the definition is not a JSON object")
    state.save_definition(definition)
    return definition


def ensure_activated(config: AgentConfig, state: StateDir, identity: dict | None = None) -> Credentials | None:
    """Silent activation: credentials already on disk win; otherwise a code in the configuration activates
    now (a Native Agent enrolls with its serial and the enrollment code, presenting `identity`). None when
    neither is there (the agent waits, showing "Activation required")."""
    credentials = state.credentials()
    if credentials is not None:
        return credentials
    if config.silent_code and config.server:
        if state.deactivated_code() == config.silent_code:
            return None   # deactivated by the server: only a new code (or `activate`) brings it back
        if config.kind == NATIVE:
            return enroll_native(config, state, config.serial or str((identity or {}).get("serial") or ""),
                                 identity)
        return activate(config, state)
    return None
