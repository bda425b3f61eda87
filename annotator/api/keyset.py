"""Reading an export's rows in key order: keyset batches (one bounded query each, compiled
once) and, on PostgreSQL, the filtered id range that the id-order scan starts from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connections
from django.db.models import F, Max, Min, QuerySet


def within_id_range(queryset: QuerySet) -> QuerySet:
    """A filtered export on PostgreSQL bounded by its first and last id (one query, through
    the filter's indexes: `min(id + 0)` cannot be read off the primary key): the id-order
    scan then starts at its first row instead of passing every row before it (rows at the
    end of the table waited seconds for the first byte)."""
    # SQLite reads the primary key range slower with the bounds than it passes the rows.
    if not queryset.query.where or connections[queryset.db].vendor != "postgresql":
        return queryset
    bounds = queryset.order_by().aggregate(lo=Min(F("id") + 0), hi=Max(F("id") + 0))
    return queryset.filter(id__gte=bounds["lo"] or 0, id__lte=bounds["hi"] or 0)


def keyset_rows(
    queryset: QuerySet, fields: tuple[str, ...] | list[str], *, batch_size: int = 5000
) -> Iterator[list[tuple]]:
    """Rows of `fields` (the first must be "id") in key order, one bounded query per batch.

    `WHERE id > last ORDER BY id LIMIT n` starts at once through the primary key index: no
    sort of the whole result before the first row, no cursor held open between batches.
    """
    queryset = within_id_range(queryset).order_by("id").values_list(*fields)
    rows = list(queryset[:batch_size])
    if rows:
        yield rows
    if len(rows) < batch_size:
        return
    # The later batches' statement is compiled once (compiling it took as long as SQLite
    # took to read a batch); each batch binds only its last id. That parameter's place is
    # where two compilations with different ids differ.
    compiler, sql, params = _compiled(queryset.filter(id__gt=1)[:batch_size])
    other = _compiled(queryset.filter(id__gt=2)[:batch_size])[2]
    (at,) = [index for index, (a, b) in enumerate(zip(params, other, strict=True)) if a != b]
    with connections[queryset.db].cursor() as cursor:
        while len(rows) == batch_size:
            params[at] = rows[-1][0]
            cursor.execute(sql, params)
            rows = list(compiler.results_iter(results=[cursor.fetchall()], tuple_expected=True))
            if rows:
                yield rows


def _compiled(queryset: QuerySet) -> tuple[Any, str, list]:
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    return compiler, sql, list(params)
