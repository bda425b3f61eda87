"""Export records written as JSON text by the database (PostgreSQL, SQLite): the JSONL and
JSON exports' fast path, several times faster than building dicts in Python."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator

from django.db import DatabaseError, connection
from django.db.models import F, Func, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL

from annotator.api.export_lines import json_lines_sql
from annotator.api.exports import (
    RECORD_KEYS,
    ROW_FIELDS,
    iter_export_records,
)
from annotator.api.exports import IsoUtc as _IsoUtc
from annotator.api.keyset import keyset_rows, within_id_range
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


# PostgreSQL: COPY (SELECT ...) TO STDOUT, the whole export as one streamed statement.
#
# The database writes each line (JSON with evidence and verdict, or CSV cells) and sends it as
# it reads the rows in key order through the primary key index: the first line leaves at once,
# nothing is sorted or held, and Python only joins the bytes into larger chunks.

# CSV format with a quote and a delimiter that never appear in the single column (JSON escapes
# control characters) writes each value as it is: one JSON text and "\n" per row.
_COPY_RAW = "COPY ({}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')"
_COPY_CSV = "COPY ({}) TO STDOUT WITH (FORMAT csv)"
COPY_WORK_MEM = "64MB"
CLAIMS_BATCH = 5000  # claims read ahead of each COPY (one COPY per batch)


def _iso_sql(column: str) -> str:
    """isoformat() of a UTC timestamp column in SQL (NULL stays NULL)."""
    return _IsoUtc.template % {"expressions": column}


def _json_pairs(pairs: list[tuple[str, str]]) -> str:
    return "json_build_object(" + ", ".join(f"'{key}', {value}" for key, value in pairs) + ")"


def _claims_sql() -> tuple[str, str]:
    """Correlated subqueries writing the annotation's evidence (a JSON list) and verdict (an
    object or null) exactly as claims.transfer.evidence_record() and verdict_record() do."""
    from django.contrib.auth import get_user_model

    from annotator.claims.transfer import EVIDENCE_KEYS, VERDICT_KEYS
    from annotator.models import Evidence, Rating, Verdict

    qn = connection.ops.quote_name
    user_model = get_user_model()
    users = qn(user_model._meta.db_table)
    username = qn(user_model._meta.get_field(user_model.USERNAME_FIELD).column)
    outer = f"{qn(Annotation._meta.db_table)}.{qn('id')}"
    evidence = _json_pairs(
        [(key, f"e.{qn(key)}") for key in EVIDENCE_KEYS]
        + [
            ("published_on", "e.published_on"),
            ("created_by", f"eu.{username}"),
            ("created_at", _iso_sql("e.created_at")),
            (
                "archive",
                _json_pairs(
                    [
                        ("status", "e.archive_status"),
                        ("error", "e.archive_error"),
                        ("sha256", "e.archive_sha256"),
                        ("http_status", "e.archive_http_status"),
                        ("final_url", "e.archive_final_url"),
                        ("archived_at", _iso_sql("e.archived_at")),
                        ("excerpt_found", "e.excerpt_found"),
                    ]
                ),
            ),
        ]
    )
    evidence_table = qn(Evidence._meta.db_table)
    evidence_sql = (
        f"COALESCE((SELECT json_agg({evidence} ORDER BY e.id) "
        f"FROM {evidence_table} e JOIN {users} eu ON eu.id = e.created_by_id "
        f"WHERE e.annotation_id = {outer}), '[]'::json)::text"
    )
    verdict = _json_pairs(
        [(key, f"v.{qn(key)}") for key in VERDICT_KEYS]
        + [
            ("rating", "r.name"),
            ("rating_value", "r.value"),
            ("proposed_by", f"pu.{username}"),
            ("published_by", f"bu.{username}"),
            ("published_at", _iso_sql("v.published_at")),
        ]
    )
    verdict_sql = (
        f"(SELECT {verdict} FROM {qn(Verdict._meta.db_table)} v "
        f"JOIN {qn(Rating._meta.db_table)} r ON r.id = v.rating_id "
        f"JOIN {users} pu ON pu.id = v.proposed_by_id "
        f"LEFT JOIN {users} bu ON bu.id = v.published_by_id "
        f"WHERE v.annotation_id = {outer})::text"
    )
    return evidence_sql, verdict_sql


def _claims_batch(
    annotations: QuerySet[Annotation], after: int | None, limit: int
) -> list[tuple[int, bytes, bytes]]:
    """(id, evidence JSON, verdict JSON) of the next `limit` annotations with evidence or a
    verdict after id `after`, in id order: the few lines COPY leaves without claims."""
    from annotator.models import Evidence, Verdict

    evidence_sql, verdict_sql = _claims_sql()
    # One IN over the union: a semi-join from the few claims (two ORed INs read every row).
    claimed, verdicts = (m.objects.order_by().values("annotation_id") for m in (Evidence, Verdict))
    rows = annotations.filter(pk__in=claimed.union(verdicts))
    if after is not None:
        rows = rows.filter(pk__gt=after)
    rows = (
        rows.annotate(
            claims_evidence=RawSQL(evidence_sql, (), output_field=TextField()),
            claims_verdict=RawSQL(verdict_sql, (), output_field=TextField()),
        )
        .order_by("id")
        .values_list("id", "claims_evidence", "claims_verdict")[:limit]
    )
    return [
        (pk, evidence.encode(), b"null" if verdict is None else verdict.encode())
        for pk, evidence, verdict in rows
    ]


# What json_build_object(..., 'evidence', '[]'::json, 'verdict', NULL) ends each line with.
_NO_CLAIMS = b', "evidence" : [], "verdict" : null}'
_ID_PREFIX = b'{"id" : '


def _splice_claims(blocks: Iterable[bytes], claims: list[tuple[int, bytes, bytes]]):
    """COPY's blocks of whole record lines (without claims) with the evidence and verdict
    appended: the empty ones to every line, then `claims` (in id order) into their lines.

    Raw newlines only end lines (JSON escapes them), each line starts with its id, so a line
    is found by searching for "\n" + its start."""
    index = 0
    for block in blocks:
        block = block.replace(b"}\n", _NO_CLAIMS + b"\n")
        if index == len(claims):
            yield block
            continue
        last = block.rfind(b"\n", 0, len(block) - 1) + 1 + len(_ID_PREFIX)
        last_id = int(block[last : block.index(b",", last)])
        parts = []
        pos = 0
        while index < len(claims) and claims[index][0] <= last_id:
            pk, evidence, verdict = claims[index]
            index += 1
            head = b"%s%d, " % (_ID_PREFIX, pk)
            if pos == 0 and block.startswith(head):
                at = 0
            else:
                at = block.find(b"\n" + head, pos)
                if at < 0:  # deleted since the claims were read
                    continue
                at += 1
            end = block.index(b"\n", at)
            parts += [
                block[pos : end - len(_NO_CLAIMS)],
                b', "evidence" : %s, "verdict" : %s}' % (evidence, verdict),
            ]
            pos = end
        parts.append(block[pos:])
        yield b"".join(parts)


def copy_blocks(
    query: QuerySet | tuple[str, tuple], copy_sql: str, size: int, parallel: str | None = None
) -> Iterator[bytes]:
    """Run COPY (query: a queryset, or SQL and its params) TO STDOUT and yield its bytes in
    chunks of about `size`."""
    sql, params = query.query.sql_with_params() if isinstance(query, QuerySet) else query
    statement = copy_sql.format(sql)
    with connection.cursor() as cursor:
        # JIT compiling this many expressions takes about a second before the first row, and
        # the per-row work is small: off. No parallel workers for JSON lines (cheap enough
        # that the planner would otherwise read the table in parallel and sort it before the
        # first line); CSV keeps the server's setting. Enough work_mem to keep the claims' id
        # sets hashed (a plain subplan would scan them for every row). No sort (a filter keeping
        # most rows had them all sorted before the first line). The settings are restored.
        cursor.execute(
            "SELECT current_setting('jit'), current_setting('work_mem'), "
            "current_setting('max_parallel_workers_per_gather'), current_setting('enable_sort'), "
            "set_config('jit', 'off', false), set_config('work_mem', %s, false), "
            "set_config('enable_sort', 'off', false), "
            "set_config('max_parallel_workers_per_gather', "
            "COALESCE(%s, current_setting('max_parallel_workers_per_gather')), false)",
            [COPY_WORK_MEM, parallel],
        )
        previous = cursor.fetchone()[:4]
        try:
            logged = cursor.debug_sql(statement, params) if hasattr(cursor, "debug_sql") else None
            with logged or contextlib.nullcontext(), cursor.cursor.copy(statement, params) as copy:
                buffer = bytearray()
                for data in copy:
                    buffer += data
                    if len(buffer) >= size:
                        yield bytes(buffer)
                        buffer.clear()
                if buffer:
                    yield bytes(buffer)
        finally:
            with contextlib.suppress(DatabaseError):  # an aborted transaction resets it anyway
                cursor.execute(
                    "SELECT set_config('jit', %s, false), set_config('work_mem', %s, false), "
                    "set_config('max_parallel_workers_per_gather', %s, false), "
                    "set_config('enable_sort', %s, false)",
                    previous,
                )


def copy_available() -> bool:
    return connection.vendor == "postgresql"


def copy_json_lines(annotations: QuerySet[Annotation], size: int = 64 * 1024) -> Iterator[bytes]:
    """The JSONL export (records with evidence and verdict) as bytes, written by PostgreSQL.

    COPY writes the records; the claims of the (usually few) annotations that have some are
    read first, CLAIMS_BATCH at a time, and spliced into their lines. With more than a batch,
    the export is one COPY per id range that a batch covers."""
    annotations = within_id_range(annotations)
    after = None
    while True:
        claims = _claims_batch(annotations, after, CLAIMS_BATCH)
        upto = claims[-1][0] if len(claims) == CLAIMS_BATCH else None
        segment = annotations if after is None else annotations.filter(pk__gt=after)
        if upto is not None:
            segment = segment.filter(pk__lte=upto)
        statement = json_lines_sql(segment)
        yield from _splice_claims(copy_blocks(statement, _COPY_RAW, size, parallel="0"), claims)
        if upto is None:
            return
        after = upto


def copy_json_array(annotations: QuerySet[Annotation], size: int = 64 * 1024) -> Iterator[bytes]:
    """The JSON export: the same lines as one array, one record per line."""
    yield b"["
    separator = b"\n"
    for block in copy_json_lines(annotations, size):
        lines = block.split(b"\n")
        lines.pop()  # each block ends with a whole line and its "\n"
        yield separator + b",\n".join(lines)
        separator = b",\n"
    yield b"\n]\n"


class _CsvText(Func):
    """Text a spreadsheet would run as a formula gets a leading apostrophe (csv_cell)."""

    template = (
        "CASE WHEN left(%(expressions)s, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        "THEN '''' || %(expressions)s ELSE %(expressions)s END"
    )
    output_field = TextField()


class _CsvBool(Func):
    template = "CASE WHEN %(expressions)s THEN 'True' ELSE 'False' END"
    output_field = TextField()


class _JsonText(Func):
    template = "%(expressions)s::text"
    output_field = TextField()


_CSV_TEXT_KEYS = {
    "document_title",
    "document_source_url",
    "document_sha256",
    "document_collection",
    "quote",
    "label",
    "note",
    "evidence_url",
    "created_by",
    "origin",
    "suggester",
    "anchor_state",
}


def _csv_columns() -> dict:
    """The CSV export's cells as SQL, in EXPORT_FIELDS order, written as csv_cell() does."""
    columns = {}
    for index, (key, field) in enumerate(zip(RECORD_KEYS, ROW_FIELDS, strict=True)):
        value = F(field)
        if key.endswith("_at"):
            value = _IsoUtc(value)
        elif key == "is_final":
            value = _CsvBool(value)
        elif key == "adjudicated_from":
            value = _JsonText(value)
        elif key in _CSV_TEXT_KEYS:
            value = _CsvText(value)
        columns[f"csv_{index}"] = value
    return columns


def copy_csv(annotations: QuerySet[Annotation], size: int = 64 * 1024) -> Iterator[bytes]:
    """The CSV export (no document text) as bytes, written by PostgreSQL's COPY: the same
    cells as exports.csv_lines(), rows ended by "\\n"."""
    columns = _csv_columns()
    yield (",".join(RECORD_KEYS) + "\n").encode()
    queryset = within_id_range(annotations).annotate(**columns).order_by("id").values_list(*columns)
    yield from copy_blocks(queryset, _COPY_CSV, size)
