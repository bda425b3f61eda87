"""Request bodies: JSON with a nesting limit (`[` x 100000 is a 400, not a RecursionError), and
document records as NDJSON or CSV (the readers of corpus.readers, errors naming the line)."""

from __future__ import annotations

import io
import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from corpus.readers import RecordError, csv_records, jsonl_records

MAX_JSON_DEPTH = 64


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest (iterative: a deep value cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def json_loads_bounded(text: str | bytes) -> Any:
    """json.loads that raises ValueError for nesting past MAX_JSON_DEPTH."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            return json_loads_bounded(stream.read().decode(encoding))
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class _RecordsParser(parsers.BaseParser):
    """A body of document records read by corpus.readers: a list of objects, or a 400 naming
    the line at fault."""

    reader = None

    def parse(self, stream, media_type=None, parser_context=None) -> list[dict]:
        encoding = (parser_context or {}).get("encoding", "utf-8")
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise ParseError(f"Send the body as UTF-8, not {encoding}.")
        body = io.BytesIO(stream.read() if stream is not None else b"")
        try:
            records = [record for _, record in type(self).reader(body)]
        except RecordError as exc:
            where = f"line {exc.position}: " if exc.position else ""
            raise ParseError(f"{where}{exc.message}") from None
        for record in records:
            if json_depth(record) > MAX_JSON_DEPTH:
                raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return records


class NDJSONParser(_RecordsParser):
    """One JSON object per line (`application/x-ndjson`)."""

    media_type = "application/x-ndjson"
    reader = staticmethod(jsonl_records)


class CSVParser(_RecordsParser):
    """A header with a `text` column; `metadata` cells hold JSON (`text/csv`)."""

    media_type = "text/csv"
    reader = staticmethod(csv_records)
