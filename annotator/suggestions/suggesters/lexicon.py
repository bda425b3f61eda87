"""Lexicons: case-insensitive whole-word alternatives, found by one scan shared by all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache
from itertools import accumulate
from re import _constants, _parser


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
            (match.start(), _Matched(match.end(1)))
            for match in self.rest_finder.finditer(lowered)
            if match.start() not in keyed
        ]
        return sorted(candidates + extra, key=lambda item: item[0])


class _Matched:
    """A match of the patterns without keys, found beforehand: it acts as a leaf that
    matches there and as that match."""

    __slots__ = ("stop",)

    def __init__(self, stop: int) -> None:
        self.stop = stop

    def match(self, text: str, position: int) -> _Matched:
        return self

    def end(self) -> int:
        return self.stop


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
    # Split at the (empty) matches: the text between them and the keys, no match objects;
    # each match is where the text before it ends.
    pieces = trigger.split(lowered)
    positions = accumulate(map(len, pieces[0:-1:2]))
    for position, key in zip(positions, pieces[1::2], strict=True):
        for index, leaf in table[key]:
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


@lru_cache(maxsize=2)
def lowered_text(text: str) -> str | None:
    """text.lower() when it keeps every offset, else None (kept for the next suggester)."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None


def _lower_literals(pattern: str) -> str:
    """Lowercase a regex's literal characters; escapes such as \\W or \\S keep their case."""
    out, escaped = [], False
    for char in pattern:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return "".join(out)
