"""Journey: log in, open a document from the queue, select phrases with the mouse, tag them
with the keyboard (also after an emoji, and overlapping), reload and find them saved."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER, screenshot, select_phrase
from tests.factories import EMOJI_TEXT, CollectionFactory, DocumentFactory, UserFactory

pytestmark = BROWSER

ARTICLE = (
    "Troops crossed the border at dawn, according to the defence ministry.\n\n"
    "Officials in Seoul said the claims were “a total fabrication”.\n"
    "The glorious heroes will crush the fascist invaders, state media declared."
)


def test_tag_with_mouse_and_keyboard(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    collection = CollectionFactory(slug="demo", name="Demo")
    document = DocumentFactory(collection=collection, title="Troops at the border", text=ARTICLE)
    DocumentFactory(collection=collection, title="Emoji report", text=EMOJI_TEXT)

    login(reviewer)
    page.wait_for_selector("table.queue")
    screenshot(page, "queue")
    # keyboard in the queue: j moves to the first row, Enter opens it
    page.keyboard.press("j")
    assert page.locator("tr.queue-row.current a.open").text_content() == "Troops at the border"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/documents/{document.pk}/")
    page.wait_for_selector("#doc-text")

    select_phrase(page, "according to the defence ministry")
    page.keyboard.press("1")
    mark = page.locator("#doc-text mark.ann.l-sourced")
    mark.first.wait_for()
    assert "".join(mark.all_text_contents()) == "according to the defence ministry"
    expect(page.locator(".ann-list .ann-row")).to_have_count(1)

    # overlapping: the whole first sentence, tagged disputed, nests around the first span
    select_phrase(page, "Troops crossed the border at dawn, according to the defence ministry.")
    page.keyboard.press("2")
    page.locator("#doc-text mark.ann.l-disputed").first.wait_for()
    # both spans cover "according…": two nested marks, on two underline lanes
    nested = page.locator("#doc-text mark.ann > mark.ann")
    assert nested.count() == 1 and nested.text_content() == "according to the defence ministry"
    expect(page.locator("#doc-text mark.lane-1")).to_have_count(1)
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)

    # a selection that starts and ends inside existing highlights, with the label button
    select_phrase(page, "dawn, according")
    page.click(".label-btn[data-label=propaganda]")
    page.locator("#doc-text mark.ann.l-propaganda").first.wait_for()

    page.reload()
    page.wait_for_selector("#doc-text mark.l-propaganda")
    expect(page.locator(".ann-list .ann-row")).to_have_count(3)
    quotes = set(Annotation.objects.values_list("label__slug", "quote", "start", "end"))
    start = ARTICLE.index("according")
    assert quotes == {
        ("sourced", "according to the defence ministry", start, start + 33),
        ("disputed", ARTICLE[: ARTICLE.index("\n")], 0, ARTICLE.index("\n")),
        ("propaganda", "dawn, according", ARTICLE.index("dawn"), ARTICLE.index("dawn") + 15),
    }
    screenshot(page, "document")  # the README's picture: tests/browser/test_readme_screenshot.py
    assert problems == []


def test_tag_after_emoji_uses_code_points(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(title="Emoji report", text=EMOJI_TEXT)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")

    # drag a little wider than the phrase: surrounding spaces are trimmed
    select_phrase(page, " reportedly denied it ")
    page.keyboard.press("2")
    page.locator("#doc-text mark.l-disputed").first.wait_for()
    select_phrase(page, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢")
    page.keyboard.press("3")
    page.locator("#doc-text mark.l-propaganda").first.wait_for()
    select_phrase(page, "e\u0301t\u0301e\u0301")
    page.keyboard.press("1")
    page.locator("#doc-text mark.l-sourced").first.wait_for()

    text = document.text  # stored with \n line ends
    for slug, phrase in [
        ("disputed", "reportedly denied it"),
        ("propaganda", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"),
        ("sourced", "e\u0301t\u0301e\u0301"),
    ]:
        annotation = Annotation.objects.get(label__slug=slug)
        assert annotation.quote == phrase
        assert annotation.start == text.index(phrase)  # code points, not UTF-16 units
        assert text[annotation.start : annotation.end] == phrase
    page.reload()
    assert page.locator("#doc-text mark.l-disputed").text_content() == "reportedly denied it"
    assert problems == []
