"""The document text as HTML, split at every span boundary, built in Python for speed.

Each segment between two boundaries is wrapped in one <mark> per span covering it, so
overlapping spans nest. Annotations get a lane (greedy interval partitioning) that the CSS
turns into a stacked underline; suggestions get a dashed outline. The first segment of a
span carries its id, a letter badge (CSS ::before, so the DOM text stays the document text)
and is focusable. Offsets are code points: Python string indices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from annotator.models import Annotation, Suggestion

MAX_LANE = 3


@dataclass(slots=True, eq=False)
class _Span:
    start: int
    end: int
    order: tuple
    tag: str
    first_tag: str


def lanes_assign(ranges: Iterable[tuple[int, int, int]]) -> dict[int, int]:
    """Give each (key, start, end) the lowest lane free at its start."""
    lane_ends: list[int] = []
    lanes: dict[int, int] = {}
    for key, start, end in sorted(ranges, key=lambda r: (r[1], -r[2], r[0])):
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= start:
                lane_ends[lane] = end
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(end)
        lanes[key] = lane
    return lanes


def annotation_tip(annotation: Annotation) -> str:
    parts = [f"{annotation.label.name} ({annotation.label.letter})"]
    parts.append(f"by {annotation.created_by.get_username()}")
    if annotation.note:
        parts.append(f"note: {annotation.note}")
    if annotation.evidence_url:
        parts.append(f"evidence: {annotation.evidence_url}")
    return " · ".join(parts)


def suggestion_tip(suggestion: Suggestion) -> str:
    tip = f"Suggested {suggestion.label.name} ({suggestion.score:.2f}, {suggestion.suggester})"
    if suggestion.rationale:
        tip += f" · {suggestion.rationale}"
    return tip


def _annotation_span(annotation: Annotation, lane: int) -> _Span:
    slug = escape(annotation.label.slug)
    tip = escape(annotation_tip(annotation))
    attrs = (
        f'class="ann l-{slug} lane-{min(lane, MAX_LANE)}" data-a="{annotation.pk}" title="{tip}"'
    )
    first = (
        f'<mark {attrs} id="a-{annotation.pk}" tabindex="0" data-first="1" '
        f'data-letter="{escape(annotation.label.letter)}" data-tip="{tip}">'
    )
    # Higher lanes are outer marks, so their underline sits lower.
    return _Span(annotation.start, annotation.end, (1, -lane), f"<mark {attrs}>", first)


def _suggestion_span(suggestion: Suggestion) -> _Span:
    slug = escape(suggestion.label.slug)
    tip = escape(suggestion_tip(suggestion))
    attrs = f'class="sug l-{slug}" data-s="{suggestion.pk}" title="{tip}"'
    first = (
        f'<mark {attrs} id="s-{suggestion.pk}" tabindex="-1" data-first="1" '
        f'data-start="{suggestion.start}" data-end="{suggestion.end}" '
        f'data-letter="{escape(suggestion.label.letter)}?">'
    )
    return _Span(suggestion.start, suggestion.end, (0, suggestion.start), f"<mark {attrs}>", first)


def text_html(
    *, text: str, annotations: Iterable[Annotation], suggestions: Iterable[Suggestion] = ()
) -> str:
    """The escaped text with nested <mark> segments; the result is safe to mark_safe."""
    annotations = list(annotations)
    lanes = lanes_assign((a.pk, a.start, a.end) for a in annotations)
    spans = [_annotation_span(a, lanes[a.pk]) for a in annotations]
    spans += [_suggestion_span(s) for s in suggestions]
    length = len(text)
    starts: dict[int, list[_Span]] = {}
    ends: dict[int, list[_Span]] = {}
    for span in spans:
        if 0 <= span.start < span.end <= length:
            starts.setdefault(span.start, []).append(span)
            ends.setdefault(span.end, []).append(span)
    bounds = sorted({0, length, *starts, *ends})
    out: list[str] = []
    active: list[_Span] = []
    for pos, nxt in zip(bounds, bounds[1:], strict=False):
        if pos in ends:
            gone = ends[pos]
            active = [s for s in active if s not in gone]
        opening = starts.get(pos)
        if opening:
            active.extend(opening)
            active.sort(key=lambda s: s.order)
        chunk = escape(text[pos:nxt], quote=False)
        if not active:
            out.append(chunk)
            continue
        for span in active:
            out.append(span.first_tag if span.start == pos else span.tag)
        out.append(chunk)
        out.append("</mark>" * len(active))
    return "".join(out)
