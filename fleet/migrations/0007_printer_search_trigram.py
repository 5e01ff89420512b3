"""PostgreSQL only: the pg_trgm extension, a trigram index on the Printers page's search document
(fleet.search) and statistics on that expression, so that searching 100,000 printers does not read every row. Other databases search without
it. If the extension cannot be created (no privilege), the index is skipped with a notice: search still
works, only slower."""
from django.db import migrations, transaction


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.db.models.sql import Query

    from fleet.search import SEARCH_INDEX, SEARCH_STATISTICS, search_document

    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as error:  # noqa: BLE001 (a managed database may refuse extensions)
        print(f"\n  pg_trgm is not available ({error}): printer search runs without its index.")
        return
    printer = apps.get_model("fleet", "Printer")
    query = Query(printer, alias_cols=False)   # the expression as the search filter compiles it, columns unqualified
    sql, params = search_document().resolve_expression(query).as_sql(query.get_compiler(
        connection=schema_editor.connection), schema_editor.connection)
    sql = sql % tuple(schema_editor.quote_value(p) for p in params)
    quote = schema_editor.quote_name
    table = quote(printer._meta.db_table)
    schema_editor.execute(f"CREATE INDEX {quote(SEARCH_INDEX)} ON {table} USING gin (({sql}) gin_trgm_ops)")
    # statistics of the expression itself: without them the planner guesses that 1% of the fleet matches any
    # search and walks the whole identifier index for a page instead of reading the trigram index
    schema_editor.execute(f"CREATE STATISTICS {quote(SEARCH_STATISTICS)} ON ({sql}) FROM {table}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from fleet.search import SEARCH_INDEX, SEARCH_STATISTICS

        schema_editor.execute(f"DROP STATISTICS IF EXISTS {schema_editor.quote_name(SEARCH_STATISTICS)}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(SEARCH_INDEX)}")


class Migration(migrations.Migration):
    dependencies = [("fleet", "0006_printers_list_indexes")]
    operations = [migrations.RunPython(create_index, drop_index)]
