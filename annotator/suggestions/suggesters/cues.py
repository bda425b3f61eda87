"""Patterns shared by the rule suggesters: who is speaking, and quote handling."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path
from re import _constants, _parser

DATA_DIR = Path(__file__).resolve().parent / "data"

GENERIC_SOURCE = (
    r"(?:officials?|spokes(?:person|man|woman)|ministry|government|analysts?|experts?|"
    r"sources?|witnesses|residents|media|police|authorities|military|agency|diplomats?|"
    r"observers|statement|message|report|intelligence|Kremlin|Pentagon|White House)"
)
NAME = r"[A-Z][\w’'.\-]*(?:[ \t]+(?:[A-Z][\w’'.\-]*|of|the|de|von|al))*"
PRONOUN = r"(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t)"
_MODIFIER = r"(?:[\w.’'\-]+[ \t]+){0,3}?"
_AUX = r"(?:\s+(?:has|have|had|also|later|previously|repeatedly|long|not|would|will|did)){0,3}"

# A speaker right before a cue, e.g. "A NATO spokesperson | said"; anchored at the window end.
_SPEAKER = rf"((?:{_MODIFIER}{GENERIC_SOURCE})|{NAME}|{PRONOUN}){_AUX}\s*$"
_BREAK = r"[\s,“”\"(—]"
SOURCE_BEFORE = re.compile(rf"(?:^|(?<={_BREAK})){_SPEAKER}")
# The same speaker with the break before it consumed: a pattern that starts with a character
# class lets re skip to the next break at C speed instead of trying every position.
_AFTER_BREAK = re.compile(rf"{_BREAK}{_SPEAKER}")
# A speaker right after a cue, e.g. "said | Dr. Soo-jin Park" or "per | KCNA Watch".
SOURCE_AFTER = re.compile(rf"\s*((?:(?:[Aa]n?|[Tt]he)\s+)?(?:{_MODIFIER}{GENERIC_SOURCE}|{NAME}))")
LEADING_WORDS = frozenset(
    [
        "While",
        "Although",
        "Though",
        "But",
        "And",
        "As",
        "When",
        "Since",
        "After",
        "Before",
        "If",
        "Meanwhile",
        "However",
        "Yet",
        "So",
        "Still",
        "Now",
        "Then",
        "Later",
        "Earlier",
        "Last",
        "In",
        "On",
        "At",
    ]
)
QUOTE_CHARS = "“”\"‘’'"


_AUX_WORDS = frozenset(
    [
        "has",
        "have",
        "had",
        "also",
        "later",
        "previously",
        "repeatedly",
        "long",
        "not",
        "would",
        "will",
        "did",
    ]
)
_LAST_WORD = re.compile(r"[\w’'.\-]+$")
_GENERIC = re.compile(GENERIC_SOURCE)
_LOWER_LAST = frozenset(["of", "the", "de", "von", "al", "he", "she", "they", "it"])


_NAME_WORD = re.compile(r"[A-Z][\w’'.\-]*")
_NAME_LINKS = frozenset(["of", "the", "de", "von", "al"])
# A speaker with its auxiliaries spans at most this many words (three modifiers, a two-word
# source such as "White House", three auxiliaries), unless it is a run of names.
_MAX_WORDS = 8


def _search_start(text: str, start: int, position: int) -> int | None:
    """Where SOURCE_BEFORE may find a speaker ending at `position` (searching from `start`):
    None when the word there (up to three auxiliaries before it) is neither capitalised nor
    a generic source or pronoun, which most cues fail, else the start of the earliest word a
    match can begin in: one of the last eight words, or the word before a tail of names,
    name links and auxiliaries. SOURCE_BEFORE then tries fewer positions, same match."""
    window = text[start:position]
    words = window.split()
    k, stripped = len(words), 0
    while k and stripped < 3 and words[k - 1] in _AUX_WORDS:
        k, stripped = k - 1, stripped + 1
    if not k:
        return None
    last = _LAST_WORD.search(words[k - 1])
    if last is None:
        return None
    word = last.group()
    if not (word[0].isupper() or word in _LOWER_LAST or _GENERIC.fullmatch(word) is not None):
        return None
    tail = 0
    for word in reversed(words):
        if word in _AUX_WORDS or word in _NAME_LINKS or _NAME_WORD.fullmatch(word):
            tail += 1
        else:
            break
    keep = max(_MAX_WORDS, tail + 1)
    if len(words) <= keep:
        return start
    return start + len(window.rsplit(None, keep)[0])


def source_before(text: str, position: int, window: int = 80) -> tuple[int, str] | None:
    """The speaker ending at `position`: (start offset, name) or None."""
    start = _search_start(text, max(0, position - window), position)
    if start is None:
        return None
    if start == 0:  # "^": a speaker at the very start of the text needs no break before it
        match = SOURCE_BEFORE.match(text, 0, position) or _AFTER_BREAK.search(text, 0, position)
    else:  # the break may be the character just before the window
        match = _AFTER_BREAK.search(text, start - 1, position)
    return speaker(match)


def speaker(match: re.Match[str] | None) -> tuple[int, str] | None:
    """(start offset, name) of the speaker a SOURCE_BEFORE match found."""
    if match is None:
        return None
    begin, name = match.start(1), match.group(1)
    # "While North Korea has denied…": the speaker is North Korea, not the conjunction.
    first, _, rest = name.partition(" ")
    if first in LEADING_WORDS and rest:
        return begin + len(first) + 1, rest.lstrip()
    return begin, name


def source_after(text: str, position: int, limit: int) -> tuple[int, str] | None:
    match = SOURCE_AFTER.match(text, position, limit)
    if match is None:
        return None
    return match.end(1), match.group(1).strip()


def enclosing_quote(text: str, start: int, end: int, limit: int = 160) -> tuple[int, int] | None:
    """Bounds of the “…” quotation holding text[start:end], if short enough."""
    left = text.rfind("“", max(0, start - limit), start)
    if left == -1 or "”" in text[left + 1 : start]:
        return None
    right = text.find("”", end, end + limit)
    if right == -1 or "“" in text[end:right]:
        return None
    return left + 1, right


@cache
def data(name: str) -> dict:
    """A lexicon kept as a JSON data file beside this module (easy to extend without code)."""
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


class Terms:
    """Case-insensitive whole-word alternatives (longest first) from a lexicon.

    Matched on the lowercased text with lowercased patterns, which is faster than
    re.IGNORECASE; offsets are the same because lowercasing kept the text's length (when it
    does not, e.g. "İ", the original text is matched with IGNORECASE). Take the matched words
    from the original text, not from the match.

    A long alternation is slow in Python's re (every alternative is tried at every word), so
    each pattern gets dispatch keys: every string of up to KEY_MAX characters that a match
    of it can begin with (found from the parsed pattern). One scan of the text, shared by
    every Terms, finds where words start with a key; there each Terms tries only its patterns
    that can start with that key, as one ordered alternation. A pattern whose start cannot be
    enumerated is searched for everywhere. Same matches as one alternation: leftmost first,
    then the first pattern in order, never overlapping.
    """

    def __init__(self, terms: list[str]) -> None:
        ordered = sorted(terms, key=len, reverse=True)
        source = r"\b(?:" + "|".join(ordered) + r")\b"
        self.ignorecase = re.compile(source, re.IGNORECASE)
        self.patterns = [_lower_literals(term) for term in ordered]
        self.keys: dict[str, list[int]] = {}  # dispatch key -> orders of its patterns
        rest = []
        for order, pattern in enumerate(self.patterns):
            found = dispatch_keys(pattern)
            if not found:
                rest.append(order)
                continue
            for key in found:
                self.keys.setdefault(key, []).append(order)
        self.rest = rest
        # Where no key of this Terms starts: the first pattern of `rest` that matches.
        self.rest_finder = (
            re.compile(r"\b(?=((?:" + "|".join(self.patterns[o] for o in rest) + r")\b))")
            if rest
            else None
        )
        self._leaves: dict[tuple[int, ...], re.Pattern[str]] = {}
        self.index = len(_REGISTRY)
        _REGISTRY.append(self)
        _dispatch.cache_clear()
        _candidates.cache_clear()

    def leaf(self, orders: tuple[int, ...]) -> re.Pattern[str]:
        """These patterns (and every pattern without keys), in order, as one alternation."""
        found = self._leaves.get(orders)
        if found is None:
            merged = sorted({*orders, *self.rest})
            source = "(?:" + "|".join(self.patterns[o] for o in merged) + r")\b"
            found = self._leaves[orders] = re.compile(source)
        return found

    def spans(self, text: str, lowered: str | None) -> Iterator[tuple[int, int]]:
        """(start, end) of every match; `lowered` is lowered_text(text)."""
        if lowered is None:
            return (match.span() for match in self.ignorecase.finditer(text))
        return iter(self._dispatched(lowered))

    def _dispatched(self, lowered: str) -> list[tuple[int, int]]:
        candidates = _candidates(lowered)[self.index]
        if self.rest_finder is not None:
            candidates = self._with_rest(lowered, candidates)
        found = []
        last_end = 0
        for position, leaf in candidates:
            if position < last_end:
                continue
            if leaf.__class__ is int:  # a match of the patterns without keys, ending there
                end = leaf
            else:
                match = leaf.match(lowered, position)
                if match is None:
                    continue
                end = match.end()
            if end > position:
                found.append((position, end))
                last_end = end
        return found

    def _with_rest(self, lowered: str, candidates: list) -> list:
        keyed = {position for position, _ in candidates}
        extra = [
            (match.start(), match.end(1))
            for match in self.rest_finder.finditer(lowered)
            if match.start() not in keyed
        ]
        return sorted(candidates + extra, key=lambda item: item[0])


KEY_MAX = 8  # longer keys start fewer words, so fewer patterns are tried
KEY_LIMIT = 64  # more keys than this for one pattern: try shorter ones
_REGISTRY: list[Terms] = []  # every Terms made so far


def dispatch_keys(pattern: str) -> set[str] | None:
    """The longest strings (KEY_MAX characters at most) that every match of `pattern` begins
    with one of, or None when none can be listed."""
    for size in range(KEY_MAX, 0, -1):
        found = prefixes(pattern, size, KEY_LIMIT)
        if found:
            return found
    return None


@cache
def _dispatch() -> tuple[re.Pattern[str], dict[str, list]]:
    """The trigger (a word start and the longest key there) and, per key, the Terms to try
    there with their leaf alternation: the patterns of every key that is a prefix of it."""
    keys = {key for terms in _REGISTRY for key in terms.keys}
    table: dict[str, list] = {}
    for key in keys:
        entries: list = []
        heads = {key[:size] for size in range(1, len(key) + 1)}
        for terms in _REGISTRY:
            shared = terms.keys.keys() & heads
            if shared:
                orders = {order for head in shared for order in terms.keys[head]}
                leaf = _LazyLeaf(entries, len(entries), terms, tuple(sorted(orders)))
                entries.append((terms.index, leaf))
        table[key] = entries
    # A lookahead: "a p" (of "a person") must not hide "par" two characters later; the trie
    # takes the longest key there, and the table covers the shorter ones.
    trigger = re.compile(r"\b(?=(" + trie_pattern(sorted(keys)) + "))")
    return trigger, table


class _LazyLeaf:
    """A leaf alternation compiled on its first use, which then takes its place in the
    table: a process compiles only the leaves its texts need."""

    __slots__ = ("entries", "slot", "terms", "orders")

    def __init__(self, entries: list, slot: int, terms: Terms, orders: tuple[int, ...]) -> None:
        self.entries, self.slot, self.terms, self.orders = entries, slot, terms, orders

    def match(self, text: str, position: int) -> re.Match[str] | None:
        compiled = self.terms.leaf(self.orders)
        self.entries[self.slot] = (self.terms.index, compiled)
        return compiled.match(text, position)


@lru_cache(maxsize=2)
def _candidates(lowered: str) -> list[list]:
    """Per Terms (by index), the word starts in `lowered` where some of its patterns may
    match and the alternation to try there: one scan of the text for every Terms."""
    trigger, table = _dispatch()
    found: list[list] = [[] for _ in _REGISTRY]
    for match in trigger.finditer(lowered):
        position = match.start()
        for index, leaf in table[match.group(1)]:
            found[index].append((position, leaf))
    return found


def trie_pattern(words: list[str]) -> str:
    """A regex matching any of `words`, factored by common prefixes ("ab(?:c|d)"): Python's
    re tries alternatives one by one, so a trie fails fast on a first character."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie(tree)


