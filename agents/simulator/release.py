"""The Print Release app of a simulated printer: what a user does at a Lexmark printer with Cloud Print
Management, against the server's device API (docs/device-api.md, "Print release").

    lexcloud-printer-sim release --server http://127.0.0.1:8000 --client-id ID --client-secret SECRET \
        --serial 50623ABC --badge 20171a --all --printer ipp://127.0.0.1:8631/ipp/print
    lexcloud-printer-sim release ... --pin 4821 --jobs 12,13 --copies 2 --keep --output /tmp/printed
    lexcloud-printer-sim release ... --pin 4821 --auto            # automatic print release at login
    lexcloud-printer-sim release ... --pin 4821 --cloud-print-release   # the 2.8-inch app: all, own jobs only

The app gets an access token for the printer's application (client credentials), logs the user in with a badge
or a PIN, lists the jobs, releases the selected ones (or all), downloads each document, prints it on an IPP
printer (agents.ipp.print_job; e.g. `ippeveprinter` from cups-ipp-utils) or writes it to a directory, and
reports the outcome: printed with the pages and sheets, or failed when printing failed (the job then stays in
the user's queue). Only loopback servers and printers (127.0.0.0/8, ::1, localhost). No Django here.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import re
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from agents import ipp
from agents.core.http import HttpError, RestClient, Unreachable

log = logging.getLogger("agents.simulator.release")

DEVICE_ROOT = "/api/device/v1/"
PRINT_ROOT = DEVICE_ROOT + "print/"
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
POLL_SECONDS = 0.25
FINAL_STATES = (ipp.JobStateValue.COMPLETED, ipp.JobStateValue.CANCELED, ipp.JobStateValue.ABORTED)
DUPLEX = {"long_edge": "two-sided-long-edge", "short_edge": "two-sided-short-edge", "off": "one-sided"}


class ReleaseAppError(Exception):
    """The app cannot go on (no token, login refused, server unreachable); str() says why."""


class Cancelled(Exception):
    """The printer canceled the job (someone pressed Cancel on it)."""


def loopback_url(url: str) -> str:
    """`url` if its host is on the loopback, else ReleaseAppError: the simulator never leaves the machine."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("http", "https", "ipp") or not loopback:
        raise ReleaseAppError(f"only loopback URLs (127.0.0.0/8, ::1, localhost) are allowed, not “{url}”")
    return url


def count_pages(document: bytes) -> int:
    """Pages of a PDF, cheaply: its page objects (`/Type /Page`, not `/Pages`). 0 when none are visible (e.g. in
    compressed object streams); the caller then uses the server's count."""
    return len(PAGE_OBJECT.findall(document))


@dataclass
class Printed:
    """What happened to one released job at this printer."""

    job_id: int
    title: str
    result: str                 # printed | cancelled | failed
    pages: int = 0              # printed pages (impressions, every copy)
    sheets: int = 0
    detail: str = ""
    ipp_job_id: int | None = None
    path: str = ""


@dataclass
class Session:
    user: dict
    token: str
    jobs: list = field(default_factory=list)
    options: dict = field(default_factory=dict)


