"""Printers page and printers list API with 100,000 printers: median latency at page sizes 50 and 200, each
as a ratio to a trivial authenticated DRF endpoint (bench/urls.py) in the same run, and the query counts at
both page sizes (they must be equal). Goal: every ratio <= 3 (issue 5, "Measure").

The fleet (with toner supplies, tags and some open alerts, plus a second organization's printers that must
stay out of sight) is written with COPY on PostgreSQL (BENCH_DATABASE_URL), with bulk_create on SQLite.
The listing keeps a count of 10,000 printers or more for a minute (fleet.selectors.count_printers), so the
goal rows measure pages after the first; the "count not cached" rows clear the cache before every request.
A few other listings (a filter, a sort, a search, the Supplies view) and an empty page in the portal's shell
are timed for information."""
import io
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import get_queries, median_get_ms, setup, table  # noqa: E402

PRINTERS = 100_000
OTHER_ORG_PRINTERS = 5_000
REQUESTS = 40
GOAL = 3.0
MODELS = ["CX725", "MX622", "B2236", "CS431", "MX931", "C9235", "XC4342", "MS826", "CX943", "M3250"]
COLORS = ("Black", "Cyan", "Magenta", "Yellow")


def _copy_value(field, value) -> str:
    if value is None:
        return r"\N"
    if field.get_internal_type() == "JSONField":
        text = json.dumps(value)
    elif isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, datetime):
        text = value.isoformat()
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load(model, objects) -> None:
    """Write model instances (ids set) as fast as the database allows: COPY on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=2000)
        return
    fields = model._meta.concrete_fields
    buffer = io.StringIO()
    for obj in objects:
        buffer.write("\t".join(_copy_value(f, getattr(obj, f.attname)) for f in fields))
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {model._meta.db_table} ({columns}) FROM STDIN", buffer)


def build_fleet(org, other_org, agent):
    """PRINTERS printers in `org` (a third color with four toners, the rest mono), 20 tags on about half of
    them, open alerts on about 5%; and OTHER_ORG_PRINTERS in another organization."""
    from django.core.management.color import no_style
    from django.db import connection

    from fleet.choices import AgentType, AlertSeverity, Communication, Status
    from fleet.models import Alert, Printer, Supply, Tag

    rng = random.Random(5)
    now = datetime.now(UTC)
    tags = Tag.objects.bulk_create([Tag(organization=org, name=f"Site {i:02d}") for i in range(20)])
    printers, supplies, alerts, tagged = [], [], [], []
    statuses, communications = Status.values, Communication.values
    supply_id = alert_id = 0
    total = PRINTERS + OTHER_ORG_PRINTERS
    for pid in range(1, total + 1):
        mine = pid <= PRINTERS
        color = pid % 3 == 0
        levels = {c: rng.randint(1, 100) for c in (COLORS if color else COLORS[:1])}
        alert_count = 1 if rng.random() < 0.05 else 0
        severity = rng.choice(AlertSeverity.values) if alert_count else ""
        printers.append(Printer(
            id=pid, organization_id=org.pk if mine else other_org.pk, agent_id=agent.pk if mine else None,
            agent_type=AgentType.FLEET, serial=f"SN{pid:08d}", model_name=rng.choice(MODELS), manufacturer="Lexmark",
            ip_address=f"127.{pid // 65536 % 256}.{pid // 256 % 256}.{pid % 256}", host_name=f"printer-{pid}.test",
            name=f"Printer {pid}", asset_tag=f"A{pid:06d}" if pid % 4 == 0 else "", firmware="CXTPC.081.234",
            status=rng.choice(statuses), communication=communications[0] if rng.random() < 0.9 else rng.choice(communications),
            last_communication=now - timedelta(minutes=rng.randint(0, 600)),
            counters={"lifetimeCount": rng.randint(1000, 900000), "copySideCount": rng.randint(0, 50000)},
            supply_alerts=alert_count, worst_severity=severity, lowest_supply=min(levels.values()),
            enrolled_at=now, created_at=now, modified_at=now))
        for c, level in levels.items():
            supply_id += 1
            supplies.append(Supply(id=supply_id, printer_id=pid, key=f"toner-{c.lower()}", type="Toner", color=c,
                                   level=level, description=f"{c} Cartridge", days_to_replace=rng.randint(1, 300),
                                   lifetime_coverage=round(rng.uniform(1, 12), 1), updated_at=now))
        if alert_count:
            alert_id += 1
            alerts.append(Alert(id=alert_id, printer_id=pid, key="alert-1", severity=severity, supply=True,
                                description="Toner low", opened_at=now))
        if mine and pid % 2 == 0:
            tagged.append(Printer.tags.through(printer_id=pid, tag_id=tags[pid % 20].pk))
        if pid % 20_000 == 0 or pid == total:
            load(Printer, printers)
            load(Supply, supplies)
            load(Alert, alerts)
            Printer.tags.through.objects.bulk_create(tagged, batch_size=5000)
            printers, supplies, alerts, tagged = [], [], [], []
            print(f"  {pid:,} of {total:,} printers written", flush=True)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Printer, Supply, Alert]):
            cursor.execute(sql)


def main():
    setup("bench_printer_list", urlconf="bench.printer_list_urls")
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.services.organizations import create_organization
    from fleet.choices import AgentType
    from fleet.models import Agent
    from tests.conftest import ALL_SERVICES, make_user

    org = create_organization("Bench Fleet", entitlements=ALL_SERVICES)
    other = create_organization("Bench Other Fleet", entitlements=ALL_SERVICES)
    admin = make_user(org, "fleet@bench.test", ["fleet_management_administrator"])
    agent = Agent.objects.create(organization=org, kind=AgentType.FLEET, name="Bench agent", device_id="fleet-bench")
    started = time.perf_counter()
    build_fleet(org, other, agent)
    print(f"[bench_printer_list] fleet written in {time.perf_counter() - started:.1f}s")
    with connection.cursor() as cursor:   # fresh statistics, as autovacuum keeps them on a running system
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    client = Client()
    client.force_login(admin)

    def median_ms(url, before=None):
        return median_get_ms(client, url, REQUESTS, before=before)

    def queries(url):
        return get_queries(client, url)

    page = reverse("fleet:printers", kwargs={"org_id": org.pk})
    api = reverse("api-fleet-printers", kwargs={"org_id": org.pk})
    listed = client.get(api + "?page_size=50").json()   # the other organization's printers stay out of sight
    assert listed["count"] == PRINTERS and len(listed["results"]) == 50, listed["count"]
    assert f"{PRINTERS} total items".encode() in client.get(page).content

    trivial = median_ms("/bench/trivial/")
    shell = median_ms(reverse("bench-empty-shell", kwargs={"org_id": org.pk}))
    rows, over = [("trivial DRF endpoint (baseline)", f"{trivial:.1f}", "1.0x", "", ""),
                  ("empty page in the portal shell (info)", f"{shell:.1f}", f"{shell / trivial:.1f}x", "", "")], []
    for label, url in (("Printers page", page), ("printers list API", api)):
        q50, q200 = queries(url + "?page_size=50"), queries(url + "?page_size=200")
        for size in (50, 200):
            ms = median_ms(f"{url}?page_size={size}")
            ratio = ms / trivial
            if ratio > GOAL:
                over.append(f"{label} @{size}")
            rows.append((f"{label}, page size {size}", f"{ms:.1f}", f"{ratio:.1f}x", q50 if size == 50 else q200,
                         "equal" if q50 == q200 else "GROWS"))
    for label, url in (("Printers page", page), ("printers list API", api)):
        ms = median_ms(f"{url}?page_size=50", before=cache.clear)
        rows.append((f"{label}, page size 50, count not cached (info)", f"{ms:.1f}", f"{ms / trivial:.1f}x", "", ""))
    info = [("page: communication filter", "?communication=not_communicating"),
            ("page: sorted by model", "?sort=model_name"), ("page: search", "?q=printer-4242"),
            ("page: supply alerts = error", "?supply_alerts=error"),
            ("page: Quick View, supply levels", "?qv=1&col=model_name&col=black_level&col=cyan_level&col=black_days")]
    for label, query in info:
        ms = median_ms(page + query)
        rows.append((f"{label} (info)", f"{ms:.1f}", f"{ms / trivial:.1f}x", queries(page + query), ""))

    print(f"\nPrinters list with {PRINTERS:,} printers (+{OTHER_ORG_PRINTERS:,} in another organization), median of "
          f"{REQUESTS} requests (django.test.Client, signed in as a Fleet Management Administrator)\n")
    print(table(rows, ("endpoint", "median ms", "vs trivial", "queries", "50 vs 200")))
    grows = any(r[-1] == "GROWS" for r in rows)
    print(f"\nGoal: <= {GOAL:.0f}x the trivial endpoint, the same queries at both page sizes: "
          + ("met" if not over and not grows else f"NOT met ({', '.join(over) or 'queries grow'})"))
    return 1 if over or grows else 0


if __name__ == "__main__":
    sys.exit(main())
