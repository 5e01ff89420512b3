"""Set-based writes for the telemetry paths: many rows in one statement, without building model instances.

Django's `bulk_update` builds a `CASE WHEN pk=... THEN ...` per field, which grows with the batch on both
sides (Python compiles every branch; the database scans them for each row), and `bulk_create` prepares each
value through the SQL compiler. Ingest writes tens of thousands of values per batch, so:
- `update_values` sends `WITH v(...) AS (VALUES (...), ...) UPDATE t SET ... FROM v WHERE t.pk = v.pk`;
- `insert_values` sends `INSERT ... VALUES (...), ... [ON CONFLICT DO NOTHING] [RETURNING pk]`;
both run on PostgreSQL and SQLite (3.35+), one statement per chunk of rows, values converted by the fields'
own database preparation only where a plain Python value would not do (JSON, dates on SQLite).
"""
from datetime import UTC

from django.db import connection, models

MAX_PARAMS = 10000   # per statement: PostgreSQL parses long VALUES lists slower per row; SQLite allows 32766
PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.FloatField,
         models.ForeignKey)


def _sqlite_datetime(value):
    """What Django's SQLite backend stores for an aware datetime (UTC, naive text), without its per-value
    settings lookups."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ")


def _converter(field):
    """How a Python value of this field becomes a query parameter."""
    if isinstance(field, models.DateTimeField):
        return None if connection.vendor == "postgresql" else _sqlite_datetime
    if isinstance(field, PLAIN) and not isinstance(field, models.GenericIPAddressField):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _params(columns, rows):
    converters = [_converter(c) for c in columns]
    if not any(converters):
        return [value for row in rows for value in row]
    params = []
    for row in rows:
        params.extend(value if convert is None else convert(value) for convert, value in zip(converters, row,
                                                                                             strict=True))
    return params


def _cast(field) -> str:
    """PostgreSQL: a cast that types a VALUES cell like its column (psycopg sends untyped literals)."""
    if connection.vendor != "postgresql":
        return "%s"
    kind = field.db_type(connection) or "text"
    return f"%s::{kind.split(' CHECK', 1)[0]}"


def update_values(model, fields, rows) -> int:
    """UPDATE `fields` of many rows: `rows` are tuples (pk, *values in the order of `fields`)."""
    rows = list(rows)
    if not rows or not fields:
        return 0
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    names = [quote(c.column) for c in columns]
    cells = "(" + ", ".join(_cast(c) for c in columns) + ")"
    assignments = ", ".join(f"{n} = v.{n}" for n in names[1:])
    table = quote(meta.db_table)
    per_chunk = max(1, MAX_PARAMS // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start:start + per_chunk]
            cursor.execute(f"WITH v ({', '.join(names)}) AS (VALUES {', '.join([cells] * len(chunk))}) "
                           f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{names[0]} = v.{names[0]}",
                           _params(columns, chunk))
    return len(rows)


def update_rows(model, objs, fields) -> int:
    """`update_values` for model instances: write `fields` of `objs` back to their rows."""
    attnames = [model._meta.get_field(name).attname for name in fields]
    return update_values(model, fields, [(o.pk, *(getattr(o, a) for a in attnames)) for o in objs if o.pk is not None])


def insert_values(model, fields, rows, *, returning: bool = False, ignore_conflicts: bool = False) -> list:
    """INSERT many rows: `rows` are tuples in the order of `fields` (all NOT NULL columns without a database
    default must be there). Returns the new primary keys, in order, when asked."""
    rows = list(rows)
    if not rows:
        return []
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    cells = "(" + ", ".join(["%s"] * len(columns)) + ")"
    suffix = (" ON CONFLICT DO NOTHING" if ignore_conflicts else "") + (
        f" RETURNING {quote(meta.pk.column)}" if returning else "")
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c.column) for c in columns)}) VALUES "
    per_chunk = max(1, MAX_PARAMS // len(columns))
    keys = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start:start + per_chunk]
            cursor.execute(head + ", ".join([cells] * len(chunk)) + suffix, _params(columns, chunk))
            if returning:
                keys.extend(row[0] for row in cursor.fetchall())
    return keys