class ReleaseApp:
    """One printer's Print Release app. `printer_uri` (IPP) or `output_dir` (files) is where documents go."""

    def __init__(self, server: str, client_id: str, client_secret: str, *, serial: str,
                 printer_uri: str = "", output_dir: str | Path | None = None, timeout: float = 30.0,
                 app: str = "print_release"):
        self.server = loopback_url(server.rstrip("/"))
        if printer_uri:
            loopback_url(printer_uri)
        if not printer_uri and output_dir is None:
            raise ReleaseAppError("give an IPP printer URI or an output directory")
        self.client_id, self.client_secret, self.serial = client_id, client_secret, serial
        self.printer_uri, self.timeout, self.app = printer_uri, timeout, app
        self.output_dir = Path(output_dir) if output_dir is not None else None
        self.http = RestClient(self.server, timeout=timeout)
        self.access_token = ""

    # --- calls ---------------------------------------------------------------------------------------------
    def _headers(self, session: Session | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.access_token}"}
        if session is not None:
            headers["X-Session-Token"] = session.token
        return headers

    def _call(self, method: str, path: str, payload=None, session: Session | None = None):
        if not self.access_token:
            self.authorize()
        body = json.dumps(payload).encode() if payload is not None else None
        headers = {**self._headers(session), **({"Content-Type": "application/json"} if body is not None else {})}
        try:
            return self.http.request(method, path, body=body, headers=headers).data
        except HttpError as error:
            detail = error.body.get("detail", error.body) if isinstance(error.body, dict) else error.body
            raise ReleaseAppError(f"{method} {path}: HTTP {error.status}: {detail}") from None
        except Unreachable as error:
            raise ReleaseAppError(str(error)) from None

    def authorize(self) -> str:
        """POST /oauth/token (client credentials): the printer's own access token."""
        payload = json.dumps({"grant_type": "client_credentials", "client_id": self.client_id,
                              "client_secret": self.client_secret}).encode()
        try:
            answer = self.http.request("POST", "/oauth/token", body=payload,
                                       headers={"Content-Type": "application/json"}).data
        except (HttpError, Unreachable) as error:
            raise ReleaseAppError(f"cannot get an access token: {error}") from None
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise ReleaseAppError(f"the token endpoint answered without a token: {answer!r}"[:300])
        self.access_token = answer["access_token"]
        return self.access_token

    def login(self, *, badge: str = "", pin: str = "") -> Session:
        """The user taps a badge or types a PIN (Cloud Print Release: PIN or login code only)."""
        if bool(badge) == bool(pin):
            raise ReleaseAppError("log in with either a badge or a PIN")
        credentials = {"method": "badge", "badge": badge} if badge else {"method": "pin", "pin": pin}
        answer = self._call("POST", DEVICE_ROOT + "authenticate", credentials)
        session = Session(user=answer["user"], token=answer["session_token"])
        log.info("%s logged in", session.user.get("email"))
        return session

    def list_jobs(self, session: Session) -> list[dict]:
        suffix = "?app=cloud_print_release" if self.app == "cloud_print_release" else ""
        answer = self._call("GET", PRINT_ROOT + "jobs" + suffix, session=session)
        session.jobs, session.options = answer["jobs"], answer["options"]
        return session.jobs

    def release(self, session: Session, job_ids: list[int] | None = None, *, copies: int | None = None,
                keep: bool = False, local_time: str = "") -> dict:
        """POST release: the selected jobs, or all of them without `job_ids`."""
        body: dict = {"printer_serial": self.serial, "app": self.app}
        body.update({"job_ids": list(job_ids)} if job_ids else {"all": True})
        if copies is not None:
            body["copies"] = copies
        if keep:
            body["keep"] = True
        if local_time:
            body["local_time"] = local_time
        return self._call("POST", PRINT_ROOT + "release", body, session=session)

    def auto_release(self, session: Session, *, local_time: str = "") -> dict:
        body = {"printer_serial": self.serial, **({"local_time": local_time} if local_time else {})}
        return self._call("POST", PRINT_ROOT + "auto-release", body, session=session)

    def delete(self, session: Session, job_id: int) -> None:
        self._call("POST", f"{PRINT_ROOT}jobs/{int(job_id)}/delete", {}, session=session)

    def download(self, url: str) -> bytes:
        """The released job's PDF (the printer's token only: printing may outlast the user's session)."""
        loopback_url(url)
        request = urllib.request.Request(url, headers=self._headers())
        try:
            with self.http.opener.open(request, timeout=self.timeout) as response:
                return response.read()
        except OSError as error:   # HTTPError and URLError are OSErrors
            raise ReleaseAppError(f"cannot download {url}: {error}") from None

    def report(self, released: dict, outcome: Printed, *, color: bool, duplex: bool, paper_size: str = "") -> dict:
        body = {"result": outcome.result, "pages": outcome.pages, "sheets": outcome.sheets,
                "color": color and outcome.pages > 0, "duplex": duplex, "paper_size": paper_size}
        return self._call("POST", loopback_url(released["outcome_url"]), body)

    # --- printing ------------------------------------------------------------------------------------------
    def print_released(self, answer: dict, *, cancel: bool = False) -> list[Printed]:
        """Print every released job of a release answer and report each outcome. `cancel`: the user presses
        Cancel on the printer instead (reported cancelled; the jobs stay in the queue)."""
        results = []
        for released in answer.get("released", []):
            results.append(self._print_one(released, cancel=cancel))
        for refused in answer.get("refused", []):
            log.warning("job %s refused: %s (%s)", refused["id"], refused["detail"], refused["error"])
        return results

    def _print_one(self, released: dict, *, cancel: bool) -> Printed:
        settings = released.get("settings", {})
        copies = int(settings.get("copies") or 1)
        two_sided = settings.get("two_sided", "printer")
        duplex = two_sided in ("long_edge", "short_edge")
        color = bool(settings.get("color"))
        paper = settings.get("paper_size", "printer")
        paper = "" if paper == "printer" else paper
        outcome = Printed(job_id=released["id"], title=released.get("title", ""), result="printed")
        if cancel:
            outcome.result, outcome.detail = "cancelled", "cancelled at the printer"
        else:
            try:
                document = self.download(released["document_url"])
                pages = count_pages(document) or int(released.get("pages") or settings.get("pages") or 0)
                self._output(released, document, copies=copies, two_sided=two_sided,
                             color_mode=settings.get("color_mode", "color"), outcome=outcome)
                outcome.pages = pages * copies
                outcome.sheets = (-(-pages // 2) if duplex else pages) * copies
            except Cancelled as error:
                outcome.result, outcome.detail = "cancelled", str(error)
            except Exception as error:   # anything going wrong at the printer: the job must stay in the queue
                outcome.result, outcome.detail = "failed", str(error)
        try:
            self.report(released, outcome, color=color, duplex=duplex, paper_size=paper)
        except ReleaseAppError as error:
            outcome.detail = f"{outcome.detail}; outcome not reported: {error}".strip("; ")
        log.info("job %s %s: %s pages, %s sheets %s", outcome.job_id, outcome.result, outcome.pages,
                 outcome.sheets, outcome.detail)
        return outcome

    def _output(self, released: dict, document: bytes, *, copies: int, two_sided: str, color_mode: str,
                outcome: Printed) -> None:
        if self.printer_uri:
            attributes: dict = {"copies": copies}
            if two_sided in DUPLEX:
                attributes["sides"] = DUPLEX[two_sided]
            attributes["print-color-mode"] = "monochrome" if color_mode == "mono" else "color"
            name = released.get("title") or f"job {released['id']}"
            outcome.ipp_job_id = self._submit(document, name, released["owner"]["email"], attributes)
            state = self._wait_for(outcome.ipp_job_id)
            if state == ipp.JobStateValue.CANCELED:
                raise Cancelled("the job was canceled at the printer")
            if state != ipp.JobStateValue.COMPLETED:
                raise ReleaseAppError(f"the printer aborted the job (job-state {state})")
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        path = self.output_dir / f"job-{int(released['id'])}.pdf"
        path.write_bytes(document)
        outcome.path = str(path)

    def _submit(self, document: bytes, name: str, user: str, attributes: dict) -> int:
        """Print-Job, waiting while the printer answers server-error-busy (it prints one job at a time)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return ipp.print_job(self.printer_uri, document, job_name=name, user=user, attributes=attributes,
                                     timeout=self.timeout)
            except ipp.IppError as error:
                if error.status != ipp.Status.BUSY or time.monotonic() > deadline:
                    raise
            time.sleep(POLL_SECONDS)

    def _wait_for(self, job_id: int) -> int:
        """The job's final state (Get-Job-Attributes until completed, canceled or aborted): the outcome is
        reported once the paper is out, as a printer does."""
        deadline = time.monotonic() + self.timeout
        operation = [*ipp.operation_attributes(), (ipp.Tag.URI, "printer-uri", self.printer_uri),
                     (ipp.Tag.INTEGER, "job-id", job_id),
                     (ipp.Tag.KEYWORD, "requested-attributes", ["job-state"])]
        while True:
            answer = ipp.send(self.printer_uri, ipp.Op.GET_JOB_ATTRIBUTES, [(ipp.Tag.OPERATION, operation)],
                              timeout=self.timeout)
            state = answer.get("job-state", ipp.Tag.JOB)
            if state in FINAL_STATES:
                return state
            if time.monotonic() > deadline:
                raise ReleaseAppError(f"the printer did not finish job {job_id} within {self.timeout:.0f} s")
            time.sleep(POLL_SECONDS)

    # --- a whole visit at the printer ------------------------------------------------------------------------
    def visit(self, *, badge: str = "", pin: str = "", job_ids: list[int] | None = None, auto: bool = False,
              copies: int | None = None, keep: bool = False, cancel: bool = False,
              local_time: str = "") -> list[Printed]:
        """Log in, release (automatically, the selected jobs, or all), print, report."""
        session = self.login(badge=badge, pin=pin)
        if auto:
            answer = self.auto_release(session, local_time=local_time)
        else:
            jobs = self.list_jobs(session)
            log.info("%d jobs in the list", len(jobs))
            if not jobs and not job_ids:
                return []
            answer = self.release(session, job_ids, copies=copies, keep=keep, local_time=local_time)
        return self.print_released(answer, cancel=cancel)


# --- command line ------------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lexcloud-printer-sim release",
                                     description="A simulated printer's Print Release app (loopback only).")
    parser.add_argument("--server", required=True, help="the portal, e.g. http://127.0.0.1:8000")
    parser.add_argument("--client-id", required=True, help="the printer application's client id")
    parser.add_argument("--client-secret", required=True, help="the printer application's client secret")
    parser.add_argument("--serial", default="", help="this printer's serial number (as enrolled in the fleet)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--badge", help="log in with this badge ID")
    who.add_argument("--pin", help="log in with this PIN")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--jobs", help="comma-separated job ids to release (default: all)")
    what.add_argument("--auto", action="store_true", help="automatic print release at login")
    what.add_argument("--cloud-print-release", action="store_true",
                      help="the Cloud Print Release app: all jobs, own jobs only")
    parser.add_argument("--copies", type=int, help="number of copies (when the organization allows it)")
    parser.add_argument("--keep", action="store_true", help="print and keep (when the organization allows it)")
    parser.add_argument("--cancel", action="store_true", help="press Cancel instead of printing")
    parser.add_argument("--local-time", default="", help="the printer's local time, ISO 8601 (print policies)")
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--printer", help="IPP printer URI, e.g. ipp://127.0.0.1:8631/ipp/print")
    out.add_argument("--output", help="write the documents to this directory instead")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        job_ids = [int(part) for part in args.jobs.split(",") if part.strip()] if args.jobs else None
        app = ReleaseApp(args.server, args.client_id, args.client_secret, serial=args.serial,
                         printer_uri=args.printer or "", output_dir=args.output,
                         app="cloud_print_release" if args.cloud_print_release else "print_release")
        results = app.visit(badge=args.badge or "", pin=args.pin or "", job_ids=job_ids, auto=args.auto,
                            copies=args.copies, keep=args.keep, cancel=args.cancel, local_time=args.local_time)
    except (ReleaseAppError, ValueError) as error:
        print(f"lexcloud-printer-sim release: {error}", file=sys.stderr)
        return 2
    for outcome in results:
        print(json.dumps(outcome.__dict__))
    return 0 if all(outcome.result == "printed" for outcome in results) or args.cancel else 1


if __name__ == "__main__":
    sys.exit(main())
