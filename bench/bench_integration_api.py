"""Fleet integration API (issue 8, "Measure"): `GET /v1.0/assets?size=200` over 100,000 printers with full
supplies, open alerts, counters and paper counts (spread over a partner and four child organizations, read
with the partner's token), median latency per page over pages spread across the whole fleet (and, for
information, over pages read one after the other as a connector does), as a ratio to
serving a pre-rendered JSON document of the same size (a real page's bytes) from the same server behind the
same token authentication, in the same run; and the queries per page (the same at every page and size).
Goal: ratio <= 3, constant queries.

The fleet is written with COPY on PostgreSQL (BENCH_DATABASE_URL; bench_printer_list.load), bulk_create on
SQLite. The rate limit is lifted for the run; the access log is written as in production."""
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import get_queries, median_get_ms, setup, table  # noqa: E402
from bench.bench_printer_list import load  # noqa: E402

PRINTERS = int(os.environ.get("BENCH_INTEGRATION_PRINTERS", "100000"))   # smaller for a smoke run
OTHER_ORG_PRINTERS = 2_000
SIZE = 200
REQUESTS = 40
GOAL = 3.0
MODELS = ["CX825", "X792e", "MX622", "CS431", "MX931", "C9235", "XC4342", "MS826"]
SUPPLIES = [  # description, type, color, unit, capacity: the guide's X792e
    ("Waste Toner Bottle", "Waste Toner", "", "Sides", 200000), ("Separator Roll and Pick Assembly", "Other", "", "Other", 120000),
    ("Fuser", "Fuser", "", "Sides", 150000), ("Yellow Cartridge", "Toner", "Yellow", "Sides", 20000),
    ("Transfer Module", "Other", "", "Other", 200000), ("Magenta Cartridge", "Toner", "Magenta", "Sides", 6000),
    ("Black Cartridge", "Toner", "Black", "Sides", 20000), ("Cyan Cartridge", "Toner", "Cyan", "Sides", 12000)]
PAPER = [("Letter", "Plain"), ("A4", "Plain"), ("Legal", "Plain"), ("Letter", "Transparency")]


def build_fleet(orgs, other_org):
    """PRINTERS printers spread over `orgs` with 8 supplies, 2 open alerts, every counter and 4 paper counts
    each, a diagnostic event on one in ten; OTHER_ORG_PRINTERS more in an organization out of reach."""
    from django.core.management.color import no_style
    from django.db import connection

    from agents.protocol import COUNTERS
    from fleet.models import Alert, DiagnosticEvent, Printer, Supply

    rng = random.Random(8)
    now = datetime.now(UTC)
    printers, supplies, alerts, events = [], [], [], []
    supply_id = alert_id = event_id = 0
    total = PRINTERS + OTHER_ORG_PRINTERS
    for pid in range(1, total + 1):
        org = orgs[pid % len(orgs)] if pid <= PRINTERS else other_org
        base = rng.randint(1000, 900000)
        counters = {name: base + i for i, name in enumerate(COUNTERS)}
        paper = [{"paperSize": size, "paperType": kind, "paperSheetSafeCount": rng.randint(0, 5000),
                  "paperSideColorSafeCount": rng.randint(0, 900), "paperSideMonoSafeCount": rng.randint(0, 5000)}
                 for size, kind in PAPER]
        printers.append(Printer(
            id=pid, organization_id=org.pk, serial=f"SN{pid:08d}", model_name=rng.choice(MODELS), manufacturer="Lexmark",
            ip_address=f"127.{pid // 65536 % 256}.{pid // 256 % 256}.{pid % 256}", name=f"Printer {pid}",
            authenticated=True, last_communication=now - timedelta(minutes=rng.randint(0, 600)),
            last_data_refresh=now, counters=counters, counters_at=now, paper_counts=paper,
            enrolled_at=now, created_at=now, modified_at=now))
        for i, (description, kind, color, unit, capacity) in enumerate(SUPPLIES):
            supply_id += 1
            supplies.append(Supply(
                id=supply_id, printer_id=pid, key=f"{i:02d}", description=description, type=kind, color=color,
                unit=unit, capacity=capacity, level=rng.randint(1, 100), status="Ok", serial=f"SUP{supply_id:09d}",
                supply_state="AUTHENTIC", coverage=round(rng.uniform(0, 5), 3) if kind == "Toner" else None,
                lifetime_coverage=round(rng.uniform(1, 12), 4) if kind == "Toner" else None,
                sides=rng.randint(0, 40000), installed_at=now - timedelta(days=90), days_to_replace=rng.randint(1, 300),
                updated_at=now))
        for key, severity, text in (("a1", "warning", "Yellow cartridge low"), ("a2", "error", "Tray 1 Empty")):
            alert_id += 1
            alerts.append(Alert(id=alert_id, printer_id=pid, key=key, severity=severity, supply=key == "a1",
                                description=text, opened_at=now))
        if pid % 10 == 0:
            event_id += 1
            events.append(DiagnosticEvent(id=event_id, printer_id=pid, key=f"ev{pid}", alert="202.03 PAPER JAM",
                                          alert_type="Prescriptive", error_code="202.03", error_reason="HC_REP",
                                          error_type="%202.03%", page_count=base, created_at=now,
                                          expires_at=now + timedelta(days=30)))
        if pid % 10_000 == 0 or pid == total:
            for model, rows in ((Printer, printers), (Supply, supplies), (Alert, alerts), (DiagnosticEvent, events)):
                load(model, rows)
            printers, supplies, alerts, events = [], [], [], []
            print(f"  {pid:,} of {total:,} printers written", flush=True)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Printer, Supply, Alert, DiagnosticEvent]):
            cursor.execute(sql)


