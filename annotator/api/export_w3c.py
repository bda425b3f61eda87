"""The W3C export written mostly by the database (PostgreSQL and SQLite, keyset batches): byte
for byte what exports.w3c_lines() writes with json.dumps, several times faster.

Each item is SQL string concatenation: JSON punctuation as literals, strings quoted by the
database (PostgreSQL's to_json and SQLite's json_quote escape exactly what json.dumps(...,
ensure_ascii=False) escapes). Python adds what SQL does slowly or inexactly: the quote's prefix
and suffix, cut from each batch's document texts (read once per document: substr in SQL
decompresses the text on every row, three quarters of the time), the suggestion's score (repr;
SQLite's text for a REAL keeps 15 digits), and the evidence and verdict bodies, which few
annotations have (claims.transfer.w3c_bodies), before the body list closes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import encode_basestring as _quote  # json.dumps(str, ensure_ascii=False)

from django.db.models import (
    Case,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)

from annotator.api.export_sql import copy_blocks
from annotator.api.export_text import Sql, cat
from annotator.api.exports import (
    QUOTE_CONTEXT_CHARS,
    W3C_CONTEXT,
    IsoUtc,
    _text_lookup,
)
from annotator.api.keyset import keyset_rows, within_id_range
from annotator.claims.transfer import claims_for, w3c_bodies
from annotator.models import Annotation

PAGE_HEAD = json.dumps({"@context": W3C_CONTEXT, "type": "AnnotationPage"})[:-1] + ', "items": ['
PAGE_TAIL = "\n]}\n"
# Where an item's body list closes: no JSON string can hold it (a string's quotes are escaped).
BODY_END = '], "target": {"source": '
CLAIMS_BATCH = 5000
PIECE = 100  # items joined into one piece of the stream


def _json_string(expression) -> Sql:
    """json.dumps(value, ensure_ascii=False) of a text (None: null)."""
    return Sql(
        {
            "postgresql": "COALESCE(to_json({0})::text, 'null')",
            "sqlite": "json_quote({0})",
        },
        expression,
    )


def _int_text(expression) -> Sql:
    return Sql({"postgresql": "({0})::text", "sqlite": "CAST({0} AS TEXT)"}, expression)


def _if_text(field: str, then, default=None) -> Case:
    """`then` where the text field is not empty (Python's truth), else `default` or ""."""
    return Case(
        When(~Q(**{field: ""}) & Q(**{f"{field}__isnull": False}), then=then),
        default=Value("") if default is None else default,
        output_field=TextField(),
    )


def w3c_item_expressions(base_url: str) -> tuple[Sql, Sql]:
    """An item's JSON text as w3c_annotation() + json.dumps write it, in two parts: up to the
    quote's '"prefix": ', and from the selector's end on, without evidence and verdict bodies;
    a suggestion's stops after '"score": '."""
    annotation_prefix = json.dumps(f"{base_url}/api/annotations/", ensure_ascii=False)[:-1]
    document_prefix = json.dumps(f"{base_url}/api/documents/", ensure_ascii=False)[:-1]
    note = _if_text(
        "note",
        cat(
            ', {"type": "TextualBody", "purpose": "commenting", "value": ',
            _json_string(F("note")),
            ', "format": "text/plain"}',
        ),
    )
    evidence_url = _if_text(
        "evidence_url",
        cat(
            ', {"id": ', _json_string(F("evidence_url")), ', "type": "Text", "purpose": "linking"}'
        ),
    )
    source = _if_text(
        "document__source_url",
        _json_string(F("document__source_url")),
        cat(Value(document_prefix), _int_text(F("document_id")), '/"'),
    )
    generator = cat(
        ', "generator": {"type": "Software", "name": ',
        _json_string(F("suggestion__suggester")),
        ', "score": ',
    )
    head = cat(
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
    )
    tail = Case(
        When(origin="suggestion", then=cat("}]}", generator)),
        default=Value("}]}}"),
        output_field=TextField(),
    )
    return head, tail


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
    """The W3C AnnotationPage from keyset batches of database-written items: per batch one
    query for the items, one (two with older revisions) for the texts, two for the claims."""
    head, tail = w3c_item_expressions(base_url)
    queryset = annotations.annotate(w3c_head=head, w3c_tail=tail, w3c_score=F("suggestion__score"))
    fields = ("id", "w3c_head", "w3c_tail", "start", "end", "document_id", "revision", "origin")
    fields += ("w3c_score",)
    n = QUOTE_CONTEXT_CHARS
    yield PAGE_HEAD
    separator = "\n"
    for batch in keyset_rows(queryset, fields, batch_size=chunk_size):
        texts = _text_lookup({(row[5], row[6]) for row in batch})
        bodies = claims_bodies([row[0] for row in batch])
        pieces = []
        append = pieces.append
        key = text = None
        for pk, head_, tail_, start, end, document, revision, origin, score in batch:
            if (document, revision) != key:  # rows of a document mostly follow each other
                key = (document, revision)
                text = texts.get(key, "")
            prefix = text[start - n if start > n else 0 : start]
            item = f'{head_}{_quote(prefix)}, "suffix": {_quote(text[end : end + n])}{tail_}'
            if origin == "suggestion":
                item += json.dumps(score) + "}}"
            if pk in bodies:
                item = _splice(item, bodies[pk])
            append(item)
            if len(pieces) == PIECE:  # not the whole batch's text at once: flatter memory
                yield separator + ",\n".join(pieces)
                separator = ",\n"
                pieces.clear()
        if pieces:
            yield separator + ",\n".join(pieces)
            separator = ",\n"
    yield PAGE_TAIL


# PostgreSQL: each segment of SEGMENT annotations is one COPY whose lines Python completes as
# they arrive, so the database writes the next items while Python cuts the quotes' context:
# before it, one query reads the segment's ids and texts' keys, then its texts and claims.
# A segment ends earlier where it would need more than SEGMENT_TEXTS texts (flat memory).
SEGMENT = 20000
SEGMENT_TEXTS = 2000
_W3C_COPY = "COPY ({}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')"


def w3c_copy_lines(annotations: QuerySet[Annotation], *, base_url: str = "") -> Iterator[str]:
    """The same AnnotationPage as w3c_text_lines(), its items written by COPY: per line the
    text's keys, the span, the score's text (suggestions) and the item's two parts."""
    annotations = within_id_range(annotations)
    head, tail = w3c_item_expressions(base_url)
    score = Case(
        When(
            origin="suggestion", then=Sql("COALESCE(({0})::text, 'null')", F("suggestion__score"))
        ),
        output_field=TextField(),
    )
    items = annotations.annotate(w3c_head=head, w3c_tail=tail, w3c_score=score).order_by("id")
    items = items.values_list(
        "document_id", "revision", "start", "end", "id", "w3c_score", "w3c_head", "w3c_tail"
    )
    n = QUOTE_CONTEXT_CHARS
    yield PAGE_HEAD
    separator = "\n"
    after = 0
    while True:
        segment = annotations.filter(id__gt=after).order_by("id")
        keys = list(segment.values_list("id", "document_id", "revision")[:SEGMENT])
        if not keys:
            break
        last = len(keys) < SEGMENT
        pairs: set[tuple[int, int]] = set()
        for index, (_, document, revision) in enumerate(keys):
            if (document, revision) not in pairs and len(pairs) == SEGMENT_TEXTS:
                keys, last = keys[:index], False
                break
            pairs.add((document, revision))
        found = _text_lookup(pairs)
        texts = {(str(d), str(r)): text for (d, r), text in found.items()}
        bodies = claims_bodies([pk for pk, _, _ in keys])
        upto = keys[-1][0]
        query = items.filter(id__gt=after, id__lte=upto)
        for block in copy_blocks(query, _W3C_COPY, 64 * 1024):
            pieces = []
            append = pieces.append
            key = text = None
            for line in block.decode().split("\n")[:-1]:
                document, revision, start, end, pk, score, head_, tail_ = line.split("\x02")
                if (document, revision) != key:
                    key = (document, revision)
                    text = texts.get(key, "")
                start, end = int(start), int(end)
                prefix = text[start - n if start > n else 0 : start]
                item = f'{head_}{_quote(prefix)}, "suffix": {_quote(text[end : end + n])}{tail_}'
                if score:
                    item += (score if score == "null" else json.dumps(float(score))) + "}}"
                if bodies and int(pk) in bodies:
                    item = _splice(item, bodies[int(pk)])
                append(item)
            yield separator + ",\n".join(pieces)
            separator = ",\n"
        if last:
            break
        after = upto
    yield PAGE_TAIL
