"""Telemetry ingest throughput through the real path: 10,000 simulated printers (20 Fleet Agents, printers
enrolled with the identity discovery found) each publish a full status message (identity, status, 6 supplies,
3 alerts, all 49 counters) to the Mosquitto broker on 127.0.0.1:1883; two `manage.py mqtt_ingest` processes
(subprocesses in one MQTT shared subscription, one per core) apply them to PostgreSQL. Three rounds: the first
reports (supplies and alerts created), the next ones (levels, alerts and counters changed), and the next ones
again with each agent putting 25 printer reports in a message.

Measured end to end, from the first publish until every printer's state is stored, as printer updates per
second; compared with a raw `COPY` of the rows the first round wrote (same tables, same indexes) in the same
run; with the CPU time each part of the path used. Goal: >= 2,000 printer updates/s with a message per printer,
and count in = count stored (exit 1 otherwise). The publisher keeps at most WINDOW messages ahead of the
database, because Mosquitto's default per-subscriber queue drops QoS 1 messages beyond 1,000.

PostgreSQL: BENCH_DATABASE_URL (a throwaway database: emptied), else lexcloud_bench_ingest on 127.0.0.1:5432
(created if missing). BENCH_INGEST_PRINTERS and BENCH_INGEST_PROCESSES change the size and the processes."""
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import ROOT, setup, table  # noqa: E402

PRINTERS = int(os.environ.get("BENCH_INGEST_PRINTERS", 10_000))
AGENTS = 20
PROCESSES = int(os.environ.get("BENCH_INGEST_PROCESSES", 2))   # mqtt_ingest processes (--share), one per core
BATCHED = 25                    # printer reports per message in the last round (a Fleet Agent's refresh)
GOAL = 2000.0
BROKER = ("127.0.0.1", 1883)
WINDOW = 2000                   # messages in flight between publisher and database (see publish_all)
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/lexcloud_bench_ingest"
TABLES = ["fleet_printer", "fleet_supply", "fleet_supplylevel", "fleet_alert", "fleet_countersnapshot",
          "fleet_diagnosticevent", "fleet_processedmessage"]


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    import psycopg2

    name = DEFAULT_DATABASE.rsplit("/", 1)[1]
    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    os.environ["BENCH_DATABASE_URL"] = DEFAULT_DATABASE
    return DEFAULT_DATABASE


def reachable(host, port) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def status_report(i: int, serial: str, at: datetime, round_no: int) -> dict:
    """A full status report of printer `i`; round 2 changes levels, one alert and the counters."""
    from agents.protocol import COUNTERS

    pages = 100_000 + i * 7 + round_no * 250
    drop = round_no - 1
    color = i % 3 != 0
    supplies = [{"key": "1", "type": "Toner", "color": "Black", "level": 70 - (i % 50) - drop, "capacity": 20000,
                 "unit": "Sides", "status": "Ok", "description": "Black Toner Cartridge", "serial": f"T{i:07d}K"}]
    if color:
        supplies += [{"key": str(k), "type": "Toner", "color": c, "level": 60 - (i + k) % 40 - drop * (k == 2),
                      "capacity": 12000, "unit": "Sides", "status": "Ok", "description": f"{c} Toner Cartridge"}
                     for k, c in ((2, "Cyan"), (3, "Magenta"), (4, "Yellow"))]
    else:
        supplies += [{"key": "2", "type": "Photoconductor", "level": 55, "description": "Imaging Unit"},
                     {"key": "3", "type": "Maintenance Kit", "level": 80, "description": "Maintenance Kit"},
                     {"key": "4", "type": "Staples", "level": 40, "description": "Staples"}]
    supplies += [{"key": "5", "type": "Fuser", "level": 88, "description": "Fuser"},
                 {"key": "6", "type": "Waste Toner", "level": 30, "description": "Waste Toner Bottle"}]
    alerts = [{"key": "t1", "severity": "warning", "description": "Tray 1 Low", "group": "input"},
              {"key": "s1", "severity": "warning", "description": "Black Toner Low", "supply": True},
              {"key": f"r{round_no}", "severity": "error" if i % 10 == 0 else "info", "description": "Door open",
               "code": "31.35"}]
    return {"serial": serial, "collected_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "model": "CX725ade" if color else "MS610dn", "manufacturer": "Lexmark",
            "mac": f"00:21:b7:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
            "ip": f"127.{1 + i // 65536}.{i // 256 % 256}.{i % 256}", "hostname": f"prn{i:05d}.bench.test",
            "name": f"Printer {i}", "location": f"Floor {i % 12}", "contact": "helpdesk@bench.test",
            "firmware": "CXTPC.230.037", "status": "ready" if i % 10 else "error",
            "status_text": "Ready" if i % 10 else "Close door", "uptime": 86400 + round_no * 600,
            "authenticated": True, "counters": {name: pages + n for n, name in enumerate(COUNTERS)},
            "supplies": supplies, "alerts": alerts,
            "apps": [{"name": "Cloud Print Release", "version": "2.1.0", "state": "running"}]}


