"""A real IPP Everywhere printer for tests: CUPS' `ippeveprinter` (Debian cups-ipp-utils) on a free loopback
port, keeping every job it receives in a spool directory.

ippeveprinter insists on DNS-SD (Avahi over the D-Bus system bus) and exits without it. It gets a private
D-Bus daemon on a unix socket of its own (DBUS_SYSTEM_BUS_ADDRESS) where no Avahi answers, `-r off` so that
it registers nothing, and `-n localhost` so that it listens on 127.0.0.1 and ::1 only: nothing leaves the
machine, nothing is announced on the network."""
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import reachable

from .agent_support import free_port

PACKAGES = {"ippeveprinter": "cups-ipp-utils", "dbus-daemon": "dbus-daemon"}


def needs_ippeveprinter():
    """Skip (fail under LEXCLOUD_REQUIRE_SERVICES) naming the Debian package that is missing."""
    missing = [package for program, package in PACKAGES.items() if not shutil.which(program)]
    if not missing:
        return
    message = f"needs ippeveprinter: apt-get install {' '.join(missing)}"
    if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class IppPrinter:
    uri: str
    spool: Path
    log: Path

    def jobs(self) -> list[Path]:
        """The documents received so far (`<job-id>-<job-name>.<ext>`; the `.prn` files are the print
        command's), oldest first."""
        received = [p for p in self.spool.glob("*.*") if p.suffix != ".prn"]
        return sorted(received, key=lambda p: int(p.name.split("-", 1)[0]))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def ipp_everywhere_printer(directory: Path, *, name: str = "Lexcloud Test Printer", duplex: bool = True):
    needs_ippeveprinter()
    spool = directory / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    log = directory / "ippeveprinter.log"
    bus_dir = Path(tempfile.mkdtemp(prefix="ippbus-"))   # a short path: unix socket names are limited
    bus = f"unix:path={bus_dir / 'bus'}"
    dbus = subprocess.Popen(["dbus-daemon", "--session", f"--address={bus}", "--nofork", "--print-address"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    printer = None
    try:
        dbus.stdout.readline()   # the address: the daemon listens
        port = free_port()
        # -c true: the job is "printed" at once (without a command ippeveprinter pretends to print for 5-15 s)
        command = ["ippeveprinter", "-n", "localhost", "-p", str(port), "-d", str(spool), "-k", "-r", "off",
                   "-c", shutil.which("true") or "/bin/true", "-f", "application/pdf,image/pwg-raster", "-v",
                   *(["-2"] if duplex else []), name]
        with log.open("wb") as out:
            printer = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                       env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": bus})
        deadline = time.monotonic() + 10
        while not reachable("127.0.0.1", port):
            if printer.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ippeveprinter did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield IppPrinter(uri=f"ipp://127.0.0.1:{port}/ipp/print", spool=spool, log=log)
    finally:
        for process in (printer, dbus):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if dbus.stdout:
            dbus.stdout.close()
        shutil.rmtree(bus_dir, ignore_errors=True)
