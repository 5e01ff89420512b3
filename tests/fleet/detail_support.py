"""Shared builders for the printer details, tags, unenroll, notification and Days to Replace tests: fleet users
by role, and printers whose model is in the supported-models catalog (features are gated on it)."""
import json
from pathlib import Path

from fleet.models import PrinterModel
from tests.conftest import make_user
from tests.fleet.factories import make_agent, make_printer

CATALOG = Path(__file__).resolve().parents[2] / "fleet" / "data" / "printer_models.json"
ADMIN_ROLE, VIEWER_ROLE = "fleet_management_administrator", "fleet_management_viewer"


def fleet_admin(org, email=None):
    return make_user(org, email or f"fleet-admin@{org.name.lower()}.test", [ADMIN_ROLE])


def fleet_viewer(org, email=None):
    return make_user(org, email or f"fleet-viewer@{org.name.lower()}.test", [VIEWER_ROLE])


def catalog_printer(org, agent=None, model="CX725", **fields):
    """A printer of a catalog model (None: an unknown, third-party model), under `agent` or a new Fleet Agent."""
    agent = agent if agent is not None else make_agent(org)
    fields.setdefault("model_name", model or "Brother HL-1234")
    fields.setdefault("manufacturer", "Lexmark" if model else "Brother")
    return make_printer(org, agent, printer_model=catalog_model(model) if model else None, **fields)


def catalog_model(name) -> PrinterModel:
    """The catalog entry, loaded again from fleet/data/printer_models.json when a transactional test (browser
    tests) has flushed the rows the migration loaded."""
    found = PrinterModel.objects.filter(name=name).first()
    if found is None:
        entry = next(m for m in json.loads(CATALOG.read_text(encoding="utf-8")) if m["name"] == name)
        found = PrinterModel.objects.create(**{k: v for k, v in entry.items()
                                               if k in {f.name for f in PrinterModel._meta.fields}})
    return found