def messages(agents, serials, at, round_no, per_message=1) -> list[tuple[str, bytes]]:
    """Each agent's printers' reports (printer i belongs to agents[i % AGENTS]), `per_message` to a message."""
    out = []
    for n, agent in enumerate(agents):
        mine = list(range(n, len(serials), len(agents)))
        for start in range(0, len(mine), per_message):
            body = {"printers": [status_report(i, serials[i], at, round_no) for i in mine[start:start + per_message]]}
            envelope = {"v": 1, "type": "telemetry", "id": uuid.uuid4().hex, "agent": agent.device_id,
                        "sent_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "body": body}
            out.append((agent.device_id, json.dumps(envelope, separators=(",", ":")).encode()))
    random.Random(round_no).shuffle(out)    # the agents publish at the same time: interleaved
    return out


class IngestProcess:
    """`manage.py mqtt_ingest` as a subprocess on the bench database, subscribed to the bench agents (in a
    shared subscription when several run)."""

    def __init__(self, agents, database, share=""):
        from agents.protocol import telemetry_topic

        topics = [arg for a in agents for arg in ("--topic", telemetry_topic(a.device_id) + "#")]
        if share:
            topics += ["--share", share]
        env = {**os.environ, "DATABASE_URL": database, "MQTT_URL": "mqtt://127.0.0.1:1883", "DEBUG": "0"}
        self.lines: list[str] = []
        extra = os.environ.get("BENCH_INGEST_ARGS", "").split()
        self.process = subprocess.Popen([sys.executable, "manage.py", "mqtt_ingest", "--progress", "5", *topics, *extra],
                                        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 60
        while not any("subscribed to" in line for line in self.lines):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("mqtt_ingest did not subscribe:\n" + "".join(self.lines))
            time.sleep(0.05)

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)
            print(f"  | {line}", end="", flush=True)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


def publish_all(payloads, stored) -> float:
    """Publish with QoS 1, keeping at most WINDOW messages published but not yet stored: Mosquitto's default
    per-client queue (max_queued_messages 1000) drops QoS 1 messages beyond it, so a burst larger than that
    must be paced by the consumer, as a broker with a larger queue would do for us."""
    import paho.mqtt.client as mqtt

    from agents.protocol import telemetry_topic

    client = mqtt.Client(client_id=f"bench-publisher-{uuid.uuid4().hex[:8]}", clean_session=True)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.connect(*BROKER)
    client.loop_start()
    started = time.perf_counter()
    infos, done = [], stored()
    for sent, (device, payload) in enumerate(payloads):
        while sent - done >= WINDOW:
            time.sleep(0.02)
            done = stored()
        infos.append(client.publish(telemetry_topic(device), payload, qos=1))
    for info in infos:
        info.wait_for_publish()
    seconds = time.perf_counter() - started
    client.loop_stop()
    client.disconnect()
    return seconds


def cpu_seconds(pids) -> float:
    """User + system CPU time of processes (Linux /proc), 0 for those gone."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def consumers(processes) -> dict[str, list[int]]:
    """The processes doing the work: mqtt_ingest, their PostgreSQL backends, the broker, this process."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                       " AND backend_type = 'client backend'")
        backends = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT pg_backend_pid()")
        own_backend = cursor.fetchone()[0]
    broker = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
              and (p / "comm").exists() and (p / "comm").read_text().strip() == "mosquitto"]
    return {"mqtt_ingest": [p.process.pid for p in processes], "its PostgreSQL": backends, "mosquitto": broker,
            "bench (publisher)": [os.getpid(), own_backend]}


