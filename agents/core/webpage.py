"""The agent's local web page (guide: the agent's local page on port 80): agent status, last communication,
activation state, proxy settings, and a "Test Agent Connection" button that checks the server and the broker.
Local-host-only by default (binds 127.0.0.1); an optional password (HTTP Basic, any user name). A stdlib
http.server in a daemon thread: no dependency, nothing to install on the host."""
from __future__ import annotations

import base64
import hmac
import html
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:52em}}th{{text-align:left;padding-right:2em}}
td,th{{padding:.25em 0}}.ok{{color:#146c2e}}.fail{{color:#b3261e}}button{{font-size:1em;padding:.4em 1em}}</style>
</head><body><h1>{title}</h1>
<table>{rows}</table>
<form method="post" action="/test"><p><button type="submit">Test Agent Connection</button></p></form>
{result}
</body></html>"""


def _rows(status: dict) -> str:
    labels = [("state", "Agent status"), ("activation", "Activation state"), ("agent_name", "Agent name"),
              ("organization", "Organization"), ("device_id", "Device ID"), ("version", "Agent version"),
              ("last_communication", "Last communication"), ("server", "Server"), ("broker", "Broker"),
              ("route", "Messages sent over"), ("queued", "Messages waiting"), ("printers", "Printers"),
              ("log_level", "Log level"), ("proxy", "Proxy settings"), ("error", "Last error")]
    return "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(status.get(key, '') or '-'))}</td></tr>"
                   for key, label in labels)


def _result(checks: dict | None) -> str:
    if not checks:
        return ""
    items = "".join(
        f"<li class=\"{'ok' if ok else 'fail'}\"><strong>{html.escape(name)}:</strong> "
        f"{'Success' if ok else 'Failed'} &mdash; {html.escape(detail)}</li>"
        for name, (ok, detail) in checks.items())
    overall = all(ok for ok, _ in checks.values())
    return (f"<h2 id=\"result\" class=\"{'ok' if overall else 'fail'}\">Test Agent Connection: "
            f"{'Success' if overall else 'Failed'}</h2><ul>{items}</ul>")


class LocalPage:
    """Serves the page for `status()` (a dict) and `test()` ({"Server": (ok, text), "Broker": ...})."""

    def __init__(self, status: Callable[[], dict], test: Callable[[], dict], *, bind: str = "127.0.0.1",
                 port: int = 80, password: str = "", title: str = "Lexcloud Agent"):
        self.status_of, self.test_of, self.password, self.title = status, test, password, title
        self.server = ThreadingHTTPServer((bind, port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="agent-web-page", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> LocalPage:
        self.thread.start()
        log.info("local page on http://%s:%s/", *self.server.server_address[:2])
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _authorized(self, header: str) -> bool:
        if not self.password:
            return True
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            _user, _, given = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(given.encode(), self.password.encode())

    def _handler(self):
        page = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "lexcloud-agent"

            def log_message(self, fmt, *args):   # into the agent's log, not stderr
                log.debug("web page: " + fmt, *args)

            def _guard(self) -> bool:
                if page._authorized(self.headers.get("Authorization", "")):
                    return True
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="Lexcloud Agent"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False

            def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8"):
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Frame-Options", "DENY")
                self.end_headers()
                self.wfile.write(data)

            def _html(self, checks=None):
                status = page.status_of()
                self._send(200, PAGE.format(title=html.escape(page.title), rows=_rows(status),
                                            result=_result(checks)))

            def do_GET(self):
                if not self._guard():
                    return
                if self.path == "/status.json":
                    self._send(200, json.dumps(page.status_of(), default=str), "application/json")
                elif self.path in ("/", "/index.html"):
                    self._html()
                else:
                    self._send(404, "Not found", "text/plain")

            def do_POST(self):
                if not self._guard():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(min(length, 4096))
                if self.path in ("/test", "/test.json"):
                    checks = page.test_of()
                    if self.path == "/test.json":
                        self._send(200, json.dumps({k: {"ok": ok, "detail": d} for k, (ok, d) in checks.items()}),
                                   "application/json")
                    else:
                        self._html(checks)
                else:
                    self._send(404, "Not found", "text/plain")

        return Handler


def start_page(status, test, *, bind: str, port: int, password: str, title: str) -> LocalPage | None:
    """Start the page; a port we may not bind (80 without privileges, or taken) is logged, not fatal."""
    try:
        return LocalPage(status, test, bind=bind, port=port, password=password, title=title).start()
    except OSError as error:
        log.warning("local page not started on %s:%s: %s (set [web] port to a free port above 1024)",
                    bind, port, error)
        return None
