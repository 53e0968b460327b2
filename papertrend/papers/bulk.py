"""Plain multi-row INSERTs for the ingest's child tables (versions, categories, sources).

``QuerySet.bulk_create`` builds a model instance and prepares every value through
its field for each row; for rows that are only a few scalars that is most of the
cost of a bulk load (measured: ~40% of ingest time). This writes the same rows
with one ``executemany`` and prepares only the values that need it (dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models, router

_PREPARED = (models.DateTimeField, models.DateField, models.JSONField)


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> int:
    """INSERT ``rows`` (tuples in ``columns`` order; field names) into ``model``'s table.

    With ``ignore_conflicts`` a row that breaks a unique constraint is skipped
    (``ON CONFLICT DO NOTHING``, SQLite 3.24+ and PostgreSQL 9.5+). No signals,
    no defaults: give every NOT NULL column. Returns the number of rows sent.
    """
    connection = connections[router.db_for_write(model)]
    fields = [model._meta.get_field(name) for name in columns]
    convert = [(i, f) for i, f in enumerate(fields) if isinstance(f, _PREPARED)]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(getattr(f, "column", f.name))) for f in fields)
    # Identifiers come from the model's own metadata, values go as parameters.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    prepared = []
    for row in rows:
        values = list(row)
        for i, field in convert:
            values[i] = field.get_db_prep_save(values[i], connection)  # type: ignore[union-attr]
        prepared.append(values)
    if prepared:
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
    return len(prepared)