def run_round(label, agents, serials, at, round_no, org, processes, per_message=1):
    from fleet.models import Printer, ProcessedMessage

    payloads = messages(agents, serials, at, round_no, per_message)
    size = sum(len(p) for _, p in payloads)
    last_id = ProcessedMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    pids = consumers(processes)
    cpu = {name: cpu_seconds(p) for name, p in pids.items()}
    started = time.perf_counter()
    publish_seconds = publish_all(payloads, ProcessedMessage.objects.filter(pk__gt=last_id).count)
    print(f"[bench_ingest] {label}: {len(payloads):,} messages published in {publish_seconds:.1f}s", flush=True)
    stored, deadline = 0, time.monotonic() + 600
    while stored < len(serials) and time.monotonic() < deadline:
        time.sleep(0.02)
        stored = Printer.objects.filter(organization=org, last_data_refresh=at).count()
    seconds = time.perf_counter() - started
    cpu = {name: cpu_seconds(pids[name]) - before for name, before in cpu.items()}
    return {"label": label, "messages": len(payloads), "reports": len(serials), "bytes": size, "stored": stored,
            "seconds": seconds, "publish": publish_seconds, "rate": stored / seconds, "cpu": cpu}


def copy_baseline(org) -> tuple[float, int]:
    """COPY the rows the first round wrote into empty tables like the real ones (indexes included)."""
    from django.db import connection

    raw = connection.connection
    buffers, rows = {}, 0
    with raw.cursor() as cursor:
        for name in TABLES:
            buffer = io.StringIO()
            cursor.copy_expert(f"COPY {name} TO STDOUT", buffer)
            buffers[name] = buffer
            cursor.execute(f"DROP TABLE IF EXISTS bench_copy_{name}")
            cursor.execute(f"CREATE TABLE bench_copy_{name} (LIKE {name} INCLUDING ALL)")
        raw.commit()
        started = time.perf_counter()
        for name, buffer in buffers.items():
            buffer.seek(0)
            rows += buffer.getvalue().count("\n")
            cursor.copy_expert(f"COPY bench_copy_{name} FROM STDIN", buffer)
        raw.commit()
        seconds = time.perf_counter() - started
        for name in TABLES:
            cursor.execute(f"DROP TABLE bench_copy_{name}")
        raw.commit()
    return seconds, rows


