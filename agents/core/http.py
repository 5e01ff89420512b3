"""The agents' REST client for /api/agents/v1/: stdlib urllib (no extra dependency on the installed host),
HTTP Basic with the device id and secret, a timeout on every call, TLS verification on by default (a CA file
for self-hosted servers, or off for a lab), and an optional HTTP proxy."""
from __future__ import annotations

import base64
import json
import ssl
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

API_ROOT = "/api/agents/v1/"


class Unreachable(OSError):
    """The server could not be reached (network, DNS, TLS, timeout): retry later."""


@dataclass
class HttpError(Exception):
    """The server answered with an error status; `body` is its JSON (or text) for the log."""

    status: int
    body: object = None

    def __str__(self) -> str:
        return f"HTTP {self.status}: {str(self.body)[:300]}"


@dataclass
class Answer:
    status: int
    data: object
    elapsed: float


def tls_context(verify: bool = True, ca_file: str = "") -> ssl.SSLContext:
    """Certificate checks as configured: the system store, a given CA bundle, or none (lab only)."""
    context = ssl.create_default_context(cafile=ca_file or None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class RestClient:
    """Calls the server's agent API. `device_id`/`secret` empty: unauthenticated (activation)."""

    def __init__(self, server: str, *, device_id: str = "", secret: str = "", timeout: float = 30.0,
                 verify: bool = True, ca_file: str = "", proxy: str = ""):
        self.server = server.rstrip("/")
        self.device_id, self.secret, self.timeout = device_id, secret, timeout
        handlers: list = [urllib.request.HTTPSHandler(context=tls_context(verify, ca_file))]
        # an explicit proxy, or none at all: environment proxies must not capture loopback test traffic
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {}))
        self.opener = urllib.request.build_opener(*handlers)
        # one call at a time: an agent is a small client, and its calls keep their order (a job's file upload
        # before the event that names it)
        self._one_at_a_time = threading.Lock()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.server + (path if path.startswith("/") else API_ROOT + path)

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"Accept": "application/json", "User-Agent": "lexcloud-agent"}
        if self.device_id:
            token = base64.b64encode(f"{self.device_id}:{self.secret}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return {**headers, **(extra or {})}

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                timeout: float | None = None) -> Answer:
        """One call; 2xx returns the decoded answer, other statuses raise HttpError, no answer Unreachable."""
        request = urllib.request.Request(self.url(path), data=body, method=method, headers=self._headers(headers))
        with self._one_at_a_time:
            return self._send(request, timeout)

    def _send(self, request: urllib.request.Request, timeout: float | None) -> Answer:
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout or self.timeout) as response:
                raw = response.read()
                return Answer(response.status, _decode(raw), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            raw = error.read() if error.fp else b""
            raise HttpError(error.code, _decode(raw)) from None
        except (urllib.error.URLError, OSError, ssl.SSLError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"{self.server or 'no server configured'}: {reason}") from None

    def get(self, path: str, **options) -> object:
        return self.request("GET", path, **options).data

    def post_json(self, path: str, payload: object, **options) -> object:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        return self.request("POST", path, body=body, headers={"Content-Type": "application/json"}, **options).data

    def upload(self, path: str, name: str, content: bytes, content_type: str = "text/plain") -> object:
        """multipart/form-data with one part `file` (job files: MIB walks, logs)."""
        boundary = uuid.uuid4().hex
        safe_name = name.replace('"', "_")
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\n"
                f"Content-Type: {content_type}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, body=body,
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}).data


def _decode(raw: bytes) -> object:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return raw.decode("utf-8", "replace")[:2000]
