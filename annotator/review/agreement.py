"""Inter-annotator agreement: pure functions over spans, no ORM.

A span is ``(start, end, label)`` in code points, end exclusive. A "coder" is a reviewer's
name. Figures:

- span F1, exact (same start, end and label) and overlap (same label, ranges intersect;
  spans matched one-to-one, largest overlap first). With one-to-one matching F1 between two
  coders is ``2 * matched / (spans_a + spans_b)`` and symmetric. ``None`` when neither
  coder has a span (nothing to compare).
- Krippendorff's alpha, nominal, character-level: every character a coder read is a unit
  whose value is the label covering it (or "no label"). Runs of characters on which every
  coder's value is the same are counted once with their length as weight, so a long
  document costs as much as its number of span boundaries, not its length. Where one coder
  put two different labels on the same character, the label earlier in ``label_order``
  wins for the overall alpha; per-label alpha is binary (label present / absent) and sees
  both. ``None`` when the data show no variation at all (expected disagreement is zero).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

Span = tuple[int, int, str]
NO_LABEL = ""


# Span F1 -------------------------------------------------------------------------------


def matches_exact(a: Sequence[Span], b: Sequence[Span]) -> int:
    """How many spans the two coders share exactly (as multisets)."""
    return sum((Counter(a) & Counter(b)).values())


def matches_overlap(a: Sequence[Span], b: Sequence[Span]) -> int:
    """One-to-one matches of same-label intersecting spans, largest overlap first."""
    by_label: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for j, (sb, eb, lb) in enumerate(b):
        by_label[lb].append((sb, eb, j))
    for spans in by_label.values():
        spans.sort()
    candidates = []
    for i, (sa, ea, la) in enumerate(a):
        for sb, eb, j in by_label.get(la, ()):
            if sb >= ea:
                break  # sorted by start: no later span can overlap
            overlap = min(ea, eb) - max(sa, sb)
            if overlap > 0:
                candidates.append((-overlap, i, j))
    candidates.sort()
    used_a: set[int] = set()
    used_b: set[int] = set()
    for _, i, j in candidates:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
    return len(used_a)


def f1(matched: int, total_a: int, total_b: int) -> float | None:
    if total_a + total_b == 0:
        return None
    return 2 * matched / (total_a + total_b)


@dataclass
class F1Counts:
    """Summed counts, so F1 over many pairs/documents is micro-averaged."""

    exact: int = 0
    overlap: int = 0
    total: int = 0  # spans_a + spans_b, summed

    def add(self, a: Sequence[Span], b: Sequence[Span]) -> None:
        self.exact += matches_exact(a, b)
        self.overlap += matches_overlap(a, b)
        self.total += len(a) + len(b)

    def f1_exact(self) -> float | None:
        return None if self.total == 0 else 2 * self.exact / self.total

    def f1_overlap(self) -> float | None:
        return None if self.total == 0 else 2 * self.overlap / self.total


# Krippendorff's alpha (nominal) ---------------------------------------------------------


@dataclass
class Coincidences:
    """Krippendorff's coincidence matrix, filled unit by unit (units may carry a weight)."""

    o: defaultdict = field(default_factory=lambda: defaultdict(float))

    def add_unit(self, values: Iterable, weight: float = 1.0) -> None:
        """Add one unit's values (missing values left out); units with < 2 values don't count."""
        values = [v for v in values if v is not None]
        if len(values) == 2:  # the common case (two reviewers), without the general loop
            a, b = values
            if a == b:
                self.o[(a, a)] += 2 * weight
            else:
                self.o[(a, b)] += weight
                self.o[(b, a)] += weight
            return
        counts = Counter(values)
        m = len(values)
        if m < 2:
            return
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_c - 1) if c == k else n_c * n_k
                if pairs:
                    self.o[(c, k)] += weight * pairs / (m - 1)

    def alpha(self) -> float | None:
        n_c: defaultdict = defaultdict(float)
        for (c, _k), value in self.o.items():
            n_c[c] += value
        n = sum(n_c.values())
        if n <= 1:
            return None
        observed = sum(v for (c, k), v in self.o.items() if c != k)
        expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
        if expected == 0:
            return None
        return 1 - (n - 1) * observed / expected


def alpha_nominal(data: Sequence[Sequence]) -> float | None:
    """Alpha for a coders x units table (``None`` = missing), as in Krippendorff (2011)."""
    matrix = Coincidences()
    for unit in zip(*data, strict=True):
        matrix.add_unit(unit)
    return matrix.alpha()