def main():
    if not reachable(*BROKER):
        print("bench_ingest needs mosquitto on 127.0.0.1:1883 (apt-get install mosquitto)")
        return 1
    database = database_url()
    setup("bench_ingest")
    from django.db import connection

    from accounts.services.organizations import create_organization
    from fleet.choices import Activation, AgentType
    from fleet.models import Agent, CounterSnapshot, ProcessedMessage
    from fleet.services.enrollment import enroll_many

    org = create_organization("Bench Ingest")
    agents = Agent.objects.bulk_create([
        Agent(organization=org, kind=AgentType.FLEET, name=f"Fleet Agent {n}", device_id=f"fleet-bench-{uuid.uuid4().hex}",
              activation=Activation.ACTIVATED, activated_at=datetime.now(UTC)) for n in range(AGENTS)])
    serials = [f"BN{i:08d}" for i in range(PRINTERS)]
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    started = time.perf_counter()
    identity = ("serial", "model", "manufacturer", "mac", "ip", "hostname", "name", "location", "contact", "firmware")
    for n, agent in enumerate(agents):     # as discovery enrolls them: with the identity they answered
        enroll_many(agent, [{k: v for k, v in status_report(i, serials[i], base, 1).items() if k in identity}
                            for i in range(n, PRINTERS, AGENTS)])
    # messages go to agents round-robin: the printer i belongs to agents[i % AGENTS]
    print(f"[bench_ingest] {PRINTERS:,} printers enrolled under {AGENTS} Fleet Agents in "
          f"{time.perf_counter() - started:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    share = f"bench-{uuid.uuid4().hex[:8]}" if PROCESSES > 1 else ""
    processes = [IngestProcess(agents, database, share) for _ in range(PROCESSES)]
    rounds = []
    try:
        rounds.append(run_round("first reports (supplies, alerts created)", agents, serials, base, 1, org,
                                processes))
        copy_seconds, copy_rows = copy_baseline(org)
        rounds.append(run_round("next reports (levels, alerts, counters changed)", agents, serials,
                                base + timedelta(hours=1), 2, org, processes))
        rounds.append(run_round(f"next reports, {BATCHED} printers per agent message", agents, serials,
                                base + timedelta(hours=2), 3, org, processes, per_message=BATCHED))
    finally:
        code = max(p.stop() for p in processes)
    processed = ProcessedMessage.objects.count()
    snapshots = CounterSnapshot.objects.count()
    sent = sum(r["messages"] for r in rounds)
    reports = sum(r["reports"] for r in rounds)

    rows = [(r["label"], f"{r['messages']:,}", f"{r['bytes'] / r['messages'] / 1024:.1f}", f"{r['publish']:.1f}",
             f"{r['seconds']:.1f}", f"{r['rate']:,.0f}", f"{r['seconds'] / copy_seconds:.1f}x") for r in rounds]
    rows.append((f"raw COPY of the {copy_rows:,} rows round 1 wrote (7 tables)", "", "", "", f"{copy_seconds:.1f}",
                 f"{PRINTERS / copy_seconds:,.0f}", "1.0x"))
    print(f"\nTelemetry ingest, {PRINTERS:,} printers, MQTT (Mosquitto) -> {PROCESSES} mqtt_ingest process"
          f"{'es' if PROCESSES > 1 else ''} -> PostgreSQL\n")
    print(table(rows, ("round", "messages", "KB/msg", "publish s", "end-to-end s", "printers/s", "vs COPY")))
    for r in rounds:
        spent = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in r["cpu"].items())
        print(f"CPU, {r['label'].split(' (')[0]}: {spent} = {sum(r['cpu'].values()) * 1000 / r['reports']:.2f} ms "
              f"per printer; machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    lost = [r for r in rounds if r["stored"] != r["reports"]] or processed != sent or snapshots != reports
    print(f"\ncount in = {sent:,} messages, {reports:,} printer reports; stored: {processed:,} message ids, "
          f"{snapshots:,} counter snapshots, {sum(r['stored'] for r in rounds):,} printer updates"
          + (" - LOST MESSAGES" if lost else " - nothing lost"))
    rate = rounds[1]["rate"]    # a running fleet (its printers reported before), one message per printer
    print(f"goal >= {GOAL:,.0f} printer updates/s, a message per printer, running fleet: {rate:,.0f} -> "
          f"{'met' if rate >= GOAL else 'NOT MET'} (first reports after enrollment: {rounds[0]['rate']:,.0f}/s); "
          f"mqtt_ingest exit code {code}")
    return 0 if not lost and code == 0 and rate >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
