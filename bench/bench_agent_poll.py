"""Benchmark of the Fleet Agent's collection: one complete polling round of N simulated printers (default
1,000: status + supplies + input trays + alerts + counters), against net-snmp fetching the same objects
(`snmpget` / `snmpbulkwalk` processes, as many in flight as the agent polls printers) in the same run.

    .venv/bin/python bench/bench_agent_poll.py [--printers 1000] [--concurrency 50]

The simulator serves from its own process (as in a demo); this process is the agent: an AgentRuntime with
the production SnmpCollector discovers the loopback range (timed, for information) and polls everything it
found with `poll_round(refresh=True)` (the first round: vendors, counter cells and alert tables are learnt,
every report is queued), then a steady `poll_round()` (the scheduled round: alert tables only walked when
prtAlertAllEvents moved, reports only when due) is timed. Reports go into a real outbox (SQLite, as the
agent's). net-snmp then reads, per printer, the status objects (snmpget), the supplies table, the colorant
column and the input table (snmpbulkwalk), the alert table where the agent walked it, and the counter cells
the agent learnt (snmpget). Peak RSS is this process's VmHWM read right after the agent rounds (the
simulator and the net-snmp processes are other processes).
Goals (issue 6): steady round < 60 s, agent / net-snmp <= 1.5, RSS < 150 MB. Exit 1 when one is not met.
Loopback only (127.0.0.0/8).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.core.collector import SnmpCollector  # noqa: E402
from agents.core.config import AgentConfig, Credentials, WebSettings  # noqa: E402
from agents.core.outbox import Outbox  # noqa: E402
from agents.core.runner import POLL_CONCURRENCY, AgentRuntime  # noqa: E402
from agents.simulator import SimulatedFleet, loopback_addresses  # noqa: E402
from agents.simulator.responder import raise_file_limit  # noqa: E402
from agents.snmp import oids  # noqa: E402
from agents.snmp.poll import STATUS_OIDS  # noqa: E402
from bench._django import rss_mb  # noqa: E402

GOAL_ROUND_S, GOAL_RATIO, GOAL_RSS_MB = 60.0, 1.5, 150.0
TIMEOUT_S, RETRIES = 5, 1
NETSNMP_TABLES = [oids.PRT_SUPPLIES, oids.PRT_COLORANT_VALUE, oids.PRT_INPUT]


# ---------------------------------------------------------------------------------------------- simulator
def serve_simulator(printers: int, first: str, port: int) -> None:
    """The simulator process: serve until stdin closes (the clock stands still: both clients read the same
    values)."""
    fleet = SimulatedFleet(printers=printers, first_address=first, port=port, seed=1)
    fleet.start()
    print("ready", flush=True)
    sys.stdin.read()
    fleet.join()


def spawn_simulator(printers: int, first: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, __file__, "--serve", "--printers", str(printers),
                                "--first-address", first, "--port", str(port)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if line != "ready":
        process.kill()
        raise SystemExit(f"the simulator did not start: {line!r}")
    return process


# ---------------------------------------------------------------------------------------------- agent side
def make_runtime(state_dir: Path, first: str, last: str, port: int) -> AgentRuntime:
    """An AgentRuntime ready for discover_and_enroll / poll_round without a server: credentials and a
    definition as activation would have stored them, a real outbox, no transport (nothing is sent)."""
    config = AgentConfig(state_dir=state_dir, web=WebSettings(enabled=False))
    runtime = AgentRuntime(config, SnmpCollector(None))
    runtime.credentials = Credentials(device_id="bench-agent", secret="-", server="")
    runtime.definition = {
        "snmp_profiles": [{"name": "Default", "version": "v2c", "community": "public", "timeout": TIMEOUT_S,
                           "retries": RETRIES, "port": port, "default": True}],
        "criteria": {"include": [{"address": f"{first}-{last}", "profile": "Default"}], "exclude": []},
        "network_delay_ms": 0}
    runtime.outbox = Outbox(runtime.state.outbox_file)
    return runtime


async def agent_rounds(runtime: AgentRuntime) -> dict:
    """Discovery (with its refresh poll: the first, learning round), then a steady round, timed."""
    started = time.perf_counter()
    found = await runtime.discover_and_enroll()
    first = time.perf_counter() - started
    poller = runtime.collector.poller
    requests_before, walks_before = poller.requests, sum(s.alert_walks for s in poller.state.values())
    started = time.perf_counter()
    results = await runtime.poll_round()
    steady = time.perf_counter() - started
    walked = {serial for serial, s in poller.state.items() if s.alert_walks and s.polls_since_walk == 0}
    runtime.collector.close()
    return {"found": len(found), "first": first, "steady": steady, "answered": sum(1 for p in results.values() if not p),
            "requests": poller.requests - requests_before,
            "alert_walks": sum(s.alert_walks for s in poller.state.values()) - walks_before,
            "walked": walked, "queued": len(runtime.outbox)}


# ---------------------------------------------------------------------------------------------- net-snmp
def netsnmp_commands(address: str, port: int, counter_cells: list, walk_alerts: bool) -> list[list[str]]:
    """The commands that read what the agent read from one printer (numeric OIDs, no MIB loading)."""
    common = ["-v2c", "-c", "public", "-On", "-m", "", "-t", str(TIMEOUT_S), "-r", str(RETRIES)]
    target = f"udp:{address}:{port}"
    commands = [["snmpget", *common, target, *(oids.dotted(o) for o in STATUS_OIDS)]]
    tables = NETSNMP_TABLES + ([oids.PRT_ALERTS] if walk_alerts else [])
    commands += [["snmpbulkwalk", *common, "-Cr48", target, oids.dotted(t)] for t in tables]
    for start in range(0, len(counter_cells), 40):
        commands.append(["snmpget", *common, target, *(oids.dotted(c) for c in counter_cells[start:start + 40])])
    return commands


async def netsnmp_round(jobs: list[list[list[str]]], concurrency: int) -> tuple[float, int, int]:
    """Run each printer's commands one after the other, `concurrency` printers at a time: (seconds,
    processes, failures)."""
    limit = asyncio.Semaphore(concurrency)
    env = {**os.environ, "MIBS": "", "SNMPCONFPATH": "/nonexistent"}
    failures = 0

    async def printer(commands: list[list[str]]) -> None:
        nonlocal failures
        async with limit:
            for command in commands:
                process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL,
                                                               stderr=asyncio.subprocess.DEVNULL, env=env)
                if await process.wait():
                    failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(printer(commands) for commands in jobs))
    return time.perf_counter() - started, sum(len(c) for c in jobs), failures


# ---------------------------------------------------------------------------------------------- main
def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--printers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=POLL_CONCURRENCY)
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--first-address", default="")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.serve:
        serve_simulator(args.printers, args.first_address, args.port)
        return 0
    if not (shutil.which("snmpget") and shutil.which("snmpbulkwalk")):
        print("SKIP: needs net-snmp's snmpget and snmpbulkwalk (apt-get install snmp)")
        return 0
    raise_file_limit(4096)
    first = f"127.{random.randrange(150, 200)}.0.1"
    port = random.randrange(16100, 17000)
    addresses = loopback_addresses(first, args.printers)
    simulator = spawn_simulator(args.printers, first, port)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-agent-") as state:
            runtime = make_runtime(Path(state), addresses[0], addresses[-1], port)
            print(f"{args.printers} simulated printers {addresses[0]}..{addresses[-1]} port {port} "
                  f"(simulator pid {simulator.pid}, RSS {rss_mb(simulator.pid):.0f} MB); "
                  f"{os.cpu_count()} CPUs, concurrency {args.concurrency}")
            import agents.core.runner as runner_module

            runner_module.POLL_CONCURRENCY = args.concurrency
            agent = asyncio.run(agent_rounds(runtime))
            peak = rss_mb("self", "VmHWM")   # the most resident memory this process ever had
            poller_state = runtime.collector.poller.state
            jobs = [netsnmp_commands(p["address"], port, sorted(poller_state[s].counter_cells or {}),
                                     s in agent["walked"]) for s, p in sorted(runtime.printers.items())]
            runtime.outbox.close()
        print(f"agent  : discovery + first round (learning, {agent['found']} found, every report queued) "
              f"{agent['first']:.1f} s")
        print(f"agent  : steady round {agent['steady']:.1f} s, {agent['answered']}/{len(runtime.printers)} answered, "
              f"{agent['requests']} requests, {agent['alert_walks']} alert walks, outbox {agent['queued']} messages")
        seconds, processes, failures = asyncio.run(netsnmp_round(jobs, args.concurrency))
        print(f"netsnmp: same objects {seconds:.1f} s ({processes} snmpget/snmpbulkwalk processes, "
              f"{failures} failed)")
    finally:
        simulator.stdin.close()
        simulator.wait(30)
    ratio = agent["steady"] / seconds
    first_ratio = agent["first"] / seconds
    checks = [(f"steady round {agent['steady']:.1f} s < {GOAL_ROUND_S:.0f} s", agent["steady"] < GOAL_ROUND_S),
              (f"agent / net-snmp {ratio:.2f} <= {GOAL_RATIO} (first round: {first_ratio:.2f})", ratio <= GOAL_RATIO),
              (f"agent peak RSS {peak:.0f} MB < {GOAL_RSS_MB:.0f} MB", peak < GOAL_RSS_MB),
              (f"every printer found and answered ({agent['found']}, {agent['answered']})",
               agent["found"] == args.printers == agent["answered"])]
    for text, ok in checks:
        print(f"  {text}: {verdict(ok)}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
