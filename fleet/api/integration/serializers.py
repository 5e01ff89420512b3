"""From fleet rows to the guide's JSON, field for field (docs/integration-api.md has the mapping).

The page's rows are read with `values_list` and turned into plain dicts here: building a 200-asset page
with every sub-resource is the hot path (bench/bench_integration_api.py), and DRF field objects per value
would cost more than the database. The DRF serializers at the bottom only document the shapes (OpenAPI);
the JSON Schemas in docs/schemas/integration/ check the real answers in the tests."""
from datetime import UTC, datetime, timedelta

from rest_framework import serializers

from agents.protocol import COUNTERS
from fleet.choices import Communication

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)

# The guide's v1.0 counter object, in the guide's order: COUNTERS with lifetimeCountUnit after lifetimeCount
# and paperCounts after the coverage tiers.
_SCAN_START = COUNTERS.index("blankCopySideCount")
COUNTER_KEYS = (COUNTERS[0], "lifetimeCountUnit", *COUNTERS[1:_SCAN_START], "paperCounts", *COUNTERS[_SCAN_START:])
# The deprecated endpoint knows 35 of them (no unit, no large color/mono, no paper, no scan counters).
LEGACY_COUNTERS = tuple(name for name in COUNTERS[:_SCAN_START]
                        if name not in ("colorLargeSideCount", "monoLargeSideCount"))
PAPER_COUNT_KEYS = ("paperSheetPickedCount", "paperSheetSafeCount", "paperSideColorPickedCount",
                    "paperSideColorSafeCount", "paperSideMonoPickedCount", "paperSideMonoSafeCount", "paperSize",
                    "paperType")
SUBRESOURCES = ("counters", "diagnosticEvents", "supplies", "alerts")


def millis(value: datetime | None) -> int | None:
    """Epoch milliseconds, exactly (no float rounding), as every timestamp of the guide."""
    return None if value is None else (value - EPOCH) // MILLISECOND


def number(value):
    """A float that holds an integer is printed as one (the guide's `"coverageLastJob": 15`)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def text(value: str) -> str | None:
    """Blank text is a value the printer did not report: null."""
    return value or None


# --- the printer page ----------------------------------------------------------------------------------------

PRINTER_COLUMNS = ("id", "organization_id", "manufacturer", "model_name", "serial", "name", "description",
                   "created_at", "modified_at", "last_communication", "last_data_refresh", "communication",
                   "authenticated", "firmware_changed_at")
COUNTER_COLUMNS = ("counters_json", "counters_at", "paper_json")   # JSON text (selectors.with_json_text)
DIAGNOSTIC_PRINTER_COLUMNS = ("ip_address", "host_name")
SUPPLY_PRINTER_COLUMNS = ("days_to_replace_at",)


def printer_columns(include: frozenset) -> tuple[str, ...]:
    """The Printer columns a page with these sub-resources needs (no counters JSON for a supplies page)."""
    columns = PRINTER_COLUMNS
    if "counters" in include:
        columns += COUNTER_COLUMNS
    if "diagnosticEvents" in include:
        columns += DIAGNOSTIC_PRINTER_COLUMNS
    if "supplies" in include:
        columns += SUPPLY_PRINTER_COLUMNS
    return columns


def asset(row: dict) -> dict:
    """The guide's asset object without its sub-resources (filled by the caller)."""
    created = millis(row["created_at"])
    return {
        "manufacturer": row["manufacturer"],
        "modelName": row["model_name"],
        "serialNumber": row["serial"],
        "accountId": str(row["organization_id"]),
        "name": text(row["name"]),
        "description": text(row["description"]),
        "dateCreated": created,
        "dateModified": millis(row["modified_at"]),
        "lastCommunication": millis(row["last_communication"]),
        # typed `number` by the guide: a printer that never reported was last refreshed when it was created
        "lastDataRefresh": millis(row["last_data_refresh"]) if row["last_data_refresh"] else created,
        "communicating": row["communication"] == Communication.COMMUNICATING,
        "authenticated": row["authenticated"],
        "baseFirmwareLastModifiedDate": millis(row["firmware_changed_at"]),
        "counters": None,
        "diagnosticEvents": [],
        "supplies": [],
        "alerts": [],
    }


def counters(values: dict, collected_at, paper_counts: list) -> dict | None:
    """The v1.0 counter object: every key, null when the printer does not report it; null when the printer
    never reported counters at all."""
    if collected_at is None and not values:
        return None
    out = {}
    for key in COUNTER_KEYS:
        if key == "lifetimeCountUnit":
            # lexcloud's agents read the lifetime count from prtMarkerLifeCount in impressions: sides
            out[key] = "Sides" if values.get("lifetimeCount") is not None else None
        elif key == "paperCounts":
            out[key] = [{name: item.get(name) for name in PAPER_COUNT_KEYS} for item in paper_counts or ()]
        else:
            out[key] = values.get(key)
    return out


