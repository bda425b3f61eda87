"""The W3C export written by the database (PostgreSQL through COPY, SQLite in keyset batches):
byte for byte what exports.w3c_lines() writes with json.dumps, several times faster.

Each item is SQL string concatenation: JSON punctuation as literals, strings quoted by the
database (PostgreSQL's to_json and SQLite's json_quote escape exactly what json.dumps(...,
ensure_ascii=False) escapes), the quote's prefix and suffix cut from the revision's text with
substr (code points, like Python's indices). Evidence and verdict bodies, which few annotations
have, are built in Python (claims.transfer.w3c_bodies) and spliced in before the body list
closes. Float scores are written by Python on SQLite (its text for a REAL keeps 15 digits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import (
    Case,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from annotator.api.exports import QUOTE_CONTEXT_CHARS, W3C_CONTEXT, IsoUtc, keyset_rows
from annotator.claims.transfer import claims_for, w3c_bodies
from annotator.models import Annotation, Evidence, Verdict

PAGE_HEAD = json.dumps({"@context": W3C_CONTEXT, "type": "AnnotationPage"})[:-1] + ', "items": ['
PAGE_TAIL = "\n]}\n"
# Where an item's body list closes: no JSON string can hold it (a string's quotes are escaped).
BODY_END = '], "target": {"source": '
CLAIMS_BATCH = 5000


class _Sql(Func):
    """SQL from a template per vendor whose {0}, {1}, ... are the compiled expressions (each
    may appear more than once; its parameters follow it)."""

    output_field = TextField()

    def __init__(self, templates: dict[str, str] | str, *expressions, **extra):
        self.templates = templates
        super().__init__(*expressions, **extra)

    def as_sql(self, compiler, connection, **extra):
        template = self.templates
        if isinstance(template, dict):
            template = template[connection.vendor]
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        sql, params = [], []
        for index, piece in enumerate(re.split(r"\{(\d+)\}", template)):
            if index % 2 == 0:
                sql.append(piece)
            else:
                part_sql, part_params = compiled[int(piece)]
                sql.append(part_sql)
                params += part_params
        return "".join(sql), params


def _literal(text: str) -> str:
    """A SQL string literal (the % doubled: the statement is %-formatted with its params)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _cat(*parts) -> _Sql:
    """Text concatenation of literal strings and expressions (none of which may be NULL)."""
    template, expressions = [], []
    for part in parts:
        if isinstance(part, str):
            template.append(_literal(part))
        else:
            template.append(f"{{{len(expressions)}}}")
            expressions.append(part)
    return _Sql("(" + " || ".join(template) + ")", *expressions)


def _json_string(expression) -> _Sql:
    """json.dumps(value, ensure_ascii=False) of a text (None: null)."""
    return _Sql(
        {
            "postgresql": "COALESCE(to_json({0})::text, 'null')",
            "sqlite": "json_quote({0})",
        },
        expression,
    )


def _int_text(expression) -> _Sql:
    return _Sql({"postgresql": "({0})::text", "sqlite": "CAST({0} AS TEXT)"}, expression)


def _revision_text():
    """The text the annotation's offsets refer to (exports._text_lookup): the document's for
    its current revision, the stored revision's otherwise, else ""."""
    from corpus.models import DocumentRevision

    older = DocumentRevision.objects.filter(
        document_id=OuterRef("document_id"), number=OuterRef("revision")
    ).values("text")[:1]
    return Case(
        When(revision=F("document__revision"), then=F("document__text")),
        default=Coalesce(Subquery(older, output_field=TextField()), Value("")),
        output_field=TextField(),
    )


def _context(text, start: str, end: str) -> tuple[_Sql, _Sql]:
    """text[max(0, start - N):start] and text[end:end + N] (SQL's substr counts from 1)."""
    n = QUOTE_CONTEXT_CHARS
    greatest = {"postgresql": "greatest", "sqlite": "max"}
    prefix = _Sql(
        {
            vendor: f"substr({{0}}, {fn}({{1}} - {n}, 0) + 1, {{1}} - {fn}({{1}} - {n}, 0))"
            for vendor, fn in greatest.items()
        },
        text,
        F(start),
    )
    suffix = _Sql(f"substr({{0}}, {{1}} + 1, {n})", text, F(end))
    return prefix, suffix


