"""One suggestion per span and label, whatever the number of suggesters proposing it.

Each suggester's proposal on the span is its *contribution* (`Suggestion.contributions`:
`{name: {"score", "rationale", "version"}}`). The row's own fields are derived from them: the
best score, every suggester ("learned+sourced"), the best one's version, and one rationale
line per suggester. A new run of one suggester replaces its own contribution only, so the
others' rationales stay; the row goes away when no suggester proposes the span any more.
"""

from __future__ import annotations

Contributions = dict[str, dict]


def contribution(version: str, span) -> dict:
    return {"score": span.score, "rationale": span.rationale, "version": str(version)[:50]}


def proposed(found: list) -> Contributions:
    """The contributions of one run's proposals of a span: (name, version, span) triples, the
    best-scoring one per suggester."""
    result: Contributions = {}
    for name, version, span in found:
        if name not in result or span.score > result[name]["score"]:
            result[name] = contribution(version, span)
    return result


def contributions_of(
    contributions: Contributions | None, *, suggester: str, score: float, rationale: str, version
) -> Contributions:
    """A row's contributions; for a row stored before they were recorded, read back from its
    fields (a merged row's rationale has one "name: why" line per suggester)."""
    if contributions:
        return dict(contributions)
    names = [name for name in suggester.split("+") if name]
    if len(names) == 1:
        return {names[0]: {"score": score, "rationale": rationale, "version": str(version)}}
    lines = dict(
        line.split(": ", 1) if ": " in line else (line, "") for line in rationale.split("\n")
    )
    return {
        name: {"score": score, "rationale": lines.get(name, ""), "version": str(version)}
        for name in names
    }


def merged(contributions: Contributions) -> dict:
    """The row's fields for its contributions (at least one)."""
    best = max(sorted(contributions), key=lambda name: contributions[name]["score"])
    if len(contributions) == 1:
        rationale = contributions[best]["rationale"]
    else:
        rationale = "\n".join(
            _line(name, contributions[name]["rationale"]) for name in sorted(contributions)
        )
    return {
        "score": contributions[best]["score"],
        "rationale": rationale,
        "suggester": "+".join(sorted(contributions))[:100],
        "suggester_version": str(contributions[best]["version"])[:50],
        "contributions": {name: contributions[name] for name in sorted(contributions)},
    }


def _line(name: str, rationale: str) -> str:
    return f"{name}: {rationale}" if rationale else name
