"""Write many rows fast: COPY on PostgreSQL, a prepared executemany on SQLite, inside the caller's transaction.

The ORM's bulk_create spends most of its time compiling each value of each row through the field machinery
(about 40 µs per 20-column row, measured); a roster import of 100,000 rows cannot afford that. Callers pass
values already in Python types the database driver understands (str, int, bool, date, aware datetime, None);
the few conversions SQLite needs (dates, datetimes, booleans) are done here per column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Model

BATCH = 5000


def _sqlite_value(value: Any) -> Any:
    if value.__class__ is bool:
        return int(value)
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sqlite_rows(rows: list[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Convert only the columns that hold dates, datetimes or booleans (decided from the first row)."""
    if not rows:
        return []
    first = rows[0]
    convert = [i for i, v in enumerate(first) if v.__class__ is bool or isinstance(v, date)]
    # Columns that are None in the first row may hold dates further down.
    maybe = [i for i, v in enumerate(first) if v is None]
    datetimes: dict[int, Any] = {}
    out = []
    for row in rows:
        values = list(row)
        for i in convert:
            v = values[i]
            if v.__class__ is datetime:
                # Rows of one import share their timestamp: adapt it once.
                key = id(v)
                if key not in datetimes:
                    datetimes[key] = connection.ops.adapt_datetimefield_value(v)
                values[i] = datetimes[key]
            elif v is not None:
                values[i] = _sqlite_value(v)
        for i in maybe:
            if values[i] is not None:
                values[i] = _sqlite_value(values[i])
        out.append(tuple(values))
    return out


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]],
                progress: Any = None) -> int:
    """Insert `rows` (tuples in the order of `columns`, database column names) into the model's table."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        def flush() -> None:
            nonlocal count, batch
            if not batch:
                return
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                                   _sqlite_rows(batch))
            count += len(batch)
            batch = []
            if progress is not None:
                progress(count)

        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
        flush()
    return count


def update_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Update rows by primary key: each row is (pk, *values in the order of `columns`)."""
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    pk = connection.ops.quote_name(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    sqlite = connection.vendor == "sqlite"
    count = 0
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            values = tuple(_sqlite_value(v) for v in row[1:]) if sqlite else tuple(row[1:])
            batch.append((*values, row[0]))
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