def legacy_counters(values: dict) -> dict:
    """The deprecated endpoint's counters: only the 35 it knows, only those the printer reports."""
    return {key: values[key] for key in LEGACY_COUNTERS if values.get(key) is not None}


SUPPLY_COLUMNS = ("printer_id", "serial", "level", "color", "description", "capacity", "type", "unit",
                  "supply_state", "status", "coverage", "installed_at", "lifetime_coverage", "coverage_last_job",
                  "sides", "updated_at", "prebate", "genuine", "days_to_replace")


def supply(row: tuple, days_left_at) -> dict:
    (_printer, serial, level, color, description, capacity, kind, unit, state, status, coverage, installed,
     lifetime, last_job, sides, updated, prebate, genuine, days) = row
    return {
        "serialNumber": serial or None,
        "currentLevel": level,
        "color": color or "none",
        "description": description or None,
        "maximumCapacity": capacity,
        "type": kind or None,
        "capacityUnit": unit or None,
        "percentRemaining": None,
        "supplyState": state or "UNKNOWN",
        "status": status or None,
        "coverage": number(coverage),
        "installDate": millis(installed),
        "coverageLifetime": number(lifetime),
        "coverageLastJob": number(last_job),
        "sidesOnSupply": sides,
        "timestamp": millis(updated),
        "prebate": prebate,
        "genuine": genuine,
        "daysLeft": days,
        "daysLeftLastUpdated": millis(days_left_at) if days is not None else None,
    }


DIAGNOSTIC_COLUMNS = ("printer_id", "created_at", "alert", "key", "alert_type", "collector_id", "error_code",
                      "error_reason", "error_type", "expires_at", "page_count")


def diagnostic_event(row: tuple, printer: dict) -> dict:
    """A diagnostic event; hostname, address, model and serial are the printer's as the fleet knows it."""
    _printer, created, alert, key, alert_type, collector, code, reason, kind, expires, pages = row
    created_ms = millis(created)
    address = str(printer["ip_address"]) if printer["ip_address"] else None
    model = " ".join(part for part in (printer["manufacturer"], printer["model_name"]) if part).upper()
    return {
        "dateCreated": created_ms,
        "alert": alert or None,
        "alertDttm": created_ms,
        "alertId": key or None,
        "alertType": alert_type or None,
        "collectorId": collector or None,
        "errorCode": code or None,
        "errorReason": reason or None,
        "errorType": kind or None,
        "expirationDttm": millis(expires),
        "hostname": printer["host_name"] or address,
        "ipAddress": address,
        "lpc": pages,
        "model": model or None,
        "serialNumber": printer["serial"],
    }


ALERT_COLUMNS = ("printer_id", "severity", "description")


def alert(row: tuple) -> dict:
    _printer, severity, description = row
    return {"status": severity.upper() if severity else None, "issue": description or None}


# --- envelope ------------------------------------------------------------------------------------------------

UNSORTED = {"sorted": False, "unsorted": True, "empty": True}


