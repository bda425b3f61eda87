"""Placing a span of an old text in a new one: plain strings in, a placement out, no ORM.

Tried in order, as Hypothesis does for web annotations:
1. diff: the span and some text around it are unchanged; its offsets move with the diff;
2. quote: the exact quote found again, the occurrence whose prefix and suffix match best,
   nearest the diff-mapped position on a tie;
3. fuzzy: the quote itself was edited; the most similar text near the mapped position is
   taken only above a similarity threshold, and flagged "text changed" for a reviewer;
4. otherwise an orphan: no position in the new text (never attached to other words).
Offsets are code points (Python string indices) in both texts.
diff-match-patch and rapidfuzz are imported by the first use (not by the processes that
import this module and idle).
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass

ANCHORED, TEXT_CHANGED, ORPHAN = "anchored", "text_changed", "orphan"
DIFF, QUOTE, FUZZY = "diff", "quote", "fuzzy"

CONTEXT = 32  # characters of prefix and suffix compared around a quote
DIFF_MIN_CONTEXT = 16  # unchanged characters needed beside a span for the diff to be trusted
QUOTE_MIN_CONTEXT = 0.5  # prefix/suffix similarity for an exact quote found elsewhere
SHORT_QUOTE_CHARS = 20  # a shorter quote is found by chance more easily: it needs more context
SHORT_QUOTE_MIN_CONTEXT = 0.65
QUOTE_UNIQUE_CHARS = 40  # a quote this long, found once, is the same text without context
FUZZY_MIN_CHARS = 8  # shorter quotes are too easy to find by chance
MAX_OCCURRENCES = 200
QUOTE_TIE = 0.05  # context scores this close are a tie between occurrences
WIDE = 160  # characters compared on each side to tell tied occurrences apart
WIDE_TIE = 0.01
MAX_QUOTE_TRIES = 5  # occurrences tried when better-fitting old copies claim the first


@dataclass(frozen=True)
class Placement:
    start: int | None
    end: int | None
    state: str
    method: str
    confidence: float

    @property
    def placed(self) -> bool:
        return self.state != ORPHAN


ORPHANED = Placement(None, None, ORPHAN, "", 0.0)


def text_diff(old: str, new: str, timeout: float = 1.0) -> list[tuple[int, str]]:
    """diff-match-patch's diff with semantic clean-up: no chance equalities of a few letters."""
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    diffs = dmp.diff_main(old, new)
    dmp.diff_cleanupSemantic(diffs)
    return diffs


