"""Placing spans of an old text in a new one, on plain strings (no database)."""

import pytest

from annotator.anchoring.mapping import ANCHORED, ORPHAN, TEXT_CHANGED, Anchorer

OLD = (
    "Storm hits the coast\n\n"
    "Officials said 12 people died in the storm on Tuesday, according to the governor.\n\n"
    "The mayor claimed the city was fully prepared for the disaster.\n\n"
    "Rescue teams 👋🏽 arrived from שלום nearby towns, e\u0301tonnants, in the evening.\n\n"
    "Officials said the port would reopen on Friday."
)
NEW = (
    "Storm hits the coast\n\n"
    "An editor's note was inserted above the story, with a correction.\n\n"
    "Officials said 14 people died in the storm on Tuesday, according to the governor.\n\n"
    "Rescue teams 👋🏽 arrived from שלום nearby towns, e\u0301tonnants, in the evening.\n\n"
    "Officials said the port would reopen on Friday."
)


def place(quote: str, old: str = OLD, new: str = NEW, occurrence: int = 0):
    start = -1
    for _ in range(occurrence + 1):
        start = old.index(quote, start + 1)
    placement = Anchorer(old, new).place(start, start + len(quote), quote)
    text = new[placement.start : placement.end] if placement.placed else None
    return placement, text


@pytest.mark.parametrize(
    "quote",
    [
        "Storm hits",
        "Rescue teams 👋🏽 arrived",
        "שלום",
        "e\u0301tonnants",
        "reopen on Friday",
        "according to the governor",
    ],
)
def test_unchanged_words_stay_on_the_same_words(quote):
    placement, text = place(quote)
    assert placement.state == ANCHORED
    assert text == quote
    assert placement.confidence >= 0.5


def test_a_repeated_quote_goes_to_the_occurrence_with_its_context():
    placement, _ = place("Officials said", occurrence=1)
    assert NEW[placement.start :].startswith("Officials said the port")


def test_an_edited_figure_is_flagged_text_changed_on_the_edited_words():
    placement, text = place("Officials said 12 people died in the storm")
    assert placement.state == TEXT_CHANGED
    assert placement.method == "fuzzy"
    assert text == "Officials said 14 people died in the storm"
    assert 0.8 <= placement.confidence < 1


def test_a_deleted_sentence_is_an_orphan():
    placement, text = place("The mayor claimed the city was fully prepared for the disaster.")
    assert placement.state == ORPHAN and text is None
    assert placement.start is None


def test_a_short_quote_whose_context_is_gone_is_not_guessed():
    old = "The toll was 12 on Monday. Weather was calm."
    new = "Nobody knows. 12 Weather was calm."
    placement, _ = place("12", old, new)
    # "12" appears once in the new text but its sentence is gone: never attached to it.
    assert placement.state == ORPHAN


def test_a_moved_paragraph_keeps_its_spans_exactly():
    first = "The minister resigned after the vote on Monday evening in parliament."
    second = "Markets fell sharply as investors feared a long political crisis ahead."
    old, new = f"{first}\n\n{second}", f"{second}\n\n{first}"
    placement, text = place("resigned after the vote", old, new)
    assert (placement.state, text) == (ANCHORED, "resigned after the vote")
    placement, text = place("investors feared", old, new)
    assert (placement.state, text) == (ANCHORED, "investors feared")


def test_a_quote_that_does_not_match_its_offsets_is_never_moved():
    placement = Anchorer(OLD, NEW).place(0, 5, "Other")
    assert placement.state == ORPHAN


def test_fuzzy_match_keeps_whole_emoji_and_combining_characters():
    old = "Crowds cheered 👋🏽 the e\u0301quipe as it won the final match."
    new = "Crowds cheered 👋🏽 the e\u0301quipes as it won the last match."
    placement, text = place("cheered 👋🏽 the e\u0301quipe as it won the final", old, new)
    assert placement.state == TEXT_CHANGED
    assert text == "cheered 👋🏽 the e\u0301quipes as it won the last"


def test_a_whole_rewrite_orphans_rather_than_misplaces():
    old = "The council approved the budget of four million for new schools and roads."
    new = "Weather: sunny spells with light winds from the west, highs of twenty degrees."
    placement, _ = place("approved the budget of four million", old, new)
    assert placement.state == ORPHAN
