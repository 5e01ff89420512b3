"""Shared helpers of the integration API tests (issue 8): the guide's repaired samples
(tests/fleet/fixtures/integration/), the JSON Schemas (docs/schemas/integration/), rows equivalent to a sample,
an integration application with a token, and a fleet spread over a partner and its children.

The samples keep the guide's own values, among them a printer address 10.99.0.60: it is data stored in a row and
printed back in JSON, never an address anything connects to (no test sends a packet outside 127.0.0.0/8)."""
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from accounts.choices import ApplicationKind, OrganizationKind
from accounts.models import Organization
from accounts.services import applications
from agents.protocol import COUNTER_SET
from fleet.choices import Communication
from fleet.models import Alert, DiagnosticEvent, Printer, Supply

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fleet" / "fixtures" / "integration"
SCHEMAS = ROOT / "docs" / "schemas" / "integration"
PREFIX = "/cfm/fleetmgmt-integration-service"
ENDPOINTS = {  # path → sample and schema name
    "/v1.0/assets": "assets",
    "/v1.0/assets/supplies": "supplies",
    "/v1.0/assets/diagnostics": "diagnostics",
    "/v1.0/assets/alerts": "alerts",
    "/v1.0/assets/counters": "counters",
}
LEGACY = "/assets/inventory/counters"


def sample(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


def validate(name: str, data) -> None:
    """Raise unless `data` validates against the endpoint's JSON Schema (draft 2020-12)."""
    jsonschema.Draft202012Validator(schema(name)).validate(data)


def at(ms: int | None) -> datetime | None:
    return None if ms is None else datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def integration_app(org, name="Billing connector", kind=ApplicationKind.INTEGRATION):
    app, secret = applications.create_application(org, name, kind=kind)
    return app, secret


def token_for(application) -> str:
    """An access token of the application, as POST /oauth/token would issue it."""
    value = secrets.token_urlsafe(30)
    get_access_token_model().objects.create(application=application, token=value, scope="integration",
                                            expires=timezone.now() + timedelta(hours=2))
    return value


def sample_organization(account_id: str) -> Organization:
    return Organization.objects.create(id=uuid.UUID(account_id), name=f"Sample {account_id[:8]}",
                                       kind=OrganizationKind.PARTNER)


def load_assets(content: list[dict]) -> None:
    """Rows equivalent to a sample page's assets: what an agent would have reported for the sample's values.
    The inverse of fleet.api.integration.serializers."""
    for asset in content:
        org = Organization.objects.get(pk=asset["accountId"])
        events = asset["diagnosticEvents"]
        counters = asset["counters"]
        printer = Printer.objects.create(
            organization=org, serial=asset["serialNumber"], model_name=asset["modelName"],
            manufacturer=asset["manufacturer"], name=asset["name"] or "", description=asset["description"] or "",
            created_at=at(asset["dateCreated"]), modified_at=at(asset["dateModified"]),
            last_communication=at(asset["lastCommunication"]), last_data_refresh=at(asset["lastDataRefresh"]),
            communication=Communication.COMMUNICATING if asset["communicating"] else Communication.NOT_COMMUNICATING,
            authenticated=asset["authenticated"], firmware_changed_at=at(asset["baseFirmwareLastModifiedDate"]),
            ip_address=events[0]["ipAddress"] if events else None,
            counters={k: v for k, v in (counters or {}).items() if k in COUNTER_SET and v is not None},
            counters_at=timezone.now() if counters else None,
            paper_counts=counters["paperCounts"] if counters else [])
        for i, s in enumerate(asset["supplies"]):
            Supply.objects.create(
                printer=printer, key=f"{i:03d}", serial=s["serialNumber"] or "", level=s["currentLevel"],
                color="" if s["color"] == "none" else s["color"], description=s["description"] or "",
                capacity=s["maximumCapacity"], type=s["type"], unit=s["capacityUnit"] or "",
                supply_state=s["supplyState"], status=s["status"] or "", coverage=s["coverage"],
                installed_at=at(s["installDate"]), lifetime_coverage=s["coverageLifetime"],
                coverage_last_job=s["coverageLastJob"], sides=s["sidesOnSupply"], updated_at=at(s["timestamp"]),
                prebate=s["prebate"], genuine=s["genuine"], days_to_replace=s["daysLeft"])
        for e in events:
            DiagnosticEvent.objects.create(
                printer=printer, key=e["alertId"], alert=e["alert"] or "", alert_type=e["alertType"] or "",
                collector_id=e["collectorId"] or "", error_code=e["errorCode"] or "",
                error_reason=e["errorReason"] or "", error_type=e["errorType"] or "", page_count=e["lpc"],
                created_at=at(e["dateCreated"]), expires_at=at(e["expirationDttm"]))
        opened = timezone.now()
        for i, a in enumerate(asset["alerts"]):
            Alert.objects.create(printer=printer, key=f"alert-{i}", severity=a["status"].lower(),
                                 description=a["issue"], opened_at=opened)


def load_legacy(items: list[dict], org) -> None:
    """Rows equivalent to the deprecated endpoint's sample."""
    for item in items:
        Printer.objects.create(organization=org, serial=item["serialNumber"], counters=item["counters"],
                               counters_at=at(item["dateCollected"]))


def full_printer(org, serial: str, *, ip: str = "127.0.3.1") -> Printer:
    """A printer with every sub-resource: counters, paper counts, four toners, an open and a cleared alert,
    a diagnostic event."""
    now = timezone.now()
    printer = Printer.objects.create(
        organization=org, serial=serial, model_name="CX825", manufacturer="Lexmark", ip_address=ip,
        last_communication=now, last_data_refresh=now, authenticated=True,
        counters={"lifetimeCount": 100, "printSideCount": 90, "totalSideCount": 95}, counters_at=now,
        paper_counts=[{"paperSize": "A4", "paperType": "Plain", "paperSheetSafeCount": 90}])
    Supply.objects.bulk_create([Supply(printer=printer, key=f"toner-{c}", type="Toner", color=c, level=50,
                                       description=f"{c} Cartridge", unit="Sides", capacity=6000)
                                for c in ("Black", "Cyan", "Magenta", "Yellow")])
    Alert.objects.create(printer=printer, key="open", severity="warning", description="Tray 1 Low", opened_at=now)
    Alert.objects.create(printer=printer, key="gone", severity="error", description="Paper jam", opened_at=now,
                         cleared_at=now)
    DiagnosticEvent.objects.create(printer=printer, key=f"ev-{serial}", alert="202.03 PAPER JAM",
                                   error_code="202.03", created_at=now, expires_at=now + timedelta(days=30))
    return printer
