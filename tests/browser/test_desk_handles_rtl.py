"""Journey: in an Arabic article (right to left) the drag handles sit at the logical start
(right edge) and end (left edge) of a highlight; dragging them stores the right code points
(issue 17 items 2 and 7)."""

from playwright.sync_api import expect

from annotator.annotations.services import annotation_create
from annotator.models import Annotation
from tests.browser.conftest import BROWSER, char_rect
from tests.factories import DocumentFactory, UserFactory

pytestmark = BROWSER

# An emoji first: code points and UTF-16 units differ from then on.
TEXT = "قال 😀 المسؤولون إن القوات وصلت، وفقا لرويترز، يوم الثلاثاء."


def _char_box(page, phrase: str, last: bool) -> dict:
    """Inside the first (or last) character of `phrase`, near its logical edge: in right to
    left text the start of a character is its right edge, its end the left one."""
    r = char_rect(page, phrase, last)
    return {"x": r["left"] + 1 if last else r["right"] - 1, "y": r["top"] + r["height"] / 2}


def _handles_at(page, word: str) -> None:
    first, last = char_rect(page, word), char_rect(page, word, last=True)
    end = page.locator(".reshape-handle.end").bounding_box()
    start = page.locator(".reshape-handle.start").bounding_box()
    assert abs(end["x"] + end["width"] / 2 - last["left"]) <= 2
    assert abs(start["x"] + start["width"] / 2 - first["right"]) <= 2


def _drag(page, edge: str, to: dict) -> None:
    box = page.locator(f".reshape-handle.{edge}").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(to["x"], to["y"], steps=6)
    page.mouse.up()


def test_drag_handles_in_right_to_left_text(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT, language="ar")
    start = TEXT.index("وفقا")
    annotation = annotation_create(
        document=document, created_by=reviewer, start=start, end=start + 4, label="sourced"
    )
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    mark = page.locator(f"#a-{annotation.pk}")
    mark.focus()
    end = page.locator(".reshape-handle.end")
    expect(end).to_be_visible()
    # the end handle on the last letter's left edge, the start handle on the first's right
    _handles_at(page, "وفقا")

    _drag(page, "end", _char_box(page, "لرويترز", last=True))
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("وفقا لرويترز")
    mark.focus()
    _drag(page, "start", _char_box(page, "القوات", last=False))
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("القوات وصلت، وفقا لرويترز")
    saved = Annotation.objects.get()
    # code points: the emoji counts one
    assert saved.start == TEXT.index("القوات") == len(TEXT[: TEXT.index("القوات")])
    assert saved.end == TEXT.index("لرويترز") + len("لرويترز")
    assert saved.quote == TEXT[saved.start : saved.end]
    assert saved.version == annotation.version + 2
    assert problems == []


MIXED = "The agency wrote «قال المسؤولون إن القوات وصلت، وفقا لرويترز» on Tuesday 😀 morning."


def test_drag_handles_on_an_arabic_quote_in_an_english_article(page, login, problems):
    """The paragraph runs left to right, the quote inside it right to left: the handles
    follow the quote's own direction, not the paragraph's."""
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=MIXED, language="en")
    start = MIXED.index("وفقا")
    annotation = annotation_create(
        document=document, created_by=reviewer, start=start, end=start + 4, label="sourced"
    )
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    assert char_rect(page, "وفقا")["direction"] == "ltr"
    mark = page.locator(f"#a-{annotation.pk}")
    mark.focus()
    end = page.locator(".reshape-handle.end")
    expect(end).to_be_visible()
    # the end handle on the last letter's left edge, the start handle on the first's right
    _handles_at(page, "وفقا")
    to = _char_box(page, "لرويترز", last=True)
    _drag(page, "end", to)
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("وفقا لرويترز")
    saved = Annotation.objects.get()
    assert (saved.start, saved.end) == (start, MIXED.index("»"))
    assert problems == []
