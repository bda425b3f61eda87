"""PostgreSQL's JSONL line of each annotation (export_sql.copy_json_lines runs it in COPY):
the text json_build_object(...)::text writes, by concatenation, with the related rows' keys
written once per related row."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from annotator.api.exports import RECORD_KEYS, ROW_FIELDS, IsoUtc
from annotator.models import Annotation

# The related rows' part of each line (the document's four keys, the label's, the author's)
# written once per row of theirs in a LATERAL subquery that the planner memoizes by key
# (Memoize): its text is then copied, not written again, for every annotation that shares
# it. Each entry: the ROW_FIELDS prefix, the subquery's alias and its FROM ... WHERE.
_LATERALS = {
    "document__": (
        "dj",
        "{document} x JOIN {collection} c ON c.id = x.collection_id WHERE x.id = a.document_id",
    ),
    "label__": ("lj", "{label} x WHERE x.id = a.label_id"),
    "created_by__": ("uj", "{user} x WHERE x.id = a.created_by_id"),
}
# The annotation's own columns that the lines read, from the export's (filtered) queryset.
_LINE_COLUMNS = (
    "id",
    "document_id",
    "label_id",
    "created_by_id",
    "suggestion_id",
    "start",
    "end",
    "quote",
    "note",
    "evidence_url",
    "created_at",
    "updated_at",
    "origin",
    "is_final",
    "adjudicated_from",
    "revision",
    "anchor_state",
)
_INTEGER_FIELDS = {"id", "document_id", "start", "end", "revision"}


def _json_value_sql(field: str, column: str) -> str:
    """ROW_FIELDS' `field` (read from SQL `column`) as its JSON text, as json_build_object
    writes it."""
    if field in _INTEGER_FIELDS:
        return f"({column})::text"
    if field in {"created_at", "updated_at"}:
        return (
            "'\"' || " + IsoUtc.template % {"expressions": column} + " || '\"'"
        )  # isoformat() needs no escape
    if field == "is_final":
        return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"
    if field == "adjudicated_from":
        return f"COALESCE(({column})::text, 'null')"
    json_text = f"COALESCE(to_json({column})::text, 'null')"
    if field == "suggestion__score":
        return json_text
    # Most notes and evidence URLs are empty: their JSON text without to_json.
    return f"CASE WHEN {column} = '' THEN '\"\"' ELSE {json_text} END"


def json_lines_sql(annotations: QuerySet[Annotation]) -> tuple[str, tuple]:
    """SELECT of each annotation's JSONL record (without claims) as one text, in id order:
    the same text as json_build_object(...)::text, written by concatenation (which looks up
    no types per row) and with the related rows' keys memoized (_LATERALS)."""
    from django.contrib.auth import get_user_model

    from annotator.models import Label, Suggestion
    from corpus.models import Collection, Document

    qn = connection.ops.quote_name
    tables = {
        "document": qn(Document._meta.db_table),
        "collection": qn(Collection._meta.db_table),
        "label": qn(Label._meta.db_table),
        "user": qn(get_user_model()._meta.db_table),
    }
    pieces: list[str] = []
    laterals: dict[str, list[str]] = {}  # alias: its pieces
    previous = None
    for index, (key, field) in enumerate(zip(RECORD_KEYS, ROW_FIELDS, strict=True)):
        piece = "'" + ("{" if index == 0 else ", ") + f'"{key}" : \' || '
        prefix = next((p for p in _LATERALS if field.startswith(p)), None)
        if prefix is None:
            relation, _, name = field.rpartition("__")
            column = f"s.{qn(name)}" if relation == "suggestion" else f"a.{qn(field)}"
            pieces.append(piece + _json_value_sql(field, column))
            previous = None
            continue
        alias, _ = _LATERALS[prefix]
        name = field.removeprefix(prefix)
        column = "c.slug" if name == "collection__slug" else f"x.{qn(name)}"
        if previous != prefix:
            laterals.setdefault(alias, []).append([])
            pieces.append(f"{alias}.part{len(laterals[alias]) - 1}")
        laterals[alias][-1].append(piece + _json_value_sql(field, column))
        previous = prefix
    joins = []
    for alias, source in _LATERALS.values():
        parts = ", ".join(
            f"{' || '.join(part)} AS part{number}" for number, part in enumerate(laterals[alias])
        )
        # OFFSET 0 keeps the subquery whole, so Memoize can cache its row.
        joins.append(
            f"JOIN LATERAL (SELECT {parts} FROM {source.format(**tables)} OFFSET 0) {alias} ON true"
        )
    inner, params = annotations.order_by("id").values_list(*_LINE_COLUMNS).query.sql_with_params()
    suggestions = qn(Suggestion._meta.db_table)
    sql = (
        f"SELECT ({' || '.join(pieces)} || '}}') FROM ({inner}) a {' '.join(joins)} "
        f"LEFT JOIN {suggestions} s ON s.id = a.suggestion_id ORDER BY a.id"
    )
    return sql, params
