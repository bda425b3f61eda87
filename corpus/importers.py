"""Importing document files (.txt, .jsonl, .json, .csv): read as a stream (corpus.readers),
checked and written in batches through the one write path (corpus.batches).

Errors are ImportFileError naming the file and the line (or record of a .json list).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import reset_queries, transaction

from .batches import BatchInvalid, batch_write, records_check
from .models import Collection
from .readers import POSITION, READERS, RecordError

SUFFIXES = {".txt", ".jsonl", ".json", ".csv"}
SIDECAR_SUFFIX = ".meta.json"
BATCH_SIZE = 1000


class ImportFileError(Exception):
    def __init__(
        self, path: Path, message: str, line: int | None = None, unit: str = "line"
    ) -> None:
        self.path, self.line, self.unit = path, line, unit
        self.message = message
        where = str(path)
        if line and unit == "line":
            where = f"{path}:{line}"
        elif line:
            where = f"{path}: {unit} {line}"
        super().__init__(f"{where}: {message}")

    @property
    def where(self) -> str:
        """'line 3: ' (or 'record 3: '), or nothing when the whole file is at fault."""
        return f"{self.unit} {self.line}: " if self.line else ""


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


def read_txt(path: Path, title: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    fields: dict[str, Any] = {"text": read_utf8(path)}
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


def _records(path: Path, stream: IO[bytes], title: str | None):
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return read_txt(path, title)
    if suffix in READERS:
        return READERS[suffix](stream)
    raise ImportFileError(
        path, f"unsupported file type {suffix!r} (use .txt, .jsonl, .json or .csv)"
    )


def records_in(path: Path, title: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every record of a file, read as a stream."""
    with path.open("rb") as stream:
        try:
            yield from _records(path, stream, title)
        except RecordError as exc:
            raise ImportFileError(path, exc.message, exc.position, _unit(path)) from None


def _unit(path: Path) -> str:
    return POSITION.get(path.suffix.lower(), "line")


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

    def add(self, other: ImportSummary) -> None:
        self.created += other.created
        self.duplicates += other.duplicates
        self.revised += other.revised
        self.document_ids.extend(other.document_ids)


def _chunks(records: Iterable, size: int) -> Iterator[list]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_file(
    *,
    path: Path,
    collection: Collection,
    imported_by=None,
    title: str | None = None,
    batch_size: int = BATCH_SIZE,
    atomic: bool = True,
    progress: Callable[[int, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import one file in batches of `batch_size` records, each checked before it is written.

    atomic: the whole file in one transaction, all its documents or none (the leads' upload);
    otherwise each batch commits on its own and an error stops at its batch, so running the
    import again skips what was written (import_documents). `progress(bytes_read, summary)` is
    called after each batch.
    """
    summary = ImportSummary()
    unit = _unit(path)
    with path.open("rb") as stream, transaction.atomic() if atomic else nullcontext():
        try:
            for chunk in _chunks(_records(path, stream, title), batch_size):
                try:
                    records = records_check(chunk, collection=collection.slug)
                except BatchInvalid as exc:
                    line, fields = next(iter(exc.errors.items()))
                    message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
                    raise ImportFileError(path, message, line, unit) from None
                try:
                    result = batch_write(records=records, imported_by=imported_by)
                except ValidationError as exc:  # a revision refused: its text is another's
                    raise ImportFileError(path, validation_message(exc)) from None
                summary.created += len(result.created)
                summary.duplicates += len(result.duplicates)
                summary.revised += len(result.revised)
                summary.document_ids.extend(d.pk for d in result.created)
                # With DEBUG on, every statement (5 MB of text per batch) would stay logged.
                reset_queries()
                if progress is not None:
                    progress(stream.tell(), summary)
        except RecordError as exc:
            raise ImportFileError(path, exc.message, exc.position, unit) from None
        except ImportFileError as exc:
            exc.summary = None if atomic else summary  # what the committed batches wrote
            raise
    return summary


def import_paths(
    *,
    paths: list[Path],
    collection: Collection,
    imported_by=None,
    title: str | None = None,
    progress: bool = True,
    batch_size: int = BATCH_SIZE,
    atomic: bool = True,
) -> ImportSummary:
    """Import files and directories; a file that fails is counted and named in `errors`
    (with atomic=False, the batches written before its error stay)."""
    from tqdm import tqdm  # the command line's progress bar: not loaded by idle processes

    total = ImportSummary()
    files = expand_paths(paths)
    size = sum(p.stat().st_size for p in files)
    bar = tqdm(total=size, unit="B", unit_scale=True, disable=not progress or None)
    with bar:
        for path in files:
            done = bar.n

            def advance(position: int, summary: ImportSummary, done: int = done) -> None:
                bar.update(done + position - bar.n)
                bar.set_postfix(
                    created=total.created + summary.created,
                    duplicates=total.duplicates + summary.duplicates,
                    refresh=False,
                )

            try:
                summary = import_file(
                    path=path,
                    collection=collection,
                    imported_by=imported_by,
                    title=title,
                    batch_size=batch_size,
                    atomic=atomic,
                    progress=advance,
                )
            except ImportFileError as exc:
                total.failed += 1
                total.errors.append(str(exc))
                if getattr(exc, "summary", None) is not None:
                    total.add(exc.summary)
                continue
            finally:
                bar.update(done + path.stat().st_size - bar.n)
            total.add(summary)
    return total