class Anchorer:
    """Places spans of `old` in `new`; build once per pair of revisions, call place() per span."""

    def __init__(
        self,
        old: str,
        new: str,
        *,
        fuzzy_threshold: float = 80.0,
        diffs: list[tuple[int, str]] | None = None,
    ) -> None:
        self.old, self.new = old, new
        self.fuzzy_threshold = fuzzy_threshold
        self.diffs = text_diff(old, new) if diffs is None else diffs
        # Equal runs as parallel lists: old start, new start, length.
        self._old_starts: list[int] = []
        self._new_starts: list[int] = []
        self._lengths: list[int] = []
        old_pos = new_pos = 0
        for op, chunk in self.diffs:
            if op == 0:
                self._old_starts.append(old_pos)
                self._new_starts.append(new_pos)
                self._lengths.append(len(chunk))
            if op <= 0:
                old_pos += len(chunk)
            if op >= 0:
                new_pos += len(chunk)

    def map_position(self, pos: int) -> int:
        """Where `pos` of the old text went: exact inside unchanged text, otherwise the
        place in the new text where the change around it happened."""
        i = bisect.bisect_right(self._old_starts, pos) - 1
        if i < 0:
            return 0
        offset = pos - self._old_starts[i]
        return self._new_starts[i] + min(offset, self._lengths[i])

    def changed_paragraphs(self) -> list[tuple[int, int]]:
        """The paragraphs (lines) of the new text that an insertion or a deletion touched, as
        merged (start, end) ranges of whole lines; lines only moved by the diff are not."""
        marks: list[tuple[int, int]] = []
        new_pos = 0
        for op, chunk in self.diffs:
            if op == 1:
                # Whole lines inserted touch no neighbour: the newline at an edge is left out.
                a, b = new_pos, new_pos + len(chunk)
                if chunk.startswith("\n") and a > 0 and self.new[a - 1] != "\n":
                    a += 1
                if chunk.endswith("\n") and b > a:
                    b -= 1
                marks.append((a, b))
                new_pos += len(chunk)
            elif op == -1:
                at_line_start = new_pos == 0 or self.new[new_pos - 1] == "\n"
                at_line_end = new_pos == len(self.new) or self.new[new_pos] == "\n"
                whole_lines = (at_line_start and chunk.endswith("\n")) or (
                    at_line_end and chunk.startswith("\n")
                )
                if not whole_lines:
                    marks.append((new_pos, new_pos))
            else:
                new_pos += len(chunk)
        ranges: list[tuple[int, int]] = []
        for a, b in sorted(marks):
            a = self.new.rfind("\n", 0, a) + 1
            line_end = self.new.find("\n", b)
            b = len(self.new) if line_end == -1 else line_end
            while a < b and self.new[a] == "\n":
                a += 1
            while b > a and self.new[b - 1] == "\n":
                b -= 1
            if ranges and a <= ranges[-1][1] + 1:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], b))
            elif b > a:
                ranges.append((a, b))
        return ranges

    def place(self, start: int, end: int, quote: str | None = None) -> Placement:
        quote = self.old[start:end] if quote is None else quote
        if not quote or self.old[start:end] != quote:
            return ORPHANED  # offsets that never matched their quote are not moved anywhere
        return (
            self._by_diff(start, end)
            or self._by_quote(start, end, quote)
            or self._by_fuzzy(start, end, quote)
            or ORPHANED
        )

    def _by_diff(self, start: int, end: int) -> Placement | None:
        i = bisect.bisect_right(self._old_starts, start) - 1
        if i < 0:
            return None
        run_start, length = self._old_starts[i], self._lengths[i]
        if end > run_start + length:
            return None
        before, after = start - run_start, run_start + length - end
        # Unchanged context on both sides (or the text's edge): the span did not move in text.
        need_before = min(DIFF_MIN_CONTEXT, start)
        need_after = min(DIFF_MIN_CONTEXT, len(self.old) - end)
        if before < need_before or after < need_after:
            return None
        new_start = self._new_starts[i] + before
        return Placement(new_start, new_start + (end - start), ANCHORED, DIFF, 1.0)

    def _context_score(
        self, start: int, end: int, new_start: int, new_end: int, width: int = CONTEXT
    ) -> float:
        from rapidfuzz import fuzz

        prefix = self.old[max(0, start - width) : start]
        suffix = self.old[end : end + width]
        # A span at an edge of the old text matches only an occurrence at the same edge.
        if prefix:
            before = fuzz.ratio(prefix, self.new[max(0, new_start - len(prefix)) : new_start])
        else:
            before = 100.0 if new_start == 0 else 0.0
        if suffix:
            after = fuzz.ratio(suffix, self.new[new_end : new_end + len(suffix)])
        else:
            after = 100.0 if new_end == len(self.new) else 0.0
        return (before + after) / 200

    def _by_quote(self, start: int, end: int, quote: str) -> Placement | None:
        found = _occurrences(self.new, quote)
        if not found:
            return None
        scored = sorted(
            ((self._context_score(start, end, at, at + len(quote)), at) for at in found),
            reverse=True,
        )
        top = scored[0][0]
        mapped = self.map_position(start)
        # Contexts within a few percent are a tie (repeated captions, boilerplate): a wider
        # context decides, then the occurrence nearest where the diff puts the span.
        tied = [at for score, at in scored if score >= top - QUOTE_TIE]
        if len(tied) > 1:
            wide = {at: self._context_score(start, end, at, at + len(quote), WIDE) for at in tied}
            best_wide = max(wide.values())
            tied = [at for at in tied if wide[at] >= best_wide - WIDE_TIE]
        order = sorted(tied, key=lambda at: abs(at - mapped)) + [
            at for _, at in scored if at not in tied
        ]
        rivals = [at for at in _occurrences(self.old, quote) if at != start]
        short = len(quote) < SHORT_QUOTE_CHARS
        need = SHORT_QUOTE_MIN_CONTEXT if short else QUOTE_MIN_CONTEXT
        for at in order[:MAX_QUOTE_TRIES]:
            context = self._context_score(start, end, at, at + len(quote))
            if context < need and not (len(found) == 1 and len(quote) >= QUOTE_UNIQUE_CHARS):
                return None  # the rest score lower still
            if self._claimed(start, at, quote, rivals, context):
                continue  # another copy of these words in the old text is this one
            return Placement(at, at + len(quote), ANCHORED, QUOTE, round(max(context, need), 3))
        return None

    def _claimed(self, start: int, at: int, quote: str, rivals: list[int], own: float) -> bool:
        """Whether another old occurrence of the quote fits the new one at `at` better (the
        same passage repeated in an article: each copy keeps its own place)."""
        n = len(quote)
        # Only rivals about as close on the near context are compared on the wide one.
        close = [r for r in rivals if self._context_score(r, r + n, at, at + n) >= own - QUOTE_TIE]
        if not close:
            return False
        own_wide = self._context_score(start, start + n, at, at + n, WIDE)
        return any(
            self._context_score(r, r + n, at, at + n, WIDE) > own_wide + WIDE_TIE for r in close
        )

    def _by_fuzzy(self, start: int, end: int, quote: str) -> Placement | None:
        from rapidfuzz import fuzz

        if len(quote.strip()) < FUZZY_MIN_CHARS:
            return None
        new_start, new_end = self.map_position(start), self.map_position(end)
        candidates = []
        if new_end > new_start:
            candidates.append(self._trimmed(new_start, new_end))
        margin = len(quote) + CONTEXT
        window_start = max(0, new_start - margin)
        window = self.new[window_start : new_end + margin]
        if window:
            aligned = fuzz.partial_ratio_alignment(quote, window)
            if aligned is not None and aligned.dest_end > aligned.dest_start:
                candidates.append(
                    self._snapped(
                        window_start + aligned.dest_start, window_start + aligned.dest_end
                    )
                )
        best = None
        for a, b in candidates:
            # The exact words elsewhere were judged by their context already (_by_quote).
            if b <= a or self.new[a:b] == quote:
                continue
            score = fuzz.ratio(quote, self.new[a:b])
            if best is None or score > best[0]:
                best = (score, a, b)
        if best is None or best[0] < self.fuzzy_threshold:
            return None
        score, a, b = best
        return Placement(a, b, TEXT_CHANGED, FUZZY, round(score / 100, 3))

    def _trimmed(self, a: int, b: int) -> tuple[int, int]:
        while a < b and self.new[a].isspace():
            a += 1
        while b > a and self.new[b - 1].isspace():
            b -= 1
        return a, b

    def _snapped(self, a: int, b: int) -> tuple[int, int]:
        """Widen to whole words and whole characters (no combining mark left behind)."""
        text = self.new
        while a > 0 and (_wordish(text[a - 1]) and _wordish(text[a]) or _combining(text[a])):
            a -= 1
        while b < len(text) and (
            _wordish(text[b - 1]) and _wordish(text[b]) or _combining(text[b])
        ):
            b += 1
        return self._trimmed(a, b)


def _occurrences(text: str, quote: str) -> list[int]:
    found: list[int] = []
    at = text.find(quote)
    while at != -1 and len(found) < MAX_OCCURRENCES:
        found.append(at)
        at = text.find(quote, at + 1)
    return found


def _wordish(char: str) -> bool:
    return char.isalnum() or _combining(char)


def _combining(char: str) -> bool:
    if 0x1F3FB <= ord(char) <= 0x1F3FF:  # emoji skin tones belong to the emoji before them
        return True
    return unicodedata.combining(char) != 0 or unicodedata.category(char) in ("Mn", "Me", "Cf")
