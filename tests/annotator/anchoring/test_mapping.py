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


# A passage repeated in an article: each copy keeps its own place (the benchmark's four
# mis-anchored spans had these shapes; each of these placed the span on the other copy).


def _placed_at(old: str, new: str, quote: str, occurrence: int = 0) -> int | None:
    placement, _ = place(quote, old, new, occurrence)
    return placement.start if placement.state == ANCHORED else None


def _moved_letter() -> tuple[str, str, str, list[str]]:
    """A repeated letter whose first copy moved to the end: the wider context decides."""
    letter = (
        "Dear Cardinal Marx and dear Bishop Bode, there is only one Catholic answer: No!\n"
        "And your addition “in individual cases” is absolutely worthless."
    )
    first = f"Many wrote to the bishops, some of whom I do not know.\n{letter}"
    second = f"Here is the letter again, in full, as it was sent:\n------------------\n{letter}"
    parts = [
        first,
        "The conference of bishops did not answer any of the letters before the vote.",
        second,
        "The vote was postponed twice and finally held in June.",
    ]
    return "\n\n".join(parts), "\n\n".join(parts[1:] + parts[:1]), "No!", ["last", "first"]


def _renamed_neighbour() -> tuple[str, str, str, list[str]]:
    """The name beside one copy changed: the other copy, identical nearby, is not it."""
    said = "“Policies like background checks on all gun sales and Red Flag Laws save lives,” said"
    first = f"{said} Karen Freeman-Wilson, mayor of Gary, Ind.\n| M. Spencer Green, AP photo"
    second = f"In a statement. {said} Karen Freeman-Wilson, mayor of Gary, Indiana, and chair."
    intro = "Mayors gathered in Washington on Tuesday to press Congress on gun control"
    mid = "The meeting lasted three hours and ended without any agreement on the bill."
    old = "\n\n".join([intro, first, mid, second])
    new = "\n\n".join([mid, intro, first.replace("Freeman", "Islamic"), second])
    return old, new, "Red Flag Laws save lives", ["first", "last"]


@pytest.mark.parametrize("case", [_moved_letter, _renamed_neighbour])
def test_each_copy_of_a_repeated_passage_keeps_its_own_place(case):
    old, new, quote, places = case()
    for occurrence, where in enumerate(places):
        expected = new.index(quote) if where == "first" else new.rindex(quote)
        assert _placed_at(old, new, quote, occurrence) == expected


def test_an_occurrence_that_fits_another_copy_better_is_left_to_it():
    sentence = "The ATFP was originally Rashid Khalidi’s American Committee on Jerusalem."
    first = (
        f"She spoke at the American Task Force of Palestine gala.\n{sentence}\n"
        "She was there as a presenter at the dinner with others."
    )
    second = (
        f"He too spoke at the American Task Force of Palestine gala.\n{sentence}\n"
        "Khalidi was the former PLO spokesman in Beirut for years."
    )
    mid = "Both events were covered by the local press and drew protests outside the hotel."
    old = f"{first}\n\n{mid}\n\n{second}"
    # The first paragraph moved, with a new line above its sentence: its near prefix is gone,
    # and the second copy's prefix now looks like the first's.
    new = (
        f"{mid}\n\nMembers of front groups attended.\n\n{sentence}\n"
        f"She was there as a presenter at the dinner with others.\n\n{second}"
    )
    quote = "originally Rashid Khalidi’s American"
    assert _placed_at(old, new, quote) == new.index(quote)


# The paragraphs a revision changed (the suggesters read them again)


def _changed(old: str, new: str) -> list[str]:
    return [new[a:b] for a, b in Anchorer(old, new).changed_paragraphs()]


PARAGRAPHS = ["First paragraph here.", "Officials said 12 people died.", "Third one.", "Last."]


def test_changed_paragraphs_are_the_inserted_and_edited_lines_only():
    old = "\n\n".join(PARAGRAPHS)
    inserted = "\n\n".join(["A note was inserted.", *PARAGRAPHS])
    assert _changed(old, inserted) == ["A note was inserted."]
    edited = old.replace("12", "14")
    assert _changed(old, edited) == ["Officials said 14 people died."]
    # A whole paragraph deleted leaves no changed line; an unchanged text has none.
    assert _changed(old, "\n\n".join(PARAGRAPHS[:2] + PARAGRAPHS[3:])) == []
    assert _changed(old, old) == []
    appended = old + "\n\nA new last paragraph."
    assert _changed(old, appended) == ["A new last paragraph."]
