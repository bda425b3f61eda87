"""Journey: the selection survives the note panel, and a drag that starts on a highlight's
first character selects what was dragged (issue 17, item 9)."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER, select_phrase
from tests.factories import AnnotationFactory, DocumentFactory, SuggestionFactory, UserFactory

pytestmark = BROWSER

ARTICLE = (
    "Troops crossed the border at dawn, according to the defence ministry.\n\n"
    "Officials in Seoul said the claims were “a total fabrication”.\n"
)


def _open(page, login, document, reviewer):
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.wait_for_selector("#doc-text")


def test_note_typed_after_selecting_keeps_the_selection(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=ARTICLE)
    _open(page, login, document, reviewer)
    select_phrase(page, "a total fabrication")
    page.click(".toolbar .extra summary")
    page.fill("#new-note", "Quoted from the ministry's statement.")
    page.fill("#new-evidence", "https://example.com/statement")
    page.click(".label-btn[data-label=disputed]")
    page.locator("#doc-text mark.ann.l-disputed").first.wait_for()
    annotation = Annotation.objects.get()
    assert annotation.quote == "a total fabrication"
    assert annotation.note == "Quoted from the ministry's statement."
    assert annotation.evidence_url == "https://example.com/statement"
    assert problems == []


def test_drag_from_an_annotations_first_character_selects_the_dragged_text(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=ARTICLE)
    start = ARTICLE.index("according")
    AnnotationFactory(document=document, created_by=reviewer, start=start, end=start + 33)
    _open(page, login, document, reviewer)
    select_phrase(page, "according to")
    page.keyboard.press("2")
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)
    assert set(Annotation.objects.values_list("quote", flat=True)) == {
        "according to the defence ministry",
        "according to",
    }
    assert problems == []


def test_drag_from_a_suggestions_first_character_selects_the_dragged_text(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=ARTICLE)
    start = ARTICLE.index("according")
    SuggestionFactory(document=document, start=start, end=start + 33)
    _open(page, login, document, reviewer)
    select_phrase(page, "according to")
    page.keyboard.press("1")
    page.locator("#doc-text mark.ann").first.wait_for()
    assert list(Annotation.objects.values_list("quote", flat=True)) == ["according to"]
    assert problems == []
