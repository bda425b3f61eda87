"""Journey: focus a highlight, drag its end handle and then its start handle with the mouse;
the server recomputes the quote (issue 17 item 2, reshape by mouse)."""

from playwright.sync_api import expect

from annotator.annotations.services import annotation_create
from annotator.models import Annotation
from tests.browser.conftest import BROWSER, char_rect
from tests.factories import DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = "Officials said the 😀 troops arrived, according to Reuters, on Tuesday."


def _char_box(page, phrase: str, last: bool) -> dict:
    r = char_rect(page, phrase, last)
    return {"x": r["right"] - 1 if last else r["left"] + 1, "y": r["top"] + r["height"] / 2}


def _drag(page, edge: str, to: dict) -> None:
    box = page.locator(f".reshape-handle.{edge}").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(to["x"], to["y"], steps=6)
    page.mouse.up()


def test_drag_handles_move_the_end_and_the_start(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    start = TEXT.index("according to")
    annotation = annotation_create(
        document=document, created_by=reviewer, start=start, end=start + 12, label="sourced"
    )
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.locator(f"#a-{annotation.pk}").focus()
    expect(page.locator(".reshape-handle.end")).to_be_visible()
    _drag(page, "end", _char_box(page, "Reuters", last=True))
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("according to Reuters")
    page.locator(f"#a-{annotation.pk}").focus()
    _drag(page, "start", _char_box(page, "troops", last=False))
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text(
        "troops arrived, according to Reuters"
    )
    saved = Annotation.objects.get()
    assert (saved.start, saved.quote) == (
        TEXT.index("troops"),
        "troops arrived, according to Reuters",
    )
    assert saved.version == annotation.version + 2
    assert problems == []
