"""Journey: articles in any script (issue 17 item 7). Right-to-left text (Arabic, Hebrew) runs
right to left, paragraph by paragraph; selecting a phrase and pressing a label's key stores
code-point offsets, whatever the UTF-16 length of what comes before (CJK beyond the BMP,
combining marks, emoji with modifiers and joiners)."""

import pytest
from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER, char_rect, select_phrase
from tests.factories import DocumentFactory, UserFactory

pytestmark = BROWSER

ARABIC = (
    "قال المتحدث باسم الوزارة إن القوات انسحبت من المدينة، وفق ما نقلته وكالة رويترز.\n\n"
    "An English paragraph stays left to right."
)
HEBREW = "👍🏽 לדברי הדובר, הצבא נסוג מהעיר אתמול בלילה על פי דיווח של סוכנות הידיעות."
CJK = "𠮷野家的老闆說，據報導官員表示部隊已經撤離該城市。中国語の記事も同じです。"
MARKS = "The cafe\u0301 owner said 👨‍👩‍👧 families were told the re\u0301sume\u0301 story was true."


def _open(page, login, text: str, language: str):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=text, language=language)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.wait_for_selector("#doc-text")
    return document


def _tag(page, phrase: str, rtl: bool = False) -> Annotation:
    before = Annotation.objects.count()
    select_phrase(page, phrase, rtl=rtl)
    page.keyboard.press("1")
    expect(page.locator(".ann-list .ann-row")).to_have_count(before + 1)
    return Annotation.objects.latest("pk")


def _direction_of(page, phrase: str) -> dict:
    """Where the phrase's first character sits in #doc-text: near the right edge or the left."""
    return char_rect(page, phrase)


@pytest.mark.parametrize(
    ("text", "language", "phrase"),
    [(ARABIC, "ar", "انسحبت من المدينة"), (HEBREW, "he", "הצבא נסוג מהעיר")],
)
def test_right_to_left_article_runs_right_to_left_and_stores_code_points(
    page, login, problems, text, language, phrase
):
    _open(page, login, text, language)
    expect(page.locator("#doc-text")).to_have_attribute("dir", "auto")
    first = _direction_of(page, text.split()[1] if language == "he" else text[:3])
    assert first["direction"] == "rtl"
    assert first["fromRight"] < 40 < first["fromLeft"]  # starts at the right edge
    annotation = _tag(page, phrase, rtl=True)
    start = text.index(phrase)
    assert (annotation.start, annotation.end, annotation.quote) == (
        start,
        start + len(phrase),
        phrase,
    )
    if language == "ar":  # the English paragraph below keeps its own direction
        english = _direction_of(page, "An English")
        assert english["fromLeft"] < 5 < english["fromRight"]
        # keyboard only: find the agency's name and tag it
        page.keyboard.press("/")
        page.keyboard.type("وكالة رويترز")
        page.keyboard.press("Enter")
        page.keyboard.press("2")
        expect(page.locator(".ann-list .ann-row")).to_have_count(2)
        agency = text.index("وكالة رويترز")
        assert Annotation.objects.filter(
            start=agency, end=agency + 12, label__slug="disputed"
        ).exists()
    assert problems == []


@pytest.mark.parametrize(
    ("text", "language", "phrases"),
    [
        (CJK, "zh", ["官員表示部隊", "中国語の記事"]),
        (MARKS, "en", ["owner said", "families were told the re\u0301sume\u0301 story"]),
    ],
)
def test_cjk_combining_marks_and_emoji_store_code_points(
    page, login, problems, text, language, phrases
):
    _open(page, login, text, language)
    for phrase in phrases:
        annotation = _tag(page, phrase)
        start = text.index(phrase)
        # UTF-16 would count 𠮷 and each emoji part twice; the server stores code points
        assert (annotation.start, annotation.end, annotation.quote) == (
            start,
            start + len(phrase),
            phrase,
        )
    assert problems == []