def segments(
    length: int, coders: Mapping[str, Sequence[Span]]
) -> list[tuple[int, int, dict[str, frozenset[str]]]]:
    """Cut ``[0, length)`` at every span boundary: ``(start, end, {coder: labels there})``."""
    cuts = {0, length}
    events: dict[str, dict[int, list[tuple[int, str]]]] = {}
    for coder, spans in coders.items():
        per: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for start, end, label in spans:
            start, end = max(0, start), min(length, end)
            if start < end:
                per[start].append((1, label))
                per[end].append((-1, label))
                cuts.update((start, end))
        events[coder] = per
    bounds = sorted(cuts)
    active = {coder: Counter() for coder in coders}
    result = []
    for left, right in zip(bounds, bounds[1:], strict=False):
        for coder, per in events.items():
            for delta, label in per.get(left, ()):
                active[coder][label] += delta
        labels = {coder: frozenset(k for k, v in c.items() if v > 0) for coder, c in active.items()}
        result.append((left, right, labels))
    return result


def _pick(labels: frozenset[str], order: Mapping[str, int]) -> str:
    if not labels:
        return NO_LABEL
    return min(labels, key=lambda label: (order.get(label, len(order)), label))


@dataclass
class AlphaCounts:
    """Coincidences for the overall (multi-label) alpha and one binary alpha per label."""

    label_order: Sequence[str]
    overall: Coincidences = field(default_factory=Coincidences)
    per_label: dict[str, Coincidences] = field(default_factory=dict)

    def add_segments(self, cut: list, coders: Sequence[str], values: list[list[str]]) -> None:
        """Add pre-cut segments; ``values[i][j]`` is coder j's picked label in segment i."""
        for label in self.label_order:
            self.per_label.setdefault(label, Coincidences())
        for (left, right, labels), row in zip(cut, values, strict=True):
            weight = right - left
            self.overall.add_unit(row, weight)
            for label in self.label_order:
                self.per_label[label].add_unit([label in labels[c] for c in coders], weight)

    def add_document(self, length: int, coders: Mapping[str, Sequence[Span]]) -> None:
        if len(coders) < 2 or length <= 0:
            return
        cut = segments(length, coders)
        names = list(coders)
        self.add_segments(cut, names, picked_values(cut, names, self.label_order))


def picked_values(cut: list, coders: Sequence[str], label_order: Sequence[str]) -> list[list[str]]:
    order = {label: i for i, label in enumerate(label_order)}
    return [[_pick(labels[c], order) for c in coders] for _, _, labels in cut]


# Reports ---------------------------------------------------------------------------------


@dataclass
class DocumentSpans:
    """One document's length and each coder's spans on it (final spans excluded).

    The spans are those on the document's current `revision`; `excluded` counts the
    reviewers' spans left out because their offsets refer to an older text (orphans, or
    spans not re-anchored yet): comparing them with spans on the new text would be wrong.
    """

    document_id: int
    title: str
    length: int
    coders: dict[str, list[Span]]
    revision: int = 1
    excluded: int = 0


def _only(spans: Sequence[Span], label: str) -> list[Span]:
    return [span for span in spans if span[2] == label]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _figures(counts: F1Counts, alpha: float | None) -> dict:
    return {
        "f1_exact": _rounded(counts.f1_exact()),
        "f1_overlap": _rounded(counts.f1_overlap()),
        "alpha": _rounded(alpha),
    }


def document_agreement(document: DocumentSpans, label_order: Sequence[str]) -> dict:
    """Figures for one document over all pairs of its coders."""
    return _document_row(document, label_order)[0]


def _document_row(document: DocumentSpans, label_order: Sequence[str]) -> tuple[dict, list, list]:
    """The document's figures, plus its segments and picked values for reuse."""
    counts = F1Counts()
    for a, b in combinations(sorted(document.coders), 2):
        counts.add(document.coders[a], document.coders[b])
    names = sorted(document.coders)
    cut = segments(document.length, document.coders) if document.length > 0 else []
    values = picked_values(cut, names, label_order)
    alpha = Coincidences()
    if len(names) > 1:
        for (left, right, _), row in zip(cut, values, strict=True):
            alpha.add_unit(row, right - left)
    row = {
        "id": document.document_id,
        "title": document.title,
        "reviewers": names,
        "spans": sum(len(s) for s in document.coders.values()),
        "revision": document.revision,
        "spans_excluded": document.excluded,
        **_figures(counts, alpha.alpha()),
    }
    return row, cut, values


