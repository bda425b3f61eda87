"""Export records written as JSON text by the database (PostgreSQL, SQLite): the JSONL and
JSON exports' fast path, several times faster than building dicts in Python."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import F, Func, QuerySet, TextField, Value

from annotator.api.exports import RECORD_KEYS, ROW_FIELDS, iter_export_records, keyset_rows
from annotator.models import Annotation


class _JsonBuildObject(Func):
    """The database's JSON object of (key, value, ...) as text, keys in the given order."""

    function = "json_build_object"
    template = "%(function)s(%(expressions)s)::text"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, function="json_object", template="%(function)s(%(expressions)s)"
        )


class _IsoUtc(Func):
    """A timestamp as Python's isoformat() writes it (microseconds only when not zero)."""

    template = (
        "to_char(%(expressions)s AT TIME ZONE 'UTC', CASE WHEN "
        "mod(date_part('microseconds', %(expressions)s)::bigint, 1000000) = 0 "
        'THEN \'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\' '
        'ELSE \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\' END)'
    )
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]", isoformat()'s digits.
        template = "replace(%(expressions)s, ' ', 'T') || '+00:00'"
        return super().as_sql(compiler, connection, template=template)


class _JsonValue(Func):
    """A boolean or JSON column as JSON: PostgreSQL knows their types, SQLite sees 1/0
    and text."""

    template = "%(expressions)s"
    sqlite_template = "json(%(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template=self.sqlite_template)


class _JsonBool(_JsonValue):
    sqlite_template = "json(CASE WHEN %(expressions)s THEN 'true' ELSE 'false' END)"


def _record_sql_expression() -> _JsonBuildObject:
    pairs: list = []
    for key, field in zip(RECORD_KEYS, ROW_FIELDS, strict=True):
        value = F(field)
        if key.endswith("_at"):
            value = _IsoUtc(value)
        elif key == "is_final":
            value = _JsonBool(value)
        elif key == "adjudicated_from":
            value = _JsonValue(value)
        pairs += [Value(key), value]
    return _JsonBuildObject(*pairs)


def iter_json_texts(annotations: QuerySet[Annotation], chunk_size: int = 5000) -> Iterator[str]:
    """Each export record as JSON text (no document text).

    On PostgreSQL and SQLite the database writes the JSON (several times faster than building
    dicts in Python); elsewhere json.dumps of iter_export_records(). Both parse to the same
    records.
    """
    if connection.vendor not in {"postgresql", "sqlite"}:
        for record in iter_export_records(annotations, chunk_size=chunk_size):
            yield json.dumps(record, ensure_ascii=False)
        return
    annotated = annotations.annotate(export_json=_record_sql_expression())
    for batch in keyset_rows(annotated, ("id", "export_json"), batch_size=chunk_size):
        for _, text in batch:
            yield text


def jsonl_text_lines(texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        yield text + "\n"


def json_array_text_lines(texts: Iterable[str]) -> Iterator[str]:
    yield "["
    first = True
    for text in texts:
        yield ("\n" if first else ",\n") + text
        first = False
    yield "\n]\n"
