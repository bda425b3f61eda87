"""The README's two pictures, taken from a real page: the document page (badges, a fourth
label added as data, overlapping spans, an Arabic paragraph right to left, a suggestion, the
sidebar, the Undo/Redo buttons) and the compare page (two reviewers, agreed and disagreed).

    UPDATE_README_SCREENSHOT=1 .venv/bin/python -m pytest tests/browser/test_readme_screenshot.py

writes static/docs/screenshot.png and static/docs/compare.png; without the variable the pages
are only checked (and the pictures kept in tests/browser/screenshots/)."""

import os
import shutil
from pathlib import Path

from playwright.sync_api import expect

from annotator.annotations.services import annotation_create
from annotator.models import Assignment, Label
from tests.browser.conftest import BROWSER, char_rect, screenshot
from tests.factories import CollectionFactory, DocumentFactory, SuggestionFactory, UserFactory

pytestmark = BROWSER

DOCS = Path(__file__).resolve().parents[2] / "static" / "docs"
TEXT = (
    "Troops crossed the border at dawn, according to Reuters, while the ministry denied the "
    "report and called it “a total fabrication”.\n\n"
    "State television said the heroic defenders would crush the invaders within days.\n\n"
    "قال المتحدث باسم الوزارة إن القوات انسحبت، وفقا لرويترز، يوم الثلاثاء.\n\n"
    "The minister joked that the sea would be moved inland by Tuesday."
)


def _tag(document, user, phrase: str, label: str):
    start = document.text.index(phrase)
    return annotation_create(
        document=document, created_by=user, start=start, end=start + len(phrase), label=label
    )


def _keep(shot: Path, name: str) -> None:
    if os.environ.get("UPDATE_README_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / name)


def test_readme_screenshots(page, login, problems):
    page.set_viewport_size({"width": 1300, "height": 820})
    lena = UserFactory(username="lena", role="lead")
    omar = UserFactory(username="omar", role="reviewer")
    Label.objects.create(
        name="Satire", slug="satire", badge="Sa", colour="#009E73", shortcut="4", order=4
    )
    collection = CollectionFactory(slug="newsroom", name="Newsroom")
    document = DocumentFactory(text=TEXT, collection=collection, title="Border report")
    for reviewer in (lena, omar):
        Assignment.objects.create(document=document, reviewer=reviewer)
    _tag(document, lena, "according to Reuters", "sourced")
    _tag(document, omar, "according to Reuters", "sourced")
    _tag(document, lena, "the ministry denied the report", "disputed")
    _tag(document, lena, "Troops crossed the border at dawn, according to Reuters", "disputed")
    _tag(document, lena, "heroic defenders would crush the invaders", "propaganda")
    _tag(document, omar, "heroic defenders", "propaganda")
    _tag(document, lena, "وفقا لرويترز", "sourced")
    _tag(document, lena, "the sea would be moved inland by Tuesday", "satire")
    start = TEXT.index("a total fabrication")
    SuggestionFactory(document=document, start=start, end=start + 19)

    login(lena)
    page.goto(f"/documents/{document.pk}/")
    page.wait_for_selector("#doc-text mark.l-satire")
    expect(page.locator("#doc-text mark.sug").first).to_be_visible()
    expect(page.locator(".ann-list .ann-row")).to_have_count(8)  # a lead sees both
    expect(page.locator("#undo-btn")).to_be_visible()
    # the Arabic paragraph runs right to left: its first word is right of its last
    assert char_rect(page, "قال")["left"] > char_rect(page, "الثلاثاء", last=True)["left"]
    _keep(screenshot(page, "readme-document"), "screenshot.png")

    page.goto(f"/review/documents/{document.pk}/compare/")
    expect(page.get_by_text("agreed", exact=True).first).to_be_visible()
    expect(page.get_by_text("disagreement", exact=True).first).to_be_visible()
    _keep(screenshot(page, "readme-compare"), "compare.png")
    assert problems == []
