"""Loads the supported-models catalog (fleet/data/printer_models.json) and the seven system views."""
import json
from pathlib import Path

from django.db import migrations

CATALOG = Path(__file__).resolve().parent.parent / "data" / "printer_models.json"


def load_catalog(apps, schema_editor):
    PrinterModel = apps.get_model("fleet", "PrinterModel")
    if not CATALOG.exists():
        return
    fields = {f.name for f in PrinterModel._meta.get_fields()}
    rows = json.loads(CATALOG.read_text(encoding="utf-8"))
    PrinterModel.objects.bulk_create(
        [PrinterModel(**{k: v for k, v in row.items() if k in fields}) for row in rows], ignore_conflicts=True)


def load_views(apps, schema_editor):
    from fleet.columns import SYSTEM_VIEWS

    PrinterView = apps.get_model("fleet", "PrinterView")
    for key, (name, columns) in SYSTEM_VIEWS.items():
        PrinterView.objects.update_or_create(organization=None, system_key=key,
                                             defaults={"name": name, "columns": columns, "identifier": "ip_address"})


class Migration(migrations.Migration):
    dependencies = [("fleet", "0001_initial")]
    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop),
                  migrations.RunPython(load_views, migrations.RunPython.noop)]