def _score_json() -> _Sql:
    """PostgreSQL: json.dumps(float) (repr: a whole number keeps ".0"; the shortest digits
    otherwise, as float8's text with the default extra_float_digits)."""
    return _Sql(
        "CASE WHEN {0} IS NULL THEN 'null' "
        "WHEN {0} = trunc({0}) AND abs({0}) < 1e16 THEN trunc({0})::numeric::text || '.0' "
        "ELSE ({0})::text END",
        F("suggestion__score"),
    )


def _if_text(field: str, then, default=None) -> Case:
    """`then` where the text field is not empty (Python's truth), else `default` or ""."""
    return Case(
        When(~Q(**{field: ""}) & Q(**{f"{field}__isnull": False}), then=then),
        default=Value("") if default is None else default,
        output_field=TextField(),
    )


def w3c_item_expression(base_url: str):
    """An item's JSON text as w3c_annotation() + json.dumps write it, without evidence and
    verdict bodies. On SQLite a suggestion's item stops after '"score": ' (Python ends it)."""
    annotation_prefix = json.dumps(f"{base_url}/api/annotations/", ensure_ascii=False)[:-1]
    document_prefix = json.dumps(f"{base_url}/api/documents/", ensure_ascii=False)[:-1]
    prefix, suffix = _context(_revision_text(), "start", "end")
    note = _if_text(
        "note",
        _cat(
            ', {"type": "TextualBody", "purpose": "commenting", "value": ',
            _json_string(F("note")),
            ', "format": "text/plain"}',
        ),
    )
    evidence_url = _if_text(
        "evidence_url",
        _cat(
            ', {"id": ', _json_string(F("evidence_url")), ', "type": "Text", "purpose": "linking"}'
        ),
    )
    source = _if_text(
        "document__source_url",
        _json_string(F("document__source_url")),
        _cat(Value(document_prefix), _int_text(F("document_id")), '/"'),
    )
    generator_head = _cat(
        ', "generator": {"type": "Software", "name": ',
        _json_string(F("suggestion__suggester")),
        ', "score": ',
    )
    if connection.vendor == "postgresql":
        generator = _cat(generator_head, _score_json(), "}}")
    else:
        generator = generator_head
    ending = Case(
        When(origin="suggestion", then=generator),
        default=Value("}"),
        output_field=TextField(),
    )
    return _cat(
        '{"id": ',
        Value(annotation_prefix),
        _int_text(F("id")),
        '/", "type": "Annotation", "motivation": "tagging", "created": "',
        IsoUtc(F("created_at")),
        '", "modified": "',
        IsoUtc(F("updated_at")),
        '", "creator": {"type": "Person", "nickname": ',
        _json_string(F("created_by__username")),
        '}, "body": [{"type": "TextualBody", "purpose": "tagging", "value": ',
        _json_string(F("label__slug")),
        "}",
        note,
        evidence_url,
        BODY_END,
        source,
        ', "revision": ',
        _int_text(F("revision")),
        ', "selector": [{"type": "TextPositionSelector", "start": ',
        _int_text(F("start")),
        ', "end": ',
        _int_text(F("end")),
        '}, {"type": "TextQuoteSelector", "exact": ',
        _json_string(F("quote")),
        ', "prefix": ',
        _json_string(prefix),
        ', "suffix": ',
        _json_string(suffix),
        "}]}",
        ending,
    )


def _item_start(base_url: str) -> str:
    return '{"id": ' + json.dumps(f"{base_url}/api/annotations/", ensure_ascii=False)[:-1]


def claims_bodies(ids: list[int]) -> dict[int, str]:
    """The evidence and verdict bodies of these annotations as the JSON text that goes before
    BODY_END (", {...}, {...}"), by annotation id (two queries)."""
    evidence, verdicts = claims_for(ids)
    bodies = {}
    for pk in evidence.keys() | verdicts.keys():
        record = {"evidence": evidence.get(pk, []), "verdict": verdicts.get(pk)}
        text = "".join(", " + json.dumps(b, ensure_ascii=False) for b in w3c_bodies(record))
        if text:
            bodies[pk] = text
    return bodies


