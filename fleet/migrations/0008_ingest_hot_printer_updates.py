"""Telemetry ingest writes these tables with every report (docs/decisions/0008, Telemetry ingest).
- On PostgreSQL a printer's update can be HOT (the new row version stays on its page and no index is touched)
  when no indexed column changes and the page has room: last_communication loses its index, and the printer and
  supply tables keep 20% of each page free.
- The child tables' foreign keys lose their single-column indexes: each table's composite index (or unique
  constraint) starts with that column and serves the same lookups."""
import django.db.models.deletion
from django.db import migrations, models


def fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in ("fleet_printer", "fleet_supply"):
                schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {value})")
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('fleet', '0007_printer_search_trigram'),
    ]

    operations = [
        migrations.AlterField(
            model_name='printer',
            name='last_communication',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fillfactor(80), fillfactor(100)),
        migrations.AlterField(
            model_name='alert',
            name='printer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='fleet.printer'),
        ),
        migrations.AlterField(
            model_name='countersnapshot',
            name='printer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='counter_snapshots', to='fleet.printer'),
        ),
        migrations.AlterField(
            model_name='diagnosticevent',
            name='printer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='diagnostic_events', to='fleet.printer'),
        ),
        migrations.AlterField(
            model_name='supply',
            name='printer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='supplies', to='fleet.printer'),
        ),
        migrations.AlterField(
            model_name='supplylevel',
            name='supply',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='levels', to='fleet.supply'),
        ),
    ]
