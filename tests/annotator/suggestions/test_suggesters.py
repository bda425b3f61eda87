"""Suggesters on plain strings: offsets are code points, spans and rationales make sense."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from annotator.suggestions.suggesters import disputed, http, learned, propaganda, sourced
from annotator.suggestions.suggesters.base import (
    SpanSuggestion,
    SuggesterError,
    chunks,
    segmentation,
)
from annotator.suggestions.suggesters.cues import DATA_DIR as DATA
from annotator.suggestions.suggesters.evaluation import evaluate
from corpus.models import normalize_newlines
from tests.factories import EMOJI_TEXT

DEMO = Path(__file__).resolve().parents[3] / "corpus/fixtures/demo"
ASTRAL = "🇰🇵😀𝔘𝔫𝔦 "


def spans_of(module, text):
    return [(text[s.start : s.end], s) for s in module.suggest(text)]


def test_sourced_span_runs_from_source_to_content_and_rationale_names_source():
    text = "In Seoul, Kim said he wanted closer ties with Moscow."
    [(quote, span)] = spans_of(sourced, text)
    assert quote == "Kim said he wanted closer ties with Moscow"
    assert span.label == "sourced"
    assert "Kim" in span.rationale and "said" in span.rationale


@pytest.mark.parametrize(
    ("text", "attribution", "source"),
    [
        (
            "According to US officials, the deal was signed in March.",
            "According to US officials, the deal was signed in March",
            "US officials",
        ),
        (
            "The deal was signed in March, according to US officials.",
            "The deal was signed in March, according to US officials",
            "US officials",
        ),
        (
            "Troops crossed the river at dawn, per KCNA Watch.",
            "Troops crossed the river at dawn, per KCNA Watch",
            "KCNA Watch",
        ),
        (
            "“The alliance will not bend,” said Dr. Soo-jin Park, an analyst.",
            "“The alliance will not bend,” said Dr. Soo-jin Park",
            "Soo-jin Park",
        ),
        (
            "Officials say the convoy was hit twice overnight.",
            "Officials say the convoy was hit twice overnight",
            "Officials",
        ),
        (
            "Troops crossed the river at dawn, a NATO spokesperson said.",
            "Troops crossed the river at dawn, a NATO spokesperson said",
            "NATO spokesperson",
        ),
        # Other tenses and verbs of the lexicon, "X told Y", cognition verbs.
        (
            "The minister had told reporters that talks were over.",
            "The minister had told reporters that talks were over",
            "minister",
        ),
        (
            "Clinton believes the trade deal hurt workers.",
            "Clinton believes the trade deal hurt workers",
            "Clinton",
        ),
        (
            "The mayor, who is saying the budget is broken, left early.",
            "who is saying the budget is broken, left early",
            "who",
        ),
        # An anonymous source.
        (
            "The plan was dropped, two officials who spoke on condition of anonymity added.",
            "The plan was dropped, two officials who spoke on condition of anonymity added",
            "officials",
        ),
    ],
)
def test_sourced_patterns(text, attribution, source):
    found = spans_of(sourced, text)
    assert [q for q, _ in found] == [attribution]
    assert source in found[0][1].rationale


def test_sourced_quotation_without_a_cue_is_suggested_whole():
    text = "The room went quiet.\n“We will not leave this city without a fight.”"
    [(quote, span)] = spans_of(sourced, text)
    assert quote == "“We will not leave this city without a fight.”"
    assert "quoted" in span.rationale


def test_sourced_lexicon_is_a_data_file_with_every_tense():
    lexicon = json.loads((DATA / "sourced.json").read_text(encoding="utf-8"))
    assert {"say", "said", "saying"} <= set(lexicon["verbs"]["say"]) | {"say"}
    assert "told" in lexicon["verbs"]["tell"] and "according to" in lexicon["prepositions"]
    assert lexicon["_source"]


def test_sourced_ignores_possessive_and_plain_sentences():
    assert sourced.suggest("North Korea’s reported combat losses rose sharply this week.") == []
    assert sourced.suggest("The river was calm and the bridge stood.") == []


def test_offsets_are_code_points_after_astral_characters():
    text = ASTRAL * 3 + "Officials said the troops moved north overnight. " + ASTRAL
    for module in (sourced, disputed, propaganda):
        for span in module.suggest(text):
            assert text[span.start : span.end].strip() == text[span.start : span.end]
    [(quote, _)] = spans_of(sourced, text)
    assert quote == "Officials said the troops moved north overnight"
    emoji = normalize_newlines(EMOJI_TEXT)
    quotes = [q for q, _ in spans_of(disputed, emoji)]
    assert quotes == ["Café owners 😀 reportedly denied it — “a lie”, per Zoë."]


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Six soldiers were reportedly killed in action.", "reportedly"),
        ("He allegedly ordered the strike himself.", "allegedly"),
        ("Russia is thought to be providing oil and cash.", "is thought to"),
        ("The ministry has denied sending any troops abroad.", "has denied"),
        ("There were unconfirmed reports of a strike on a depot.", "unconfirmed"),
        ("The move sparked speculation about a new offensive.", "speculation"),
        ("There have been credible reports of heavy losses.", "credible reports"),
        ("The army claims it destroyed forty tanks.", "claims"),
        ("The figures, disputed by the ministry, were published.", "disputed"),
        ("He said, without citing evidence, that the vote was rigged.", "without citing evidence"),
        (
            "The video has not been independently verified by reporters.",
            "has not been independently verified",
        ),
        ("The general is said to have fled across the border.", "is said to"),
        ("The fire was apparently started by a cigarette.", "apparently"),
        ("The new rules may slow the economy next year.", "may"),
        ("Officials could face charges over the spending.", "could"),
        ("The merger is likely to close by spring.", "likely"),
        ("Early results suggest the vaccine works in adults.", "suggest"),
        ("It is unclear whether the senator will run again.", "It is unclear whether"),
        ("She accused the mayor of hiding the report.", "accused"),
        ("The ad makes a misleading comparison of tax rates.", "misleading"),
    ],
)
def test_disputed_cues(text, cue):
    [(quote, span)] = spans_of(disputed, text)
    assert quote == text
    assert f"'{cue}'" in span.rationale


@pytest.mark.parametrize(
    "text",
    [
        "The vote took place on May 5 in the capital.",  # the month, not the modal
        "In May, the council met twice.",
        "From the hill she could see the river below.",  # ability, not a hedge
        "The senator could not be reached for comment.",
    ],
)
def test_disputed_leaves_months_abilities_and_unreachable_people_alone(text):
    assert spans_of(disputed, text) == []


def test_disputed_names_each_cue_once_the_longest_where_cues_overlap():
    [(_, span)] = spans_of(disputed, "The ministry rejected the claims as baseless.")
    assert "'rejected the claims'" in span.rationale and "'claims'" not in span.rationale
    [(_, span)] = spans_of(disputed, "The video could not be independently verified.")
    assert span.rationale == "Unverified (cue: 'could not be independently verified')."
    assert span.score == 0.8  # one cue, not one cue counted twice


def test_disputed_names_who_denies():
    [(_, span)] = spans_of(disputed, "North Korea has long denied sending combat troops abroad.")
    assert "Denied by North Korea" in span.rationale
    text = "Aid arrived.\nWhile North Korea has long denied sending troops, images show them."
    [(_, span)] = spans_of(disputed, text)
    assert "Denied by North Korea (cue: 'has long denied')" in span.rationale


def test_propaganda_names_technique_and_takes_whole_short_quote():
    text = "State media praised the “heroic sacrifice” of the men against “Western imperialist aggression.”"
    found = {q: s.rationale for q, s in spans_of(propaganda, text)}
    assert "loaded language" in found["heroic sacrifice"]
    assert "name calling" in found["Western imperialist aggression."]


@pytest.mark.parametrize(
    ("text", "technique"),
    [
        ("They are a pariah state.", "name calling"),
        ("Justice is sure to win, he wrote.", "slogan"),
        ("They will defend the homeland.", "flag-waving"),
        ("A dangerous escalation looms.", "appeal to fear"),
        ("It was an all-out struggle.", "exaggeration"),
    ],
)
def test_propaganda_techniques(text, technique):
    assert any(technique in s.rationale for s in propaganda.suggest(text))


def test_propaganda_lexicon_is_a_data_file():
    data = json.loads((DATA / "propaganda.json").read_text(encoding="utf-8"))
    assert {"loaded language", "name calling", "slogan", "flag-waving"} <= set(data["techniques"])


def test_segmentation_offsets_match_text_with_emoji():
    text = "Café 😀 said it. 𝔘𝔫𝔦 denied it!\nSecond para here. And more."
    sentences = segmentation(text).sentences()
    assert [text[s:e] for s, e in sentences] == [
        "Café 😀 said it.",
        "𝔘𝔫𝔦 denied it!",
        "Second para here.",
        "And more.",
    ]


def test_chunks_keep_offsets_and_cut_at_paragraphs():
    text = "\n".join(f"Paragraph {i} 😀 text." for i in range(200))
    pieces = chunks(text, 500)
    assert len(pieces) > 1
    assert all(len(piece) <= 500 for _, piece in pieces)
    assert "".join(piece for _, piece in pieces) == text
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert all(piece.endswith("\n") for _, piece in pieces[:-1])


def test_learned_is_silent_without_a_promoted_model(monkeypatch):
    monkeypatch.setattr(learned, "loader", lambda: None)
    learned.reset()
    assert learned.suggest("Officials said the troops arrived.") == []
    assert learned.version == "none"


class StubHandler(BaseHTTPRequestHandler):
    answers: list = []
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        StubHandler.received.append(body)
        status, payload = StubHandler.answers.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload if isinstance(payload, bytes) else json.dumps(payload).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_server(settings):
    server = HTTPServer(("127.0.0.1", 0), StubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    StubHandler.answers, StubHandler.received = [], []
    settings.SUGGESTER_HTTP_URL = f"http://127.0.0.1:{server.server_port}/suggest"
    yield StubHandler
    server.shutdown()
    server.server_close()


def test_http_suggester_posts_text_and_reads_spans(stub_server):
    text = "😀 Officials said so."
    stub_server.answers = [
        (200, {"spans": [{"start": 2, "end": 11, "label": "sourced", "score": 0.9}]})
    ]
    assert http.suggest(text) == [SpanSuggestion(2, 11, "sourced", 0.9, "From the HTTP suggester.")]
    assert stub_server.received == [{"text": text}]


def test_http_suggester_retries_server_errors(stub_server, monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0)
    stub_server.answers = [(503, {}), (200, {"spans": []})]
    assert http.suggest("text") == []
    assert len(stub_server.received) == 2


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"nope": []}, '"spans" list'),
        ({"spans": [{"start": 0, "end": 99, "label": "sourced"}]}, "outside the text"),
        ({"spans": [{"start": 0, "end": 2, "label": "gossip"}]}, "unknown label 'gossip'"),
        ({"spans": [{"start": "0", "end": 2, "label": "sourced"}]}, "must be integers"),
        (b"not json", "did not answer JSON"),
    ],
)
def test_http_suggester_refuses_bad_answers_clearly(stub_server, payload, message):
    stub_server.answers = [(200, payload)]
    with pytest.raises(SuggesterError, match=message):
        http.suggest("some text")


def test_http_suggester_times_out_and_names_url(settings, monkeypatch):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    settings.SUGGESTER_HTTP_URL = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    settings.SUGGESTER_HTTP_TIMEOUT = 0.2
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0)
    with pytest.raises(SuggesterError, match="failed after 3 attempts"):
        http.suggest("text")
    listener.close()


def test_http_suggester_is_a_no_op_without_url(settings):
    settings.SUGGESTER_HTTP_URL = ""
    assert http.suggest("Officials said so.") == []


def test_evaluate_exact_and_overlap():
    records = [
        {
            "text": "x" * 50,
            "spans": [
                {"start": 0, "end": 10, "label": "sourced"},
                {"start": 20, "end": 30, "label": "disputed"},
            ],
        }
    ]
    predictions = [[(0, 10, "sourced"), (22, 28, "disputed"), (40, 45, "disputed")]]
    scores = evaluate(records, predictions)
    assert scores["exact"]["sourced"]["f1"] == 1.0
    assert scores["exact"]["disputed"]["precision"] == 0.0
    assert scores["overlap"]["disputed"]["precision"] == 0.5
    assert scores["overlap"]["disputed"]["recall"] == 1.0
    assert scores["exact"]["micro"]["precision"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "text",
    [
        "HEROIC defenders and Brutal thugs; heroic-ish is not a match.",
        # Lowercasing "İ" makes two code points: the original text is matched instead.
        "İstanbul's BRUTAL regime, Heroic Defenders.",
        "Emoji 😀 then Heroic 🎖️ defenders.",
    ],
)
def test_lexicon_terms_match_case_insensitively_at_original_offsets(text):
    from annotator.suggestions.suggesters.lexicon import Terms, lowered_text

    terms = Terms([r"heroic(?: \w+)?", "brutal", r"thugs?(?=\W)"])
    expected = [m.span() for m in re.finditer(terms.ignorecase.pattern, text, re.IGNORECASE)]
    got = list(terms.spans(text, lowered_text(text)))
    assert got == expected and got
    start, end = got[0]
    assert text[start:end].lower().startswith(("heroic", "brutal"))


def test_terms_find_what_one_alternation_finds_when_prefixes_overlap():
    from annotator.suggestions.suggesters.lexicon import Terms, lowered_text

    # "a p" (of "a person familiar") starts two characters before "par" (of "pariah"), and
    # r"\w+ state" cannot be listed by prefix: both must still be found as re would.
    other = Terms(["a person familiar with", "no evidence"])
    terms = Terms([r"pariah (?:states?|regimes?)", r"rogue \w+", r"(?:\w+ )?puppet", "a pa"])
    text = "They are a pariah state and a rogue regime, no evidence, a puppet. A Pariah Regime."
    lowered = lowered_text(text)
    expected = [m.span() for m in re.finditer(terms.ignorecase.pattern, text, re.IGNORECASE)]
    assert list(terms.spans(text, lowered)) == expected
    assert [text[s:e] for s, e in expected][:2] == ["pariah state", "rogue regime"]
    assert list(other.spans(text, lowered)) == [(44, 55)]


def test_propaganda_phrase_keeps_every_rationale_and_trims_punctuation():
    text = "They hailed the brutal, cruel regime! Is this really a coincidence?"
    found = spans_of(propaganda, text)
    quotes = [q for q, _ in found]
    assert quotes == ["They hailed the brutal, cruel regime!", "Is this really a coincidence?"]
    rationale = found[0][1].rationale
    assert "exclamation" in rationale and "'brutal'" in rationale and "'cruel'" in rationale
    assert "doubt" in found[1][1].rationale
    assert found[0][1].score > found[1][1].score  # more cues, higher score
    for quote in quotes:
        assert quote == quote.strip(" ,;:") and quote


def test_every_lexicon_finds_what_its_one_alternation_finds_on_dense_text():
    import random

    from annotator.management.commands.generate_corpus import article
    from annotator.suggestions.suggesters.lexicon import lowered_text

    rng = random.Random(3)
    texts = [article(rng, 3000, emoji=i % 2 == 0) for i in range(6)]
    texts += [normalize_newlines(p.read_text(encoding="utf-8")) for p in sorted(DEMO.glob("*.txt"))]
    lexicons = [sourced.VERBS, sourced.PREPOSITIONS, sourced.ANONYMOUS]
    lexicons += [terms for _, _, terms in disputed.CUES + propaganda.TECHNIQUES]
    found = 0
    for text in texts:
        lowered = lowered_text(text)
        for terms in lexicons:
            expected = [m.span() for m in terms.ignorecase.finditer(text)]
            assert list(terms.spans(text, lowered)) == expected
            found += len(expected)
    assert found > 500


def _speaker_searched_everywhere(text, position, window=80):
    """source_before as it was before the search was narrowed: the reference."""
    from annotator.suggestions.suggesters.cues import SOURCE_BEFORE, speaker

    return speaker(SOURCE_BEFORE.search(text, max(0, position - window), position))


def test_speaker_before_a_cue_is_the_one_a_search_of_the_whole_window_finds():
    import random

    from annotator.management.commands.generate_corpus import article
    from annotator.suggestions.suggesters.cues import source_before

    rng = random.Random(5)
    texts = [article(rng, 2000, emoji=i % 2 == 0) for i in range(3)]
    texts += [normalize_newlines(p.read_text(encoding="utf-8")) for p in sorted(DEMO.glob("*.txt"))]
    texts.append(
        "Mr. John Smith of the Ministry of Defense of the United Kingdom has long denied it; "
        "“(Reuters) The White House has not said, he would later say. (the spokesperson said"
    )
    # A speaker at the very start of the text, and one starting exactly where the window does.
    texts += ["He said so.", "zz " + " ".join(["Aaaaaaaaa"] * 8) + " said so."]
    found = 0
    for text in texts:
        for position in [m.start() for m in re.finditer(r"(?<=\s)\S", text)]:
            expected = _speaker_searched_everywhere(text, position)
            assert source_before(text, position) == expected, (text[:position][-80:], expected)
            found += expected is not None
    assert found > 100
