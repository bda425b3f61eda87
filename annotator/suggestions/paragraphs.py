"""Suggesting on some paragraphs of a document only: after a revision, the suggesters read the
paragraphs that changed (annotator/anchoring/ keeps the pending suggestions elsewhere).

A run's task carries `paragraphs = {"revision": N, "ranges": [[start, end], ...]}`: code point
ranges of whole lines of revision N. Once the document moved past N they mean nothing, and
the whole text is read instead.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

Ranges = list[tuple[int, int]]


def ranges_for(paragraphs: Any, *, revision: int, length: int) -> Ranges | None:
    """The ranges to read on this revision, or None for the whole text."""
    if not isinstance(paragraphs, dict) or paragraphs.get("revision") != revision:
        return None
    ranges = []
    for pair in paragraphs.get("ranges") or ():
        try:
            start, end = (int(x) for x in pair)
        except (TypeError, ValueError):
            return None
        if not 0 <= start < end <= length:
            return None  # not ranges of this text: read all of it
        ranges.append((start, end))
    return sorted(ranges)


def inside(ranges: Ranges | None, start: int, end: int) -> bool:
    """Whether a span lies in the part read (all of the text when `ranges` is None)."""
    return ranges is None or any(a <= start and end <= b for a, b in ranges)


def inside_q(ranges: Ranges | None) -> Q:
    if ranges is None:
        return Q()
    query = Q(pk__in=[])
    for a, b in ranges:
        query |= Q(start__gte=a, end__lte=b)
    return query


def pieces(text: str, ranges: Ranges | None) -> list[tuple[int, str]]:
    """(offset, text) of each part the suggesters read."""
    if ranges is None:
        return [(0, text)]
    return [(a, text[a:b]) for a, b in ranges]
