"""A simulated fleet for demos and benchmarks (`manage.py seed_demo --printers N`): one activated Fleet Agent
and N printers of varied models on loopback addresses, with supplies, alerts and daily counter history.

Everything goes through the real paths: the agent is created and activated by fleet.services.agents, and
the printers arrive as protocol messages (an `enroll`, then per printer one `telemetry` message holding a
report per day) applied by fleet.services.ingest in batches. Message ids are derived from the printer, so
a rerun changes nothing; printers already there are skipped.
"""
import hashlib
import ipaddress
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.utils import timezone

from agents import protocol

from .choices import AgentType, CodeKind, CriterionKind, SearchType
from .models import Agent, Printer, PrinterModel
from .services import agents as agent_services
from .services.ingest import IngestResult, ingest

AGENT_NAME = "Demo Fleet Agent"
SERIAL_PREFIX = "DEMO"
FIRST_ADDRESS = ipaddress.IPv4Address("127.0.16.1")   # 127.0.1.x is the live simulated demo fleet
BATCH = 100                     # printers per ingest call (each with one report per day)
SUPPLY_EVERY = 7                # days between the reports that carry supply levels
NAMESPACE = uuid.UUID("5b0c3a7e-2f4d-4c1e-9a55-6d1e0c2b7f10")
THIRD_PARTY = [("HP", "LaserJet Pro M404dn", False, False), ("Canon", "imageRUNNER ADVANCE C5535i", True, True),
               ("Brother", "HL-L6200DW", False, False), ("Xerox", "VersaLink C405", True, True),
               ("Ricoh", "IM C3000", True, True)]
MONO_COUNTERS = ("printSideCount", "printSheetCount", "monoPrintSideCount", "monoPrintSheetCount", "monoSideCount",
                 "monoSheetCount", "totalSideCount", "totalSheetCount", "duplexSideCount")
COLOR_COUNTERS = ("colorPrintSideCount", "colorSideCount")
MFP_COUNTERS = ("copySideCount", "monoCopySideCount", "totalScanCount", "adfScanCount", "flatbedScanCount")
ALERTS = [{"key": "tray1", "severity": "warning", "description": "Tray 1 Low", "group": "input", "code": "1101"},
          {"key": "jam", "severity": "error", "description": "200.03 Paper Jam", "group": "mediaPath", "code": "200.03"},
          {"key": "door", "severity": "error", "description": "Close front door", "group": "cover", "code": "31.35"},
          {"key": "toner", "severity": "warning", "description": "Black cartridge low", "supply": True,
           "group": "markerSupplies", "code": "88.01"}]


class Kind:
    """What a demo printer model is: its name, maker, and whether it prints color and copies/scans."""

    def __init__(self, manufacturer, name, color, mfp):
        self.manufacturer, self.name, self.color, self.mfp = manufacturer, name, color, mfp


