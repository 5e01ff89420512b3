"""Benchmark, end to end: from a supply level change in a simulated printer to the new level on the printer's
details page (simulator -> Fleet Agent -> Mosquitto 127.0.0.1:1883 -> `manage.py mqtt_ingest` process ->
database -> GET of the details page), median seconds over `--changes` changes (default 10), measured from the
start of the poll that sees the change. Goal (issue 6): under 5 s.

    .venv/bin/python bench/bench_agent_latency.py [--changes 10] [--printers 5]

Everything runs on this machine: the portal (a threaded WSGI server on a free loopback port, on the throwaway
database of bench/_django.py: BENCH_DATABASE_URL for PostgreSQL, else a fresh SQLite file), the simulator and
the agent (threads of this process; the agent activates with the Fleet Agent's code, discovers the simulator's
range and reports over MQTT), the ingest (`manage.py mqtt_ingest` in its own process, on the same database).
For each change the black toner of one printer is lowered, a poll of that printer is started at once (the
scheduled round would find it the same way), and the details page is fetched (signed in as a Fleet Management
Administrator) every 20 ms until it shows the new level. Skipped (exit 0) with a message when the broker is not reachable.
Loopback only (127.0.0.0/8).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import ROOT, setup  # noqa: E402

BROKER_HOST, BROKER_PORT = "127.0.0.1", 1883
GOAL_S = 5.0
SUPPLY_ROW = re.compile(r'<tr data-testid="supply-row">\s*<td>([^<]*)</td>.*?data-testid="supply-level">([^<]*)<',
                        re.S)


def broker_reachable() -> bool:
    try:
        with socket.create_connection((BROKER_HOST, BROKER_PORT), timeout=1):
            return True
    except OSError:
        return False


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def serve_portal():
    """The portal on a free loopback port in a thread (as pytest-django's live_server does)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, name="portal", daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def start_ingest(device_id: str) -> subprocess.Popen:
    """`manage.py mqtt_ingest` on the agent's topic, on this benchmark's database (DATABASE_URL is inherited)."""
    from agents.protocol import telemetry_topic

    process = subprocess.Popen([sys.executable, "manage.py", "mqtt_ingest", "--url",
                                f"mqtt://{BROKER_HOST}:{BROKER_PORT}", "--topic", telemetry_topic(device_id) + "#",
                                "--progress", "3600"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    while True:
        line = process.stdout.readline()
        if not line:
            raise SystemExit(f"mqtt_ingest stopped (exit {process.wait()})")
        if "subscribed to" in line:
            threading.Thread(target=process.stdout.read, daemon=True).start()   # keep the pipe drained
            return process


def page_levels(client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return dict(SUPPLY_ROW.findall(response.content.decode()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--printers", type=int, default=5)
    args = parser.parse_args()
    if not broker_reachable():
        print(f"SKIP: needs Mosquitto on {BROKER_HOST}:{BROKER_PORT} (apt-get install mosquitto)")
        return 0
    os.environ["MQTT_URL"] = f"mqtt://{BROKER_HOST}:{BROKER_PORT}"
    setup("bench_agent_latency")
    from django.test import Client
    from django.urls import reverse

    from accounts.services.organizations import create_organization
    from agents.core.config import AgentConfig, WebSettings
    from agents.core.runner import AgentRuntime, run_in_thread
    from agents.simulator import SimulatedFleet
    from fleet.choices import CriterionKind, SearchType
    from fleet.models import Printer
    from fleet.services import agents as agent_services
    from tests.conftest import ALL_SERVICES, make_user

    first = f"127.{random.randrange(200, 240)}.{random.randrange(1, 250)}.1"
    fleet = SimulatedFleet(printers=args.printers, first_address=first, port=0, seed=3)
    fleet.start()
    org = create_organization("Latency Bench", entitlements=ALL_SERVICES)
    admin = make_user(org, "fleet@latency.test", ["fleet_management_administrator"])
    agent = agent_services.save_fleet_agent(
        org, name="Latency agent",
        settings_=agent_services.FleetSettings(search_type=SearchType.ADVANCED, network_delay=0),
        profiles=[agent_services.ProfileSpec(name="Default", version="v2c", community="public", timeout=2, retries=1,
                                             port=fleet.port)],
        criteria=[agent_services.CriterionSpec(CriterionKind.INCLUDE,
                                               f"{fleet.devices[0].address}-{fleet.devices[-1].address}", "Default")])
    code = agent_services.current_activation_code(agent).code
    server, url = serve_portal()
    ingest = start_ingest(agent.device_id)
    state = tempfile.TemporaryDirectory(prefix="bench-latency-")
    config = AgentConfig(state_dir=Path(state.name), server=url, activation_code=code, web=WebSettings(enabled=False),
                         heartbeat_seconds=3600, backoff_min=0.2, backoff_max=1.0)
    runtime = AgentRuntime(config)
    thread = run_in_thread(runtime)
    samples: list[float] = []
    try:
        assert runtime.started.wait(30), runtime.status()
        wait_for(lambda: runtime.transport.mqtt_connected, 15, "the agent's broker connection")
        serials = [d.serial for d in fleet.devices]
        wait_for(lambda: Printer.objects.filter(serial__in=serials).count() == len(serials), 60,
                 "every printer enrolled and reported")
        client = Client()
        client.force_login(admin)
        pages = {d.serial: reverse("fleet:printer", kwargs={"org_id": org.pk,
                                                            "printer_id": Printer.objects.get(serial=d.serial).pk})
                 for d in fleet.devices}
        black = {d.serial: next(s for s in d.supplies_view() if s["color"] == "Black")["description"]
                 for d in fleet.devices}
        wait_for(lambda: all(page_levels(client, pages[s]).get(black[s]) for s in serials), 30, "levels on the pages")
        for change in range(args.changes):
            device = fleet.devices[change % len(fleet.devices)]
            level = max(device.supply("black").percent - 3, 1)   # a decrement: the report is due at once
            device.set_supply_level("black", level)
            started = time.perf_counter()
            asyncio.run_coroutine_threadsafe(runtime.poll_round([device.serial]), runtime.loop)
            wait_for(lambda s=device.serial, want=f"{level}%": page_levels(client, pages[s]).get(black[s]) == want, 30,
                     f"level {level}% of {device.serial} on its page")
            samples.append(time.perf_counter() - started)
            print(f"  change {change + 1}: {device.serial} black toner -> {level}%: on the page after "
                  f"{samples[-1]:.2f} s", flush=True)
    finally:
        runtime.stop()
        thread.join(20)
        ingest.terminate()
        ingest.wait(20)
        server.shutdown()
        fleet.join()
        state.cleanup()
    median = statistics.median(samples)
    print(f"End to end (simulator -> agent -> Mosquitto -> mqtt_ingest -> database -> details page): median "
          f"{median:.2f} s, max {max(samples):.2f} s over {len(samples)} changes")
    print(f"  Goal: median < {GOAL_S:.0f} s after the poll that sees the change: "
          + ("met" if median < GOAL_S else "NOT met"))
    return 0 if median < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