def page_envelope(content: list, number: int, size: int, total: int) -> dict:
    """The Spring Data page of the guide's samples, with right values (the samples' `last` and
    `numberOfElements` are wrong): `sort` says no client sort was asked; the order is the asset id."""
    pages = -(-total // size)
    return {
        "content": content,
        "pageable": {"sort": dict(UNSORTED), "pageNumber": number, "pageSize": size, "offset": number * size,
                     "paged": True, "unpaged": False},
        "totalElements": total,
        "totalPages": pages,
        "last": number + 1 >= pages,
        "sort": dict(UNSORTED),
        "first": number == 0,
        "numberOfElements": len(content),
        "size": size,
        "number": number,
        "empty": not content,
    }


# --- documentation only (OpenAPI) -----------------------------------------------------------------------------

def _fields(spec: dict) -> dict:
    kinds = {"string": serializers.CharField, "integer": serializers.IntegerField,
             "number": serializers.FloatField, "boolean": serializers.BooleanField}
    return {name: kinds[kind](allow_null=nullable) for name, (kind, nullable) in spec.items()}


SUPPLY_SPEC = {"serialNumber": ("string", True), "currentLevel": ("integer", True), "color": ("string", True),
               "description": ("string", True), "maximumCapacity": ("number", True), "type": ("string", True),
               "capacityUnit": ("string", True), "percentRemaining": ("integer", True),
               "supplyState": ("string", True), "status": ("string", True), "coverage": ("number", True),
               "installDate": ("number", True), "coverageLifetime": ("number", True),
               "coverageLastJob": ("number", True), "sidesOnSupply": ("number", True),
               "timestamp": ("number", True), "prebate": ("boolean", True), "genuine": ("boolean", True),
               "daysLeft": ("number", True), "daysLeftLastUpdated": ("number", True)}
DIAGNOSTIC_SPEC = {"dateCreated": ("number", False), "alert": ("string", True), "alertDttm": ("number", True),
                   "alertId": ("string", True), "alertType": ("string", True), "collectorId": ("string", True),
                   "errorCode": ("string", True), "errorReason": ("string", True), "errorType": ("string", True),
                   "expirationDttm": ("number", False), "hostname": ("string", True),
                   "ipAddress": ("string", True), "lpc": ("number", True), "model": ("string", True),
                   "serialNumber": ("string", True)}
ALERT_SPEC = {"status": ("string", True), "issue": ("string", True)}
PAPER_SPEC = {name: ("string" if name in ("paperSize", "paperType") else "integer", True) for name in PAPER_COUNT_KEYS}
ASSET_SPEC = {"manufacturer": ("string", False), "modelName": ("string", False), "serialNumber": ("string", False),
              "accountId": ("string", False), "name": ("string", True), "description": ("string", True),
              "dateCreated": ("number", False), "dateModified": ("number", False),
              "lastCommunication": ("number", True), "lastDataRefresh": ("number", False),
              "communicating": ("boolean", True), "authenticated": ("boolean", True),
              "baseFirmwareLastModifiedDate": ("number", True)}

IntegrationSupply = type("IntegrationSupply", (serializers.Serializer,), _fields(SUPPLY_SPEC))
IntegrationDiagnosticEvent = type("IntegrationDiagnosticEvent", (serializers.Serializer,), _fields(DIAGNOSTIC_SPEC))
IntegrationAlert = type("IntegrationAlert", (serializers.Serializer,), _fields(ALERT_SPEC))
IntegrationPaperCount = type("IntegrationPaperCount", (serializers.Serializer,), _fields(PAPER_SPEC))
IntegrationCounters = type("IntegrationCounters", (serializers.Serializer,), {
    **{name: serializers.IntegerField(allow_null=True) for name in COUNTERS},
    "lifetimeCountUnit": serializers.CharField(allow_null=True),
    "paperCounts": IntegrationPaperCount(many=True)})
IntegrationLegacyCounterValues = type("IntegrationLegacyCounterValues", (serializers.Serializer,), {
    name: serializers.IntegerField(required=False) for name in LEGACY_COUNTERS})


class IntegrationSort(serializers.Serializer):
    sorted = serializers.BooleanField()
    unsorted = serializers.BooleanField()
    empty = serializers.BooleanField()


class IntegrationPageable(serializers.Serializer):
    sort = IntegrationSort()
    pageNumber = serializers.IntegerField()
    pageSize = serializers.IntegerField()
    offset = serializers.IntegerField()
    paged = serializers.BooleanField()
    unpaged = serializers.BooleanField()


def page_serializer(name: str, include: frozenset):
    """The page of one endpoint: the sub-resources it does not fill are documented as null / empty."""
    nothing = serializers.ListField(child=serializers.DictField(), max_length=0,
                                    help_text="Always empty on this endpoint.")
    asset_fields = {
        **_fields(ASSET_SPEC),
        "counters": IntegrationCounters(allow_null=True) if "counters" in include
        else serializers.JSONField(allow_null=True, help_text="Always null on this endpoint."),
        "diagnosticEvents": IntegrationDiagnosticEvent(many=True) if "diagnosticEvents" in include else nothing,
        "supplies": IntegrationSupply(many=True) if "supplies" in include else nothing,
        "alerts": IntegrationAlert(many=True) if "alerts" in include else nothing,
    }
    item = type(f"{name}Asset", (serializers.Serializer,), asset_fields)
    return type(f"{name}Page", (serializers.Serializer,), {
        "content": item(many=True), "pageable": IntegrationPageable(), "totalElements": serializers.IntegerField(),
        "totalPages": serializers.IntegerField(), "last": serializers.BooleanField(), "sort": IntegrationSort(),
        "first": serializers.BooleanField(), "numberOfElements": serializers.IntegerField(),
        "size": serializers.IntegerField(), "number": serializers.IntegerField(),
        "empty": serializers.BooleanField()})


class IntegrationLegacyAsset(serializers.Serializer):
    serialNumber = serializers.CharField()
    dateCollected = serializers.IntegerField(allow_null=True)
    counters = IntegrationLegacyCounterValues()


class IntegrationError(serializers.Serializer):
    timestamp = serializers.IntegerField(help_text="Epoch milliseconds.")
    status = serializers.IntegerField()
    error = serializers.CharField()
    message = serializers.CharField()
    path = serializers.CharField()