def main():
    setup("bench_integration_api", urlconf="bench.integration_urls")
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from accounts.choices import ApplicationKind, OrganizationKind
    from accounts.services.applications import create_application
    from accounts.services.organizations import create_organization
    from bench import integration_urls
    from tests.fleet.test_integration_api_fixtures import token_for, validate

    settings.INTEGRATION_API_BURST = 10**9   # the benchmark measures serving, not the rate limit
    partner = create_organization("Bench Partner", kind=OrganizationKind.PARTNER)
    orgs = [partner, *(create_organization(f"Bench Customer {i}", parent=partner) for i in range(4))]
    other = create_organization("Bench Outsider")
    started = time.perf_counter()
    build_fleet(orgs, other)
    print(f"[bench_integration_api] fleet written in {time.perf_counter() - started:.1f}s")
    with connection.cursor() as cursor:   # fresh statistics, as autovacuum keeps them on a running system
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    app, _secret = create_application(partner, "Bench connector", kind=ApplicationKind.INTEGRATION)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(app)}")
    pages = PRINTERS // SIZE
    spread = [round(i * (pages - 1) / (REQUESTS - 1)) for i in range(REQUESTS)]   # first to last page

    first = client.get(f"/v1.0/assets?size={SIZE}")
    assert first.status_code == 200
    body = first.json()
    assert body["totalElements"] == PRINTERS and body["numberOfElements"] == SIZE, body["totalElements"]
    validate("assets", body)
    integration_urls.DOCUMENT["body"] = first.content
    size_kb = len(first.content) / 1024

    def median_pages_ms(path: str, before=None, numbers=spread) -> float:
        for page in spread[:3]:
            client.get(f"{path}?size={SIZE}&page={page}")
        samples = []
        for page in numbers:
            if before:
                before()
            t0 = time.perf_counter()
            response = client.get(f"{path}?size={SIZE}&page={page}")
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, page
            if path == "/v1.0/assets":   # a full page, as large as the baseline's document
                assert len(response.content) > 0.9 * len(first.content), page
        return statistics.median(samples)

    baseline = median_get_ms(client, "/bench/prerendered/", REQUESTS)
    bare = median_get_ms(client, "/bench/prerendered-bare/", REQUESTS)
    rows, over = [(f"pre-rendered {size_kb:.0f} KB document, same token auth (baseline)", f"{baseline:.1f}", "1.0x", ""),
                  ("pre-rendered document, no auth (info)", f"{bare:.1f}", f"{bare / baseline:.1f}x", "")], []
    queries = {(path, size, page): get_queries(client, f"{path}?size={size}&page={page}")
               for path in ("/v1.0/assets", "/v1.0/assets/supplies") for size in (50, 200) for page in (0, pages // 2, pages - 1)}
    constant = len(set(q for (path, _s, _p), q in queries.items() if path == "/v1.0/assets")) == 1
    for label, path in (("/v1.0/assets, size 200 (goal)", "/v1.0/assets"),
                        ("/v1.0/assets/supplies, size 200 (info)", "/v1.0/assets/supplies"),
                        ("/v1.0/assets/counters, size 200 (info)", "/v1.0/assets/counters"),
                        ("/v1.0/assets/alerts, size 200 (info)", "/v1.0/assets/alerts")):
        ms = median_pages_ms(path)
        ratio = ms / baseline
        if "goal" in label and ratio > GOAL:
            over.append(label)
        rows.append((label, f"{ms:.1f}", f"{ratio:.1f}x", queries.get((path, 200, 0), "")))
    in_order = list(range(pages // 3, min(pages, pages // 3 + REQUESTS)))   # a connector reading page after page
    ms = median_pages_ms("/v1.0/assets", numbers=in_order)
    rows.append(("/v1.0/assets, size 200, pages read in order (info)", f"{ms:.1f}", f"{ms / baseline:.1f}x", ""))
    ms = median_pages_ms("/v1.0/assets", before=cache.clear)
    rows.append(("/v1.0/assets, size 200, count not cached (info)", f"{ms:.1f}", f"{ms / baseline:.1f}x", ""))
    t0 = time.perf_counter()
    legacy = client.get("/assets/inventory/counters")
    rows.append((f"/assets/inventory/counters, all {PRINTERS:,} printers, one call (info)",
                 f"{(time.perf_counter() - t0) * 1000:.0f}", "", ""))
    assert legacy.status_code == 200

    print(f"\nIntegration API over {PRINTERS:,} printers (+{OTHER_ORG_PRINTERS:,} out of reach) in 5 organizations, "
          f"partner token, median of {REQUESTS} pages spread from the first to the last "
          f"({connection.vendor}, django.test.Client)\n")
    print(table(rows, ("endpoint", "median ms", "vs baseline", "queries")))
    print("\nqueries per page (path, size, page): "
          + ", ".join(f"{p.rsplit('/', 1)[-1]}/{s}/{n}={q}" for (p, s, n), q in queries.items()))
    print(f"\nGoal: /v1.0/assets at size 200 <= {GOAL:.0f}x the pre-rendered document, constant queries: "
          + ("met" if not over and constant else f"NOT met ({', '.join(over) or 'queries vary'})"))
    return 1 if over or not constant else 0


if __name__ == "__main__":
    sys.exit(main())