def _splice(text: str, bodies: str) -> str:
    at = text.index(BODY_END)
    return text[:at] + bodies + text[at:]


def w3c_text_lines(
    annotations: QuerySet[Annotation], *, base_url: str = "", chunk_size: int = 5000
) -> Iterator[str]:
    """The W3C AnnotationPage from keyset batches of database-written items (SQLite, or
    PostgreSQL without COPY): one query per batch and two for its evidence and verdicts."""
    queryset = annotations.annotate(
        w3c_item=w3c_item_expression(base_url),
        w3c_score=F("suggestion__score"),
    )
    fields = ("id", "w3c_item", "origin", "w3c_score")
    finish = connection.vendor != "postgresql"
    yield PAGE_HEAD
    separator = "\n"
    for batch in keyset_rows(queryset, fields, batch_size=chunk_size):
        bodies = claims_bodies([row[0] for row in batch])
        pieces = []
        for pk, text, origin, score in batch:
            if finish and origin == "suggestion":
                text += json.dumps(score) + "}}"
            if pk in bodies:
                text = _splice(text, bodies[pk])
            pieces.append(text)
        yield separator + ",\n".join(pieces)
        separator = ",\n"
    yield PAGE_TAIL


# PostgreSQL: COPY, one statement per batch of claims (as export_sql.copy_json_lines).


def _claims_ids(annotations: QuerySet[Annotation], after: int | None, limit: int) -> list[int]:
    rows = annotations.filter(
        Q(pk__in=Evidence.objects.values("annotation_id"))
        | Q(pk__in=Verdict.objects.values("annotation_id"))
    )
    if after is not None:
        rows = rows.filter(pk__gt=after)
    return list(rows.order_by("id").values_list("id", flat=True)[:limit])


def _splice_blocks(
    blocks: Iterable[bytes], bodies: dict[int, bytes], start: bytes
) -> Iterator[bytes]:
    """COPY's blocks of whole item lines with the claims' bodies spliced into their lines."""
    pending = sorted(bodies)
    index = 0
    end = BODY_END.encode()
    for block in blocks:
        if index < len(pending):
            last = block.rfind(b"\n", 0, len(block) - 1) + 1 + len(start)
            last_id = int(block[last : block.index(b"/", last)])
            if pending[index] <= last_id:
                lines = block.split(b"\n")
                for number, line in enumerate(lines):
                    if not line:
                        continue
                    pk = int(line[len(start) : line.index(b"/", len(start))])
                    if pk in bodies:
                        at = line.index(end)
                        lines[number] = line[:at] + bodies[pk] + line[at:]
                block = b"\n".join(lines)
                while index < len(pending) and pending[index] <= last_id:
                    index += 1
        yield block


def copy_w3c(
    annotations: QuerySet[Annotation], *, base_url: str = "", size: int = 64 * 1024
) -> Iterator[bytes]:
    """The W3C export as bytes, its items written by PostgreSQL's COPY in id order."""
    from annotator.api.export_sql import _COPY_RAW, _copy_blocks

    items = (
        annotations.annotate(w3c_item=w3c_item_expression(base_url))
        .order_by("id")
        .values_list("w3c_item")
    )
    start = _item_start(base_url).encode()
    yield PAGE_HEAD.encode()
    separator = b"\n"
    after = None
    while True:
        ids = _claims_ids(annotations, after, CLAIMS_BATCH)
        bodies = {pk: text.encode() for pk, text in claims_bodies(ids).items()} if ids else {}
        upto = ids[-1] if len(ids) == CLAIMS_BATCH else None
        segment = items if after is None else items.filter(pk__gt=after)
        if upto is not None:
            segment = segment.filter(pk__lte=upto)
        blocks = _copy_blocks(segment, _COPY_RAW, size, parallel="0")
        for block in _splice_blocks(blocks, bodies, start):
            lines = block.split(b"\n")
            lines.pop()  # each block ends with a whole line and its "\n"
            yield separator + b",\n".join(lines)
            separator = b",\n"
        if upto is None:
            break
        after = upto
    yield PAGE_TAIL.encode()
