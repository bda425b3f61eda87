"""The learned span model: a linear-chain CRF (CRFsuite) per label over the tokens of each
paragraph, tagging B/I/O, so a suggestion starts and ends at any token inside a sentence.

Plain data in, model bytes out (no ORM). A training document is its text, its spans of a
label (positives), and whether the rest of the text counts as negative: the whole text for a
fully labelled document, else only the spans that reviewers rejected (`negatives`) and the
paragraphs around its positives. Labels are whatever slugs the spans carry: one CRF each.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import chain

from annotator.suggestions.suggesters.spandecoding import MIN_SPAN_CHARS, candidates
from annotator.suggestions.suggesters.spanfeatures import context_features

# Tokens: a doubled quote ('' or ``, the quotes of some newspapers' archives), words (with
# inner apostrophes and hyphens), numbers, or one other character.
TOKEN = re.compile(r"''|``|\w+(?:[’'\-.]\w+)*|[^\w\s]")
PARAGRAPH = re.compile(r"[^\n]+")
QUOTES = frozenset(('"', "“", "”", "«", "»", "''", "``"))
OPENING, TOGGLING = frozenset(("“", "«", "``")), frozenset(('"', "''"))
# Not shown as a rationale's "strongest words" (they carry weight only through context).
_FUNCTION = (
    "a an the and or but of to in on at by for with from as is are was were be been it "
    "its this that these those he she they we you i his her their our what which who"
)
FUNCTION_WORDS = frozenset(_FUNCTION.split())
# Context attributes a rationale names beside the words, when they weigh for a span.
CONTEXT_REASONS = {
    "cue": "a reporting verb",
    "cuehere": "a reporting verb",
    "cueleft": "after a reporting verb",
    "cueright": "before a reporting verb",
    "inq": "inside quotation marks",
    "squote": "a sentence with a quotation",
    "rep": "words the document repeats",
    "p!": "an exclamation mark",
}
REASON_WEIGHT = 0.2  # the least summed B + I weight of an attribute a rationale names
CONTEXT = True  # sentence-context attributes (spanfeatures.py)
THRESHOLD = 0.1  # unless calibrated per label on documents held back from training


@dataclass(frozen=True)
class Why:
    """What a rationale names: the span's strongest words, and the context that weighed."""

    words: list[str]
    context: list[str]


def reason(attribute: str) -> str | None:
    """The words a rationale uses for a context attribute (None: not one it names)."""
    if attribute[:2] in ("rB", "rE"):
        return f"what the {attribute[2:]} rules suggest"
    if attribute.startswith("r") and "=" not in attribute and attribute != "rep":
        return f"what the {attribute[1:]} rules suggest"
    stem = attribute.rstrip("0123456789")
    return CONTEXT_REASONS.get(stem)


@dataclass
class Document:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    labels: tuple[str, ...] = ()  # labels whose unmarked text is negative ("fully labelled")
    negatives: list[tuple[int, int, str]] = field(default_factory=list)  # rejected spans


def tokens(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(text, start, end)]


def paragraphs(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in PARAGRAPH.finditer(text) if not m.group().isspace()]


@lru_cache(maxsize=100_000)
def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "A", word)
    shape = re.sub(r"[a-z]", "a", shape)
    shape = re.sub(r"\d", "0", shape)
    return re.sub(r"(.)\1+", r"\1\1", shape)


# Affixes of a word (3-letter prefix, 2- and 4-letter suffixes) and its length bucket: on two
# inner splits of the propaganda corpus's dev part, span F1 +0.018 and +0.008 (attribution
# +0.001 and -0.007, noise; the prefix and 4-letter suffix alone: +0.004 and -0.004), tagging
# about 9 % slower.
_LENGTHS = (2, 4, 7, 10)  # bucket n: at most _LENGTHS[n] characters
_LENGTH = tuple(f"len={i}" for i in range(len(_LENGTHS) + 1))


@lru_cache(maxsize=100_000)
def _word_features(word: str, affixes: bool) -> tuple[str, ...]:
    lower = word.lower()
    found = (f"w={lower}", f"s3={lower[-3:]}", f"sh={_shape(word)}")
    if not affixes:
        return found
    length = _LENGTH[bisect_left(_LENGTHS, len(word))]
    return (*found, f"p3={lower[:3]}", f"s2={lower[-2:]}", f"s4={lower[-4:]}", length)


