"""Scoring suggesters against a gold file: precision, recall and F1 per label and micro,
with exact matching (same start, end, label) and overlap matching (same label, spans share
at least one character). Plain data in, plain data out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from annotator.suggestions.suggesters.base import LABELS


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


def _prf(tp_pred: int, pred: int, tp_gold: int, gold: int) -> dict:
    precision = tp_pred / pred if pred else 0.0
    recall = tp_gold / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted": pred, "gold": gold}


def evaluate(records: list[dict], predictions: Iterable[list[tuple[int, int, str]]]) -> dict:
    """Scores per matching mode ("exact", "overlap"), per label and "micro"."""
    totals = {mode: {label: [0, 0, 0, 0] for label in LABELS} for mode in ("exact", "overlap")}
    for record, predicted in zip(records, predictions, strict=True):
        for label in LABELS:
            gold = [(s["start"], s["end"]) for s in record["spans"] if s["label"] == label]
            pred = [(s, e) for s, e, lab in predicted if lab == label]
            for mode in totals:
                for i, value in enumerate(_counts(gold, pred, mode == "exact")):
                    totals[mode][label][i] += value
    result = {}
    for mode, per_label in totals.items():
        result[mode] = {label: _prf(*counts) for label, counts in per_label.items()}
        micro = [sum(counts[i] for counts in per_label.values()) for i in range(4)]
        result[mode]["micro"] = _prf(*micro)
    return result
