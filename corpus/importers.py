"""Reading document files (.txt, .jsonl, .json, .csv) into dicts of document fields.

Each reader yields (line_number, fields) and raises ImportFileError naming the line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from tqdm import tqdm

from .models import Collection
from .services import document_create
from .signals import documents_created

SUFFIXES = {".txt", ".jsonl", ".json", ".csv"}
SIDECAR_SUFFIX = ".meta.json"


class ImportFileError(Exception):
    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path, self.line = path, line
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def read_utf8(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            path,
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert the file to UTF-8 first, e.g. iconv -f latin1 -t utf-8",
            line,
        ) from None


def read_txt(path: Path, text: str, title: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    fields: dict[str, Any] = {"text": text}
    sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
    if sidecar.exists():
        try:
            meta = json.loads(read_utf8(sidecar))
        except json.JSONDecodeError as exc:
            raise ImportFileError(sidecar, f"invalid JSON: {exc.msg}", exc.lineno) from None
        if not isinstance(meta, dict):
            raise ImportFileError(sidecar, "the sidecar must hold a JSON object")
        meta.pop("text", None)
        fields.update(meta)
    if title:
        fields["title"] = title
    yield 1, fields


def read_jsonl(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                path, f"invalid JSON: {exc.msg} (column {exc.colno})", number
            ) from None
        if not isinstance(record, dict):
            raise ImportFileError(path, "each line must be a JSON object", number)
        yield number, record


def read_json(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise ImportFileError(path, f"record {number} is not a JSON object")
        yield number, record


def read_csv(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise ImportFileError(path, "the CSV header must have a 'text' column", 1)
    try:
        for record in reader:
            if None in record:
                raise ImportFileError(path, "more values than header columns", reader.line_num)
            metadata = record.get("metadata")
            if metadata:
                try:
                    record["metadata"] = json.loads(metadata)
                except json.JSONDecodeError:
                    raise ImportFileError(path, "metadata is not JSON", reader.line_num) from None
            yield reader.line_num, {k: v for k, v in record.items() if v != "" or k == "text"}
    except csv.Error as exc:
        raise ImportFileError(path, f"CSV error: {exc}", reader.line_num) from None


def records_in(path: Path, title: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    text = read_utf8(path)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return read_txt(path, text, title)
    if suffix == ".jsonl":
        return read_jsonl(path, text)
    if suffix == ".json":
        return read_json(path, text)
    if suffix == ".csv":
        return read_csv(path, text)
    raise ImportFileError(
        path, f"unsupported file type {suffix!r} (use .txt, .jsonl, .json or .csv)"
    )


def expand_paths(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not p.name.endswith(SIDECAR_SUFFIX)
            )
        elif path.exists():
            files.append(path)
        else:
            raise ImportFileError(path, "no such file or directory")
    return files


@dataclass
class ImportSummary:
    created: int = 0
    duplicates: int = 0
    revised: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)


def import_file(
    *, path: Path, collection: Collection, imported_by=None, title: str | None = None
) -> ImportSummary:
    """Import one file in one transaction: all its documents, or none of them."""
    summary = ImportSummary()
    with transaction.atomic():
        for line, record in records_in(path, title=title):
            try:
                with transaction.atomic():
                    result = document_create(
                        collection=collection, imported_by=imported_by, **record
                    )
            except ValidationError as exc:
                raise ImportFileError(path, validation_message(exc), line) from None
            except TypeError as exc:
                raise ImportFileError(path, str(exc), line) from None
            if result.created:
                summary.created += 1
                summary.document_ids.append(result.document.pk)
            elif result.revised:
                summary.revised += 1
            else:
                summary.duplicates += 1
        if summary.document_ids:
            documents_created.send(
                sender=Collection, document_ids=summary.document_ids, collection=collection
            )
    return summary


def import_paths(
    *,
    paths: list[Path],
    collection: Collection,
    imported_by=None,
    title: str | None = None,
    progress: bool = True,
) -> ImportSummary:
    total = ImportSummary()
    for path in tqdm(expand_paths(paths), unit="file", disable=not progress or None):
        try:
            summary = import_file(
                path=path, collection=collection, imported_by=imported_by, title=title
            )
        except ImportFileError as exc:
            total.failed += 1
            total.errors.append(str(exc))
            continue
        total.created += summary.created
        total.duplicates += summary.duplicates
        total.revised += summary.revised
        total.document_ids.extend(summary.document_ids)
    return total