# A model stored without its neighbour window was trained with three words either side.
LEGACY_WINDOW = 3


@dataclass(frozen=True)
class FeatureSettings:
    """What a model's attributes are made of. Defaults: what a model is trained with now. A
    model records its settings and tags with them; one stored before a setting existed was
    trained without it (and with LEGACY_WINDOW)."""

    # The rule suggesters' spans over a token (rule_spans).
    rules: bool = True
    # Neighbours whose words are attributes of a token: two either side (three scored no better
    # on propaganda and lower on attribution on the dev parts, with 7 % more attributes).
    window: int = 2
    # The words' prefix, suffixes and length bucket (_word_features).
    affixes: bool = True
    # PolNeAR's cues that the rules leave out ("wants", "hopes", polls "show": spanfeatures.
    # stance_words) as cues, and as an attribute of their own: attribution span F1 0.785 ->
    # 0.789 and 0.782 -> 0.790 on two inner splits of its dev part (a pronoun or capitalised
    # run next to a cue as a source attribute: 0.783 and 0.792, not kept).
    stances: bool = True

    @classmethod
    def of(cls, model: dict) -> FeatureSettings:
        """The settings a model (or its stored payload) records."""
        return cls(
            rules=bool(model.get("rules")),
            window=int(model.get("window", LEGACY_WINDOW)),
            affixes=bool(model.get("affixes")),
            stances=bool(model.get("stances")),
        )

    def stored(self) -> dict:
        """The model's keys that record them."""
        return asdict(self)


TRAINED = FeatureSettings()  # what a model is trained with now