def demo_kinds(limit: int = 20) -> list[Kind]:
    """Lexmark models of the catalog that the Fleet Agent supports, spread over the range, plus a few
    third-party models (data collection only)."""
    names = list(PrinterModel.objects.filter(fleet_agent=True).values_list("name", flat=True))
    step = max(len(names) // limit, 1)
    lexmark = [Kind("Lexmark", n, n.startswith(("C", "XC", "MC")), n.startswith(("X", "MX", "CX", "MC", "XC")))
               for n in names[::step][:limit]]
    others = [Kind(*item) for item in THIRD_PARTY]
    kinds = []
    for n, kind in enumerate(lexmark):      # a third-party model after every four Lexmark ones
        kinds.append(kind)
        if n % 4 == 3 and others:
            kinds.append(others.pop(0))
    return kinds + others


def demo_agent(org) -> tuple[Agent, str | None]:
    """The organization's demo Fleet Agent, created and activated on first use (its secret returned then)."""
    agent = Agent.objects.filter(organization=org, kind=AgentType.FLEET, name=AGENT_NAME).first()
    if agent is not None and agent.is_active:
        return agent, None
    if agent is None:
        agent = agent_services.save_fleet_agent(org, name=AGENT_NAME, description="Reports the simulated demo fleet.")
    code = agent_services.current_activation_code(agent) or agent_services.generate_activation_code(agent)
    activated = agent_services.activate(code.code, kind=CodeKind.FLEET, host_name="demo-agent.lexcloud.test",
                                        ip_address="127.0.0.1", version="demo")
    return activated.agent, activated.secret


def serial(index: int) -> str:
    return f"{SERIAL_PREFIX}{index:07d}"


def seed_printers(org, count: int, *, days: int = 90, write=print, now: datetime | None = None) -> IngestResult:
    """Bring the organization's demo fleet to `count` printers with `days` days of history."""
    agent, secret = demo_agent(org)
    if secret:
        write(f'Demo Fleet Agent: device id "{agent.device_id}", secret "{secret}" (shown this once)')
    now = now or timezone.now()
    existing = set(Printer.objects.filter(organization=org, serial__startswith=SERIAL_PREFIX)
                   .values_list("serial", flat=True))
    todo = [i for i in range(count) if serial(i) not in existing]
    total = IngestResult()
    if not todo:
        write(f"Demo printers: {count} already there")
        return total
    kinds = demo_kinds()
    for start in range(0, len(todo), BATCH):
        chunk = [DemoPrinter(i, kinds[i % len(kinds)]) for i in todo[start:start + BATCH]]
        enroll = protocol.Message(type=protocol.MessageType.ENROLL, agent=agent.device_id,
                                  id=_message_id(f"{org.pk}:enroll:{chunk[0].serial}:{len(chunk)}"),
                                  body=protocol.Enroll([p.identity() for p in chunk]))
        reports = [protocol.Message(type=protocol.MessageType.TELEMETRY, agent=agent.device_id,
                                    id=_message_id(f"{org.pk}:history:{p.serial}"),
                                    body=protocol.Telemetry(p.history(now, days)))
                   for p in chunk]
        total.merge(ingest([enroll, *reports], device_id=agent.device_id))   # one transaction per chunk
        done = min(start + BATCH, len(todo))
        write(f"Demo printers: {done}/{len(todo)} ({done * 100 // len(todo)}%)")
    # Days to Replace as the daily beat task would have predicted it from the history just written
    from .services.supplies import predict_days_to_replace

    predict_days_to_replace(now)
    return total


def _message_id(text: str) -> str:
    return uuid.uuid5(NAMESPACE, text).hex


class DemoPrinter:
    """One simulated printer: identity, pages per day, supplies that deplete and get replaced."""

    def __init__(self, index: int, kind: Kind):
        self.index, self.kind, self.serial = index, kind, serial(index)
        seed = int(hashlib.sha256(self.serial.encode()).hexdigest()[:8], 16)
        self.random = random.Random(seed)
        self.pages_per_day = self.random.randint(20, 600)
        self.start_pages = self.random.randint(5_000, 900_000)
        self.color_share = self.random.uniform(0.1, 0.5) if kind.color else 0.0

    def identity(self) -> protocol.PrinterIdentity:
        address = str(FIRST_ADDRESS + self.index)
        return protocol.PrinterIdentity(
            serial=self.serial, model=self.kind.name if self.kind.manufacturer != "Lexmark" else f"Lexmark {self.kind.name}",
            manufacturer=self.kind.manufacturer, mac=f"00:21:b7:{self.index >> 16 & 255:02x}:"
                                                     f"{self.index >> 8 & 255:02x}:{self.index & 255:02x}",
            ip=address, hostname=f"prn-{self.index:06d}.acme.lexcloud.test", name=f"Printer {self.index + 1}",
            location=f"Building {self.index % 4 + 1}, floor {self.index % 9}", contact="helpdesk@acme.lexcloud.test",
            firmware=f"{'CX' if self.kind.color else 'MS'}TPC.{230 + self.index % 5}.0{self.index % 40:02d}")

    def history(self, now: datetime, days: int) -> list[protocol.PrinterReport]:
        """One report a day for `days` days; supply levels weekly; the last report carries the full state."""
        last = now - timedelta(minutes=self.random.randint(1, 50))
        boot = last - timedelta(hours=self.random.randint(2, 24 * 40))
        reports = []
        for day in range(days):
            at = last - timedelta(days=days - 1 - day)
            final = day == days - 1
            report = protocol.PrinterReport(serial=self.serial, collected_at=_iso(at), status=protocol.PrinterStatus.READY,
                                            counters=self.counters(day), uptime=max(int((at - boot).total_seconds()), 60))
            if final or day % SUPPLY_EVERY == 0:
                report.supplies = self.supplies(day)
            if final:
                self.finish(report)
            reports.append(report)
        return reports

    def counters(self, day: int) -> dict[str, int]:
        sides = self.start_pages + self.pages_per_day * day
        color = int(sides * self.color_share)
        values = {"lifetimeCount": sides, "duplexSideCount": sides // 3}
        values.update({name: sides for name in MONO_COUNTERS if name != "duplexSideCount"})
        values.update(monoPrintSideCount=sides - color, monoSideCount=sides - color, printSheetCount=sides * 2 // 3,
                      monoPrintSheetCount=(sides - color) * 2 // 3, totalSheetCount=sides * 2 // 3)
        if self.kind.color:
            values.update({name: color for name in COLOR_COUNTERS})
        if self.kind.mfp:
            copies = sides // 5
            values.update(copySideCount=copies, monoCopySideCount=copies - int(copies * self.color_share),
                          totalScanCount=sides // 4, adfScanCount=sides // 6, flatbedScanCount=sides // 4 - sides // 6)
        return values

    def supplies(self, day: int) -> list[protocol.Supply]:
        colors = ("Black", "Cyan", "Magenta", "Yellow") if self.kind.color else ("Black",)
        items = []
        for n, color in enumerate(colors, start=1):
            capacity = 8_000 if color == "Black" else 5_000
            share = (1 - self.color_share) if color == "Black" else self.color_share / 3
            used = int((self.start_pages + self.pages_per_day * day) * share) % capacity
            items.append(protocol.Supply(key=str(n), description=f"{color} Toner Cartridge", type="Toner", color=color,
                                         level=max(100 - used * 100 // capacity, 1), capacity=capacity, unit="Sides",
                                         status="Ok"))
        items.append(protocol.Supply(key="10", description="Imaging Unit", type="Imaging Unit",
                                     level=max(95 - day // 3, 5), capacity=60_000, unit="Sides", status="Ok"))
        items.append(protocol.Supply(key="20", description="Fuser", type="Fuser", level=max(90 - day // 5, 10),
                                     status="Ok"))
        return items

    def finish(self, report: protocol.PrinterReport) -> None:
        """The newest report: identity, status, authentication, apps, alerts for one printer in four."""
        for name, value in vars(self.identity()).items():
            setattr(report, name, value)
        alerts = [protocol.Alert(**a) for a in self.random.sample(ALERTS, self.random.randint(1, 2))] \
            if self.index % 4 == 0 else []
        report.alerts = alerts
        severities = {a.severity for a in alerts}
        report.status = (protocol.PrinterStatus.ERROR if "error" in severities
                         else protocol.PrinterStatus.WARNING if alerts else protocol.PrinterStatus.READY)
        report.status_text = alerts[0].description if alerts else "Ready"
        report.authenticated = self.index % 25 != 7       # a few printers need credentials
        report.apps = [protocol.App(name="Cloud Print Release", version="2.4.1", state="running")] \
            if self.kind.manufacturer == "Lexmark" else []


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ------------------------------------------------------------------------------------ the live lab fleet
LAB_AGENT_NAME = "Lab Fleet Agent"
LAB_RANGE = "127.0.1.1-127.0.1.10"     # agents/simulator/scenarios/demo.toml
LAB_PORT = 16161


def lab_agent_config(org, folder: Path, server: str) -> Path | None:
    """The Fleet Agent that `make run` starts beside the simulated lab fleet (Procfile `agent`, `printers`):
    its definition (the lab range on the simulator's port, discovery every hour, refresh every 15 minutes)
    and a configuration file with a fresh activation code, so that it activates itself silently on its first
    start. None when it is already activated (its state directory keeps its credentials)."""
    agent = Agent.objects.filter(organization=org, kind=AgentType.FLEET, name=LAB_AGENT_NAME).first()
    if agent is None:
        lab = agent_services.ProfileSpec(name="Lab", version="v2c", community="public", timeout=2, retries=1,
                                         port=LAB_PORT)
        agent = agent_services.save_fleet_agent(
            org, name=LAB_AGENT_NAME, description="Discovers the simulated printers of make run.",
            settings_=agent_services.FleetSettings(search_type=SearchType.ADVANCED, discovery_interval=1,
                                                   refresh_interval=15),
            profiles=[agent_services.default_profile_spec(), lab],
            criteria=[agent_services.CriterionSpec(CriterionKind.INCLUDE, LAB_RANGE, "Lab")])
    state = folder / "state"
    if agent.is_active and (state / "credentials.json").exists():
        return None
    code = agent_services.generate_activation_code(agent)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "agent.toml"
    config.write_text(
        "# Written by `manage.py seed_demo`: the lab Fleet Agent of `make run` (silent activation).\n"
        f'server = "{server}"\nactivation_code = "{code.code}"\nstate_dir = "{state}"\n'
        'mqtt_url = "-"              # REST only: the embedded stack has no MQTT broker\n'
        "host_name = \"lab-agent.lexcloud.test\"\n\n[web]\nport = 8081\n")
    return config
