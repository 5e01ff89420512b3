"""Activation: the 72-hour code from the portal becomes the agent's own credentials (POST activate), kept in
the state directory; then the definition (GET definition), cached so that the agent starts offline too."""
from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

from .. import __version__
from .config import AgentConfig, Credentials, StateDir
from .http import HttpError, RestClient

log = logging.getLogger(__name__)


class ActivationFailed(Exception):
    """The server refused the code (invalid, expired, used up) or could not be reached."""


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
    try:
        answer = client.post_json("activate", body)
    except HttpError as error:
        message = error.body.get("error") if isinstance(error.body, dict) else str(error)
        raise ActivationFailed(message or str(error)) from None
    except OSError as error:
        raise ActivationFailed(f"The server could not be reached: {error}") from None
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


def ensure_activated(config: AgentConfig, state: StateDir) -> Credentials | None:
    """Silent activation: credentials already on disk win; otherwise a code in the configuration activates
    now. None when neither is there (the agent waits, showing "Activation required")."""
    credentials = state.credentials()
    if credentials is not None:
        return credentials
    if config.activation_code and config.server:
        if state.deactivated_code() == config.activation_code.strip():
            return None   # deactivated by the server: only a new code (or `activate`) brings it back
        return activate(config, state)
    return None
