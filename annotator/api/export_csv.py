"""The CSV export written by SQLite (PostgreSQL writes it through COPY, export_sql.copy_csv):
byte for byte what exports.csv_lines() writes with csv.writer, about twice as fast.

Each row is SQL string concatenation of the cells as csv_cell() and csv.writer (minimal
quoting, "\\r\\n") write them; Python adds the two cells SQL would write differently: the
suggestion's score (repr of a float: SQLite's text keeps 15 digits) and adjudicated_from
(json.dumps of the stored list).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from django.db.models import F, QuerySet

from annotator.api.export_text import Sql, cat
from annotator.api.exports import RECORD_KEYS, ROW_FIELDS, IsoUtc, csv_cell
from annotator.api.keyset import keyset_rows
from annotator.models import Annotation

# csv_cell()'s apostrophe before a formula, then csv.writer's quotes where the text holds a
# comma, a quote or a line break (checked on the stored text: the apostrophe adds none).
_FORMULA = (
    "CASE WHEN substr({0}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13)) "
    "THEN '''' || {0} ELSE {0} END"
)
_TEXT_CELL = (
    "COALESCE(CASE WHEN instr({0}, ',') OR instr({0}, '\"') OR instr({0}, char(10)) "
    "OR instr({0}, char(13)) THEN '\"' || replace(FORMULA, '\"', '\"\"') || '\"' "
    "ELSE FORMULA END, '')"
).replace("FORMULA", _FORMULA)


def _cell(key: str, field: str):
    value = F(field)
    if key in {"id", "document_id", "start", "end", "revision"}:
        return Sql("CAST({0} AS TEXT)", value)
    if key.endswith("_at"):
        return IsoUtc(value)
    if key == "is_final":
        return Sql("CASE WHEN {0} THEN 'True' ELSE 'False' END", value)
    return Sql(_TEXT_CELL, value)


# Cells written per row of the related table, not per annotation: the document's four, the
# label's and the author's, read for each batch's documents (and once per label and author)
# and joined in Python, a quarter of SQLite's time per row.
_RELATED = {"document__": "document", "label__": "label", "created_by__": "created_by"}
# The row as its writers take turns: SQL text, then a related row's or a Python cell, ...
_LAYOUT = ("sql", "document", "sql", "label", "sql", "created_by", "sql")
_LAYOUT += ("score", "sql", "adjudicated", "sql")


def _layout() -> list[tuple[str, list[tuple[str, str]]]]:
    """RECORD_KEYS grouped by who writes them, in order: [(kind, [(key, field), ...]), ...]."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for key, field in zip(RECORD_KEYS, ROW_FIELDS, strict=True):
        prefix = next((p for p in _RELATED if field.startswith(p)), None)
        kind = _RELATED[prefix] if prefix else "sql"
        if key == "suggestion_score":
            kind = "score"
        elif key == "adjudicated_from":
            kind = "adjudicated"
        if groups and groups[-1][0] == kind:
            groups[-1][1].append((key, field.removeprefix(prefix or "")))
        else:
            groups.append((kind, [(key, field.removeprefix(prefix or ""))]))
    assert tuple(kind for kind, _ in groups) == _LAYOUT, groups
    return groups


def _cells(pairs: list[tuple[str, str]], lead: bool = False, trail: bool = False) -> Sql:
    pieces: list = [","] if lead else []
    for index, (key, field) in enumerate(pairs):
        pieces += [","] if index else []
        pieces.append(_cell(key, field))
    return cat(*pieces, *([","] if trail else []))


def _related_cells(model, ids, pairs) -> dict[int, str]:
    written = model.objects.filter(id__in=ids).annotate(csv_cells=_cells(pairs))
    return dict(written.values_list("id", "csv_cells"))


def _one_cell(value) -> str:
    """A cell as csv.writer writes it (quoted where needed)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(value), ""])
    return buffer.getvalue()[:-3]  # the empty second cell's "," and "\r\n"


def _adjudicated(raw: str | None) -> str:
    if raw == "[]":
        return raw
    return _one_cell(None if raw is None else json.loads(raw))


def sqlite_csv_lines(annotations: QuerySet[Annotation], chunk_size: int = 5000) -> Iterator[str]:
    """The CSV export (no document text) in keyset batches: one query per batch for the rows,
    one for their documents' cells (one more for each new label or author)."""
    from django.contrib.auth import get_user_model

    from annotator.models import Label
    from corpus.models import Document

    groups = _layout()
    parts = {}
    fields = ["id"]
    for index, (kind, pairs) in enumerate(groups):
        if kind == "sql":
            name = f"csv_part{index}"
            parts[name] = _cells(pairs, lead=index > 0, trail=index < len(groups) - 1)
            fields.append(name)
        else:
            fields.append(f"csv_{kind}")
    queryset = annotations.annotate(
        **parts,
        csv_document=F("document_id"),
        csv_label=F("label_id"),
        csv_created_by=F("created_by_id"),
        csv_score=F("suggestion__score"),
        csv_adjudicated=Sql("{0}", F("adjudicated_from")),
    )
    related = dict(groups[1::2])
    labels: dict[int, str] = {}
    users: dict[int, str] = {}
    yield ",".join(RECORD_KEYS) + "\r\n"
    for batch in keyset_rows(queryset, fields, batch_size=chunk_size):
        documents = _related_cells(Document, {row[2] for row in batch}, related["document"])
        for known, model, column, kind in (
            (labels, Label, 4, "label"),
            (users, get_user_model(), 6, "created_by"),
        ):
            missing = {row[column] for row in batch} - known.keys()
            if missing:
                known.update(_related_cells(model, missing, related[kind]))
        yield "".join(
            [
                f"{p0}{documents[document]}{p1}{labels[label]}{p2}{users[user]}{p3}"
                f"{'' if score is None else repr(score)}{p4}{_adjudicated(adjudicated)}{p5}\r\n"
                for _, p0, document, p1, label, p2, user, p3, score, p4, adjudicated, p5 in batch
            ]
        )
