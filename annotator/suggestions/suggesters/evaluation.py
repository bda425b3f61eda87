"""Scoring suggesters against a gold file: precision, recall and F1 per label and micro,
with exact matching (same start, end, label), overlap matching (same label, spans share
at least one character) and the SemEval-2020 Task 11 span-identification measure ("span":
partial credit by the share of characters in common; overlapping spans of a side are merged
first). A document's `labels_annotated`, when given, limits the labels scored there.
Plain data in, plain data out."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterable
from pathlib import Path

from annotator.suggestions.suggesters.base import LABELS


def split_of(record_id: str, test_share: int = 5) -> str:
    """A stable split by document: one document in `test_share` is "test", the rest "dev"."""
    return "test" if zlib.crc32(str(record_id).encode()) % test_share == 0 else "dev"


def gold_split(lines: list[str], *, seed: int, test_share: float) -> dict[str, list[str]]:
    """JSONL lines shuffled by document with a fixed seed: {"dev": [...], "test": [...]}.

    The same lines, seed and share always give the same parts, whatever the order of the file.
    """
    keyed = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            raise ValueError(f"line {number} is not JSON.") from None
        keyed.append((str(record.get("id") or record.get("text", "")), line))
    keyed.sort()
    random.Random(seed).shuffle(keyed)
    cut = round(len(keyed) * test_share)
    return {"dev": [line for _, line in keyed[cut:]], "test": [line for _, line in keyed[:cut]]}


def gold_read(path: Path) -> list[dict]:
    """One JSON object per line: {"id", "text", "spans": [{"start", "end", "label"}]}."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc}).") from None
        if not isinstance(record.get("text"), str) or not isinstance(record.get("spans"), list):
            raise ValueError(f'{path}:{number}: needs "text" (string) and "spans" (list).')
        for index, span in enumerate(record["spans"]):
            start, end = span.get("start"), span.get("end")
            if not (
                isinstance(start, int)
                and isinstance(end, int)
                and 0 <= start < end <= len(record["text"])
            ):
                raise ValueError(f"{path}:{number}: span {index} has bad offsets {start}-{end}.")
            if span.get("label") not in LABELS:
                raise ValueError(
                    f"{path}:{number}: span {index} has unknown label {span.get('label')!r}."
                )
        records.append(record)
    return records


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _counts(
    gold: list[tuple[int, int]], pred: list[tuple[int, int]], exact: bool
) -> tuple[int, int, int, int]:
    """(predicted that match, predicted, gold that are matched, gold)."""
    if exact:
        gold_set, pred_set = set(gold), set(pred)
        hits = len(gold_set & pred_set)
        return hits, len(pred_set), hits, len(gold_set)
    tp_pred = sum(any(_overlaps(p, g) for g in gold) for p in pred)
    tp_gold = sum(any(_overlaps(g, p) for p in pred) for g in gold)
    return tp_pred, len(pred), tp_gold, len(gold)


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def span_counts(
    gold: list[tuple[int, int]], pred: list[tuple[int, int]]
) -> tuple[float, int, float, int]:
    """SemEval-2020 SI: sums over pairs of |s∩t|/|s| (precision) and |s∩t|/|t| (recall).

    Both sides merged, so sorted and apart: each predicted span is compared with the gold
    spans from the first that ends after its start (the pairs in the same order as all pairs
    would be, so the sums are the same)."""
    gold, pred = merge(gold), merge(pred)
    credit_pred = credit_gold = 0.0
    first = 0
    for ps, pe in pred:
        while first < len(gold) and gold[first][1] <= ps:
            first += 1
        k = first
        while k < len(gold) and gold[k][0] < pe:
            gs, ge = gold[k]
            common = min(pe, ge) - max(ps, gs)
            credit_pred += common / (pe - ps)
            credit_gold += common / (ge - gs)
            k += 1
    return credit_pred, len(pred), credit_gold, len(gold)


MODES = ("exact", "overlap", "span")


def _prf(tp_pred: int, pred: int, tp_gold: int, gold: int) -> dict:
    precision = tp_pred / pred if pred else 0.0
    recall = tp_gold / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted": pred, "gold": gold}


def evaluate(
    records: list[dict],
    predictions: Iterable[list[tuple[int, int, str]]],
    labels: Iterable[str] | None = None,
) -> dict:
    """Scores per matching mode (MODES), per label and "micro". Labels: the given ones, else
    the project's three and any other that the gold or the predictions carry."""
    predictions = list(predictions)
    if labels is None:
        found = {s["label"] for r in records for s in r["spans"]}
        found |= {label for spans in predictions for _, _, label in spans}
        labels = [*LABELS, *sorted(found - set(LABELS))]
    labels = list(labels)
    totals = {mode: {label: [0, 0, 0, 0] for label in labels} for mode in MODES}
    for record, predicted in zip(records, predictions, strict=True):
        annotated = record.get("labels_annotated") or labels
        for label in labels:
            if label not in annotated:
                continue
            gold = [(s["start"], s["end"]) for s in record["spans"] if s["label"] == label]
            pred = [(s, e) for s, e, lab in predicted if lab == label]
            for mode in totals:
                if mode == "span":
                    counts = span_counts(gold, pred)
                else:
                    counts = _counts(gold, pred, mode == "exact")
                for i, value in enumerate(counts):
                    totals[mode][label][i] += value
    result = {}
    for mode, per_label in totals.items():
        result[mode] = {label: _prf(*counts) for label, counts in per_label.items()}
        micro = [sum(counts[i] for counts in per_label.values()) for i in range(4)]
        result[mode]["micro"] = _prf(*micro)
    return result
