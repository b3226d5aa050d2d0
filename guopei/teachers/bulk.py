"""Write many rows fast: COPY on PostgreSQL, a prepared executemany on SQLite, inside the caller's transaction.

The ORM's bulk_create spends most of its time compiling each value of each row through the field machinery
(about 40 µs per 20-column row, measured); a roster import of 100,000 rows cannot afford that. Callers pass
values already in Python types the database driver understands (str, int, bool, date, aware datetime, None);
the few conversions SQLite needs (dates, datetimes, booleans) are done here per column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import BooleanField, Model
from django.db.models.expressions import RawSQL

BATCH = 5000


def _sqlite_value(value: Any) -> Any:
    if value.__class__ is bool:
        return int(value)
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def db_datetime(value: datetime) -> Any:
    """`value` as the database driver should receive it in rows for `insert_rows` (adapted once, not per row)."""
    return connection.ops.adapt_datetimefield_value(value) if connection.vendor == "sqlite" else value


def _sqlite_rows(rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """Adapt the datetimes (Django stores them as naive UTC text); rows without any are passed on untouched.

    Dates and booleans need nothing: Django registers the date adapter with sqlite3, and a bool binds as 0/1.
    Columns that are None in the first row may hold datetimes further down.
    """
    if not rows:
        return []
    first = rows[0]
    columns = [i for i, v in enumerate(first) if v is None or isinstance(v, datetime)]
    if not columns:
        return rows
    adapted: dict[int, Any] = {}
    out: list[Sequence[Any]] = []
    for row in rows:
        found = [i for i in columns if isinstance(row[i], datetime)]
        if not found:
            out.append(row)
            continue
        values = list(row)
        for i in found:
            v = values[i]
            # Rows of one import share their timestamp: adapt it once.
            key = id(v)
            if key not in adapted:
                adapted[key] = (v, connection.ops.adapt_datetimefield_value(v))
            values[i] = adapted[key][1]
        out.append(values)
    return out


def matching(model: type[Model], column: str, keys: Sequence[str]) -> RawSQL:
    """A `filter()` condition: the model's `column` is one of `keys`, passed as one parameter.

    5,000 keys as 5,000 parameters cost the ORM about 0.1 s to prepare; as one JSON text (SQLite, read by
    `json_each`) or one array (PostgreSQL, `= ANY`) nothing, and both are answered from the column's index.
    """
    # Only quoted names of the model's own table and column are formatted in; the keys are a parameter.
    name = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(column)}"
    if connection.vendor == "postgresql":
        return RawSQL(f"{name} = ANY(%s)", (list(keys),), output_field=BooleanField())  # noqa: S611
    return RawSQL(f"{name} IN (SELECT value FROM json_each(%s))",  # noqa: S608, S611
                  (json.dumps(list(keys)),), output_field=BooleanField())


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


# The page cache of the connection during a big import on SQLite, in KiB. A roster import inserts into every
# index of the teacher table at random places (the keyed hashes are random by design); with SQLite's default
# 2 MB cache each insert reads index pages back from the file. 256 MB holds the indexes a 1,000,000-teacher
# table's inserts touch (measured: 100,000 inserts 4.6 s → 2.3 s); it is memory of the importing process only,
# for the length of the import.
SQLITE_IMPORT_CACHE_KIB = 256 * 1024


@contextmanager
def import_session() -> Iterator[None]:
    """Set up the connection for one big import inside the caller's transaction, and restore it afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {previous}")
        except DatabaseError:  # the connection is gone with the transaction: nothing to restore
            pass
