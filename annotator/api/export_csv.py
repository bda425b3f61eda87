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
from annotator.api.exports import RECORD_KEYS, ROW_FIELDS, IsoUtc, csv_cell, keyset_rows
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
_SCORE, _ADJUDICATED = RECORD_KEYS.index("suggestion_score"), RECORD_KEYS.index("adjudicated_from")


def _cell(key: str, field: str):
    value = F(field)
    if key in {"id", "document_id", "start", "end", "revision"}:
        return Sql("CAST({0} AS TEXT)", value)
    if key.endswith("_at"):
        return IsoUtc(value)
    if key == "is_final":
        return Sql("CASE WHEN {0} THEN 'True' ELSE 'False' END", value)
    return Sql(_TEXT_CELL, value)


def _row_parts() -> tuple[Sql, Sql, Sql]:
    """The row's text before the score, between the score and adjudicated_from, and after."""
    cells = [_cell(key, field) for key, field in zip(RECORD_KEYS, ROW_FIELDS, strict=True)]

    def joined(part: list, lead: bool, trail: bool):
        pieces = [","] if lead else []
        for index, cell in enumerate(part):
            pieces += [","] if index else []
            pieces.append(cell)
        return cat(*pieces, *([","] if trail else []))

    return (
        joined(cells[:_SCORE], lead=False, trail=True),
        joined(cells[_SCORE + 1 : _ADJUDICATED], lead=True, trail=True),
        joined(cells[_ADJUDICATED + 1 :], lead=True, trail=False),
    )


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
    """The CSV export (no document text) in keyset batches, one query per batch."""
    head, middle, tail = _row_parts()
    queryset = annotations.annotate(
        csv_head=head,
        csv_middle=middle,
        csv_tail=tail,
        csv_score=F("suggestion__score"),
        csv_adjudicated=Sql("{0}", F("adjudicated_from")),
    )
    fields = ("id", "csv_head", "csv_score", "csv_middle", "csv_adjudicated", "csv_tail")
    yield ",".join(RECORD_KEYS) + "\r\n"
    for batch in keyset_rows(queryset, fields, batch_size=chunk_size):
        yield "".join(
            [
                f"{head_}{'' if score is None else repr(score)}{middle_}"
                f"{_adjudicated(adjudicated)}{tail_}\r\n"
                for _, head_, score, middle_, adjudicated, tail_ in batch
            ]
        )