@lru_cache(maxsize=8)
def _offsets(window: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    offsets = tuple(o for o in range(-window, window + 1) if o)
    return offsets, tuple(f"{offset}edge" for offset in offsets)


_POS = tuple(f"pos={i}" for i in range(6))
_RPOS = tuple(f"rpos={i}" for i in range(6))


@lru_cache(maxsize=100_000)
def _neighbour_features(lower: str, window: int) -> tuple[str, ...]:
    """The attributes a word gives the token `offset` away, in _offsets(window) order."""
    return tuple(f"{offset}w={lower}" for offset in _offsets(window)[0])


@lru_cache(maxsize=100_000)
def _neighbour_shapes(word: str) -> tuple[str, str]:
    shape = _shape(word)
    return f"-1sh={shape}", f"1sh={shape}"


def rule_spans(text: str) -> list[tuple[int, int, str]]:
    """What the rule suggesters propose on the text: the span model learns how far to trust
    them (attributes "r", "rB", "rE" + label on the tokens of each rule span). Computed once
    per text: after the rules ran on it (a suggestion task), their spans are read back."""
    from annotator.suggestions.suggesters import disputed, propaganda, sourced

    return sorted(
        (span.start, span.end, span.label)
        for module in (sourced, disputed, propaganda)
        for span in module.suggest(text)
    )


def rule_marks(toks: list[tuple[int, int]], spans: list[tuple[int, int, str]]) -> list[list[str]]:
    """Per token of a paragraph, the attributes of the rule spans over it."""
    marks: list[list[str]] = [[] for _ in toks]
    for k, found in _rule_marks(toks, spans).items():
        marks[k] = found
    return marks


def _rule_marks(
    toks: list[tuple[int, int]], spans: list[tuple[int, int, str]]
) -> dict[int, list[str]]:
    """rule_marks of the tokens that have any (most have none); `spans` sorted by start, as
    rule_spans returns them."""
    marks: dict[int, list[str]] = {}
    if not toks:
        return marks
    first, last = toks[0][0], toks[-1][1]
    starts = ends = None
    for start, end, label in spans:
        if start >= last:
            break
        if end <= first:
            continue
        if starts is None:
            starts, ends = [s for s, _ in toks], [e for _, e in toks]
        i, j = bisect_right(ends, start), bisect_left(starts, end)
        for k in range(i, j):
            marks.setdefault(k, []).append(f"r{label}")
        if i < j:
            marks[i].append(f"rB{label}")
            marks[j - 1].append(f"rE{label}")
    return marks


def features(
    text: str,
    toks: list[tuple[int, int]],
    counts: Counter | None = None,
    rules_spans: list[tuple[int, int, str]] | None = None,
    settings: FeatureSettings = TRAINED,
) -> list[list[str]]:
    """CRFsuite attributes per token: the word, its neighbours (`settings.window` either
    side), shape, quote state, position, the paragraph's end punctuation, whether the word
    recurs in the document (`counts`), and the rule suggesters' spans over it (`rules_spans`:
    rule_spans of the text); with `settings.affixes`, its prefix, suffixes and length bucket;
    with `settings.stances`, the stance cues."""
    window, affixes, stances = settings.window, settings.affixes, settings.stances
    offsets, edges = _offsets(window)
    words = [text[s:e] for s, e in toks]
    lowers = [w.lower() for w in words]
    para = [f"pend={words[-1]}" if not words[-1].isalnum() else "pend=w"]
    if "!" in words:
        para.append("p!")
    count = len(words)
    context = context_features(words, lowers, stances) if CONTEXT else [[] for _ in words]
    if rules_spans is not None:
        for k, marks in _rule_marks(toks, rules_spans).items():
            context[k].extend(marks)
    # Each word's attributes as seen from its neighbours, built once per word.
    around = [_neighbour_features(lower, window) for lower in lowers]
    shapes = [_neighbour_shapes(word) for word in words]
    quote_state = False
    result = []
    for i, word in enumerate(words):
        if word in QUOTES:
            quote_state = not quote_state if word in TOGGLING else word in OPENING
        f = ["bias", *_word_features(word, affixes), *para, *context[i]]
        if counts is not None and len(word) > 3 and counts[lowers[i]] >= 3:
            f.append("rep")
        f.append(_POS[min(i, 5)])
        f.append(_RPOS[min(count - 1 - i, 5)])
        if quote_state:
            f.append("inq")
        if word[:1].isupper():
            f.append("cap")
        for n, offset in enumerate(offsets):
            j = i + offset
            if 0 <= j < count:
                f.append(around[j][n])
                if offset == -1:
                    f.append(shapes[j][0])
                elif offset == 1:
                    f.append(shapes[j][1])
            else:
                f.append(edges[n])
        if i > 0:
            f.append(f"b-1={lowers[i - 1]}|{lowers[i]}")
        if i + 1 < count:
            f.append(f"b+1={lowers[i]}|{lowers[i + 1]}")
        result.append(f)
    return result


def word_counts(text: str) -> Counter:
    return Counter(map(str.lower, TOKEN.findall(text)))


class Tagger:
    """A loaded model: taggers per label, and the attribute weights used for rationales."""

    def __init__(self, model: dict) -> None:
        import pycrfsuite

        self.thresholds = dict(model.get("thresholds") or {})
        self.threshold = model.get("threshold", THRESHOLD)
        # Per label, the probability a run extends over (calibrated; none stored: no extension).
        self.lows = dict(model.get("lows") or {})
        # Per label (shortest, longest) span in characters, calibrated (longest None: any).
        self.lengths = {label: tuple(v) for label, v in (model.get("lengths") or {}).items()}
        self.settings = FeatureSettings.of(model)  # the attributes it was trained with
        self.taggers, self.weights = {}, {}
        # Per label, the context attributes a rationale names: (its reason, its weight).
        self.reasons: dict[str, dict[str, tuple[str, float]]] = {}
        # CRFsuite reads the model from this memory while tagging: keep it alive.
        self._buffers = []
        for label, data in model["labels"].items():
            data = bytes(data)
            self._buffers.append(data)
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(data)
            self.taggers[label] = tagger
            weights: dict[str, float] = {}
            for (attribute, tag), weight in tagger.info().state_features.items():
                if tag in ("B", "I") and (attribute.startswith("w=") or reason(attribute)):
                    weights[attribute] = weights.get(attribute, 0.0) + weight
            self.weights[label] = weights
            self.reasons[label] = {
                attribute: (reason(attribute), weight)
                for attribute, weight in weights.items()
                if weight >= REASON_WEIGHT and not attribute.startswith("w=")
            }

    @property
    def labels(self) -> list[str]:
        return sorted(self.taggers)

    def marginals(self, text: str):
        """(label, tokens, features, P(inside), B beats I) per paragraph and label; each
        paragraph's features are computed once for all the labels."""
        import pycrfsuite

        counts = word_counts(text)
        rules = rule_spans(text) if self.settings.rules else None
        for start, end in paragraphs(text):
            toks = tokens(text, start, end)
            if not toks:
                continue
            xseq = features(text, toks, counts, rules, self.settings)
            # Converted for CRFsuite once for all the labels; a single tagger converts the
            # list itself (an ItemSequence would be copied once more into it).
            items = pycrfsuite.ItemSequence(xseq) if len(self.taggers) > 1 else xseq
            positions = range(len(toks))
            for label, tagger in self.taggers.items():
                tagger.set(items)
                b = [tagger.marginal("B", k) for k in positions]
                inner = [tagger.marginal("I", k) for k in positions]
                inside = [x + y for x, y in zip(b, inner, strict=True)]
                begins = [x > y for x, y in zip(b, inner, strict=True)]
                yield label, toks, xseq, inside, begins

    def spans(self, text: str) -> list[tuple[int, int, str, float, Why]]:
        """(start, end, label, probability, why) for each tagged span, scored by the mean
        probability of its tokens, at the label's calibrated threshold (and extension) and
        within its calibrated lengths."""
        found = []
        for label, toks, xseq, inside, begins in self.marginals(text):
            threshold = self.thresholds.get(label, self.threshold)
            low = self.lows.get(label)
            shortest, longest = self.lengths.get(label, (MIN_SPAN_CHARS, None))
            for i, j, probability in candidates(text, toks, inside, begins, threshold, low):
                size = toks[j - 1][1] - toks[i][0]
                if size >= shortest and (longest is None or size <= longest):
                    why = self._why(label, xseq[i:j])
                    found.append((toks[i][0], toks[j - 1][1], label, probability, why))
        return found

    def _why(self, label: str, xseq: list[list[str]], words: int = 3, context: int = 2) -> Why:
        """The span's words with the highest positive weight (not function words), and the
        context attributes over it whose weight reaches REASON_WEIGHT, strongest first."""
        weights, named = self.weights[label], self.reasons[label]
        scored: dict[str, float] = {}
        reasons: dict[str, float] = {}
        for attributes in xseq:
            attribute = attributes[1]  # "w=" + the word (features() puts it there)
            word = attribute[2:]
            weight = weights.get(attribute, 0.0)
            if weight > 0 and word.isalpha() and word not in FUNCTION_WORDS:
                scored[word] = max(scored.get(word, 0.0), weight)
        # Each named attribute once, in the order the tokens first have it (of equal weights,
        # the reason named first stays first).
        for attribute in dict.fromkeys(filter(named.__contains__, chain.from_iterable(xseq))):
            text, weight = named[attribute]
            reasons[text] = max(reasons.get(text, 0.0), weight)
        return Why(_strongest(scored, words), _strongest(reasons, context))


def _strongest(scored: dict[str, float], count: int) -> list[str]:
    return [key for key, _ in sorted(scored.items(), key=lambda x: -x[1])[:count]]


def dumps(model: dict) -> bytes:
    payload = {
        "kind": model["kind"],
        "threshold": model["threshold"],
        "thresholds": model.get("thresholds", {}),
        "lows": model.get("lows", {}),
        "lengths": model.get("lengths", {}),
        **FeatureSettings.of(model).stored(),
        "labels": {label: data.hex() for label, data in model["labels"].items()},
    }
    return json.dumps(payload).encode()


def loads(data: bytes) -> dict:
    payload = json.loads(bytes(data))
    return {
        "kind": payload["kind"],
        "threshold": payload["threshold"],
        "thresholds": payload.get("thresholds", {}),
        "lows": payload.get("lows", {}),
        "lengths": payload.get("lengths", {}),
        **FeatureSettings.of(payload).stored(),
        "labels": {label: bytes.fromhex(value) for label, value in payload["labels"].items()},
    }