def _disagreement_key(row: dict) -> tuple:
    """Lowest agreement first; rows with nothing to compare last."""
    f1_value, alpha = row["f1_overlap"], row["alpha"]
    return (f1_value is None, f1_value if f1_value is not None else 0, alpha if alpha else 0)


def agreement_report(documents: Iterable[DocumentSpans], label_order: Sequence[str]) -> dict:
    """Collection figures: overall, per label, per reviewer pair, per document (JSON-ready).

    Only documents with at least two coders are compared; spans not on their document's
    current revision are counted in ``spans_excluded``, never compared.
    """
    overall = F1Counts()
    per_label = {label: F1Counts() for label in label_order}
    alpha = AlphaCounts(label_order)
    pair_f1: dict[tuple[str, str], F1Counts] = defaultdict(F1Counts)
    pair_alpha: dict[tuple[str, str], Coincidences] = {}
    pair_docs: Counter = Counter()
    rows, reviewers, single, excluded = [], set(), 0, 0
    for document in documents:
        excluded += document.excluded
        if len(document.coders) < 2:
            single += 1
            continue
        reviewers.update(document.coders)
        row, cut, values = _document_row(document, label_order)
        rows.append(row)
        names = row["reviewers"]
        alpha.add_segments(cut, names, values)
        for (i, a), (j, b) in combinations(enumerate(names), 2):
            spans_a, spans_b = document.coders[a], document.coders[b]
            overall.add(spans_a, spans_b)
            pair_f1[(a, b)].add(spans_a, spans_b)
            pair = pair_alpha.setdefault((a, b), Coincidences())
            for (left, right, _), picked in zip(cut, values, strict=True):
                pair.add_unit((picked[i], picked[j]), right - left)
            pair_docs[(a, b)] += 1
            for label in label_order:
                per_label[label].add(_only(spans_a, label), _only(spans_b, label))
    pairs = [
        {
            "a": a,
            "b": b,
            "documents": pair_docs[(a, b)],
            **_figures(pair_f1[(a, b)], pair_alpha[(a, b)].alpha()),
        }
        for a, b in pair_f1
    ]
    labels = [
        {
            "label": label,
            **_figures(per_label[label], alpha.per_label.get(label, Coincidences()).alpha()),
        }
        for label in label_order
    ]
    return {
        "overall": {
            **_figures(overall, alpha.overall.alpha()),
            "documents_compared": len(rows),
            "documents_single_reviewer": single,
            "spans_excluded": excluded,
            "reviewers": sorted(reviewers),
        },
        "labels": labels,
        "pairs": sorted(pairs, key=_disagreement_key),
        "documents": sorted(rows, key=_disagreement_key),
    }


# Compare view ----------------------------------------------------------------------------


@dataclass
class Cluster:
    """Spans from any coder that overlap each other (transitively), for side-by-side review."""

    start: int
    end: int
    by_coder: dict[str, list[Span]]

    @property
    def agreed(self) -> bool:
        """Every coder who read the document has the very same spans here."""
        sets = [Counter(spans) for spans in self.by_coder.values()]
        return bool(sets) and all(s == sets[0] for s in sets) and bool(sets[0])


def span_clusters(coders: Mapping[str, Sequence[Span]]) -> list[Cluster]:
    """Group all coders' spans into clusters of overlapping ranges, in text order.

    A span every coder tagged identically is a group of its own (agreed), even where other
    spans overlap it; the remaining spans are grouped by overlap (transitively). Every coder
    appears in every cluster (an empty list means "tagged nothing here").
    """
    counts = [Counter(s for s in spans if s[0] < s[1]) for spans in coders.values()]
    common: Counter = Counter()
    if counts:
        common = counts[0]
        for count in counts[1:]:
            common = common & count
    clusters = [
        Cluster(span[0], span[1], {name: [span] * n for name in coders})
        for span, n in common.items()
    ]
    rest = sorted(
        (span, coder)
        for coder, count in zip(coders, counts, strict=True)
        for span in (count - common).elements()
    )
    open_clusters: list[Cluster] = []
    for span, coder in rest:
        start, end, _ = span
        if open_clusters and start < open_clusters[-1].end:
            current = open_clusters[-1]
            current.end = max(current.end, end)
        else:
            current = Cluster(start, end, {name: [] for name in coders})
            open_clusters.append(current)
        current.by_coder[coder].append(span)
    return sorted(clusters + open_clusters, key=lambda c: (c.start, c.end))