def _trie(node: dict) -> str:
    branches = [re.escape(char) + _trie(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    optional = "" in node
    if len(branches) == 1 and not optional:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if optional else "")


def prefixes(pattern: str, size: int, limit: int = 400) -> set[str] | None:
    """Every string of `size` characters a match of `pattern` can begin with, or None when
    that cannot be listed (a character class such as \\w, a match shorter than `size`, a
    non-word first character, or more than `limit` of them)."""
    try:
        parsed = list(_parser.parse(pattern))
    except re.error:
        return None
    found = _starts(parsed, size, limit)
    if found is None or any(not (p[:1].isalnum() or p[:1] == "_") for p in found):
        return None
    return found


def _starts(items: list, size: int, limit: int) -> set[str] | None:
    """Prefixes of length `size` of what the sequence `items` matches (None: unknown)."""
    if size == 0:
        return {""}
    if not items:
        return None  # the match may end before `size` characters
    op, av = items[0]
    rest = items[1:]
    heads: list[tuple[str, list]] = []  # (characters, items still to match after them)
    if op is _constants.LITERAL:
        heads = [(chr(av), rest)]
    elif op is _constants.AT:
        return _starts(rest, size, limit)
    elif op is _constants.IN:
        if not all(kind is _constants.LITERAL for kind, _ in av):
            return None
        heads = [(chr(value), rest) for _, value in av]
    elif op is _constants.SUBPATTERN:
        return _starts(list(av[-1]) + rest, size, limit)
    elif op is _constants.BRANCH:
        found: set[str] = set()
        for branch in av[1]:
            more = _starts(list(branch) + rest, size, limit)
            if more is None:
                return None
            found |= more
        return found if len(found) <= limit else None
    elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT):
        low, high, body = av
        if high > 3 or low > high:
            return None
        found = set()
        for count in range(low, high + 1):
            more = _starts(list(body) * count + rest, size, limit)
            if more is None:
                return None
            found |= more
        return found if len(found) <= limit else None
    else:
        return None
    found = set()
    for chars, after in heads:
        more = _starts(after, size - len(chars), limit)
        if more is None:
            return None
        found |= {chars + tail for tail in more}
        if len(found) > limit:
            return None
    return found


def lowered_text(text: str) -> str | None:
    """text.lower() when it keeps every offset, else None."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None


def _lower_literals(pattern: str) -> str:
    """Lowercase a regex's literal characters; escapes such as \\W or \\S keep their case."""
    out, escaped = [], False
    for char in pattern:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return "".join(out)
