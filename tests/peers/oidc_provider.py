"""A real, certified OpenID Provider for the federation tests: the npm package `oidc-provider` (panva), run by
`tests/peers/oidc/server.mjs` on 127.0.0.1 over plain http.

    with start_op(tmp_path, clients=[{"client_id": "lexcloud", "client_secret": "s3cret",
                                      "redirect_uris": [f"{live_server.url}/federation/{org.pk}/oidc/callback/"],
                                      "id_token_signed_response_alg": "ES256",
                                      "token_endpoint_auth_method": "client_secret_post"}],
                  users={"alice": {"password": "pw", "claims": {"sub": "alice-1", "email": "alice@acme.test",
                                                                 "given_name": "Alice", "badge": "0042"}}}) as op:
        op.issuer, op.discovery_url
        response = sign_in_with_requests(session, authorize_url, "alice", "pw")   # 303 to the redirect_uri

Clients take any oidc-provider client metadata; `token_endpoint_auth_method` defaults to `client_secret_basic`
(oidc-provider accepts only the one registered method per client). PKCE (S256) is required, scopes `openid email
profile`, and the scope claims (with the custom `badge pin department costcenter groups` under `profile`) are in
the ID token as well as at userinfo. Locally a missing node or `npm ci` skips the test; in CI
(LEXCLOUD_REQUIRE_SERVICES=1) it fails instead."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

OP_DIR = Path(__file__).resolve().parent / "oidc"
SERVER = OP_DIR / "server.mjs"
MISSING_MESSAGE = "needs node and the npm package oidc-provider (cd tests/peers/oidc && npm ci)"
READY_TIMEOUT = 20.0


@dataclass
class OpProcess:
    """A running OpenID Provider. `issuer` is e.g. http://127.0.0.1:41234 (no trailing slash)."""

    issuer: str
    process: subprocess.Popen = field(repr=False)
    log_path: Path
    config_path: Path

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def port(self) -> int:
        return urlsplit(self.issuer).port or 80

    def discovery(self) -> dict[str, Any]:
        """The provider's metadata (authorization_endpoint, token_endpoint, jwks_uri, userinfo_endpoint...)."""
        with requests.Session() as session:
            session.trust_env = False
            response = session.get(self.discovery_url, timeout=10)
            response.raise_for_status()
            return response.json()

    def logs(self) -> str:
        """What the provider wrote on stderr so far (failed sign-ins, grant/authorization errors)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def _unavailable() -> None:
    if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
        pytest.fail(MISSING_MESSAGE)
    pytest.skip(MISSING_MESSAGE)


def _node() -> str:
    node = shutil.which("node")
    if not node or not (OP_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        _unavailable()
    return node


@contextlib.contextmanager
def start_op(tmp_path: Path, *, clients: Sequence[Mapping[str, Any]], users: Mapping[str, Mapping[str, Any]],
             issuer: str | None = None, port: int = 0) -> Iterator[OpProcess]:
    """Start the provider on 127.0.0.1 with these clients and users, yield it once it listens, stop it on exit.

    `port=0` (the default) lets the kernel pick a free loopback port when the server binds, so there is no race
    between choosing a port and using it; `issuer` defaults to http://127.0.0.1:<port>."""
    node = _node()
    workdir = Path(tmp_path) / f"oidc-op-{time.monotonic_ns()}"
    workdir.mkdir(parents=True)
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps({"clients": list(clients), "users": dict(users)}, indent=2))
    ready_path, log_path = workdir / "stdout.log", workdir / "stderr.log"

    command = [node, str(SERVER), "--port", str(port), "--config", str(config_path)]
    if issuer:
        command += ["--issuer", issuer]
    env = {**os.environ, "NODE_ENV": "test"}
    with open(ready_path, "wb") as stdout, open(log_path, "wb") as stderr:
        process = subprocess.Popen(command, cwd=OP_DIR, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                   env=env)
    try:
        op = OpProcess(issuer=_wait_ready(process, ready_path, log_path), process=process, log_path=log_path,
                       config_path=config_path)
        yield op
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen, ready_path: Path, log_path: Path) -> str:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        for line in ready_path.read_text(errors="replace").splitlines():
            if line.startswith("READY "):
                return line.split(" ", 1)[1].strip()
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID Provider exited with {process.returncode}:\n"
                               f"{log_path.read_text(errors='replace')}")
        time.sleep(0.05)
    _stop(process)
    raise RuntimeError(f"the OpenID Provider did not print READY within {READY_TIMEOUT:.0f}s:\n"
                       f"{log_path.read_text(errors='replace')}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class _Forms(HTMLParser):
    """The forms of a page: action, method and the named inputs with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""),
                               "method": attributes.get("method", "get").lower(), "fields": {}})
        elif tag in ("input", "button", "textarea", "select") and self.forms and attributes.get("name"):
            if tag == "button" or attributes.get("type") == "submit":
                return
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value", "")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def sign_in_with_requests(session: requests.Session, authorize_url: str, login: str, password: str, *,
                          max_hops: int = 20, timeout: float = 10) -> requests.Response:
    """Walk an authorization request through the provider: follow its redirects, post the sign-in form once
    (fields `login` and `password`), let consent be granted, and return the response of the last hop that is
    still on the provider: normally the 303 whose Location is the client's redirect_uri with `code` and
    `state` (not followed, so the caller can deliver it to the relying party with its own client).

    If the provider stops on a page instead (wrong password: the form again, status 200; an error page: 400),
    that response is returned; check `response.is_redirect`."""
    op_origin = _origin(authorize_url)
    url, method, data = authorize_url, "GET", None
    posted = False
    for _hop in range(max_hops):
        response = session.request(method, url, data=data, allow_redirects=False, timeout=timeout)
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if _origin(target) != op_origin:
                return response
            url, method, data = target, "GET", None
            continue
        if response.status_code != 200 or posted:
            return response
        parser = _Forms()
        parser.feed(response.text)
        form = next((form for form in parser.forms if {"login", "password"} <= set(form["fields"])), None)
        if form is None:
            return response
        fields = {**form["fields"], "login": login, "password": password}
        url, method, data = urljoin(response.url, form["action"]), form["method"].upper(), fields
        posted = True
    raise RuntimeError(f"no redirect off the OpenID Provider after {max_hops} hops (last: {url})")
