"""Streaming readers of document files: records come one at a time from an open binary file,
so a file of 100,000 documents is never held in memory.

Each reader yields (position, fields): the line for JSONL and CSV, the record's number for a
.json list (a JSON parser gives no lines). A bad line raises RecordError naming it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

import ijson

Records = Iterator[tuple[int, dict[str, Any]]]


class RecordError(ValueError):
    """A record that cannot be read; `position` is its line (or record number for .json)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message, self.position = message, position
        super().__init__(message)


def _decoded(lines: IO[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line, decoded as UTF-8 (a byte-order mark is dropped)."""
    for number, raw in enumerate(lines, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(
                f"not UTF-8 (byte 0x{raw[exc.start]:02x}); convert the file to UTF-8 first, "
                "e.g. iconv -f latin1 -t utf-8",
                number,
            ) from None


def jsonl_records(stream: IO[bytes]) -> Records:
    for number, line in _decoded(stream):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordError(f"invalid JSON: {exc.msg} (column {exc.colno})", number) from None
        except RecursionError:
            raise RecordError("invalid JSON: nested too deeply", number) from None
        if not isinstance(record, dict):
            raise RecordError("each line must be a JSON object", number)
        yield number, record


class _LineCounter:
    """Feeds the csv module decoded lines and remembers where the current record started."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines, self.number = _decoded(stream), 0

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        self.number, text = next(self.lines)
        return text


def csv_records(stream: IO[bytes]) -> Records:
    lines = _LineCounter(stream)
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames
        if not header or "text" not in header:
            raise RecordError("the CSV header must have a 'text' column", 1)
        start = lines.number + 1
        for record in reader:
            if None in record:
                raise RecordError("more values than header columns", start)
            metadata = record.get("metadata")
            if metadata:
                try:
                    record["metadata"] = json.loads(metadata)
                except json.JSONDecodeError:
                    raise RecordError("metadata is not JSON", start) from None
            yield start, {k: v for k, v in record.items() if v != "" or k == "text"}
            start = lines.number + 1
    except csv.Error as exc:
        raise RecordError(f"CSV error: {exc}", lines.number) from None


def json_records(stream: IO[bytes]) -> Records:
    """A list of objects (read item by item), or one object."""
    head = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    stream.seek(0)
    if head.startswith(b"{"):
        try:
            record = json.loads(stream.read().decode("utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RecordError(f"invalid JSON: {exc}") from None
        yield 1, record
        return
    if not head.startswith(b"["):
        raise RecordError("a .json file holds a list of objects or one object")
    number = 0
    try:
        for number, record in enumerate(ijson.items(stream, "item", use_float=True), start=1):
            if not isinstance(record, dict):
                raise RecordError("this record is not a JSON object", number)
            yield number, record
    except ijson.JSONError as exc:
        raise RecordError(f"invalid JSON after record {number}: {exc}", number + 1) from None


READERS: dict[str, Callable[[IO[bytes]], Records]] = {
    ".jsonl": jsonl_records,
    ".csv": csv_records,
    ".json": json_records,
}
# How a reader's positions are named in messages.
POSITION = {".jsonl": "line", ".csv": "line", ".json": "record", ".txt": "line"}
