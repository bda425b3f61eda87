"""Issue 17 "Done when", keyboard only: add a fourth label in the admin and tag with it
(coloured, its own badge), reshape a span, undo and redo three steps, search and tag a
phrase, upload two files as a lead with progress, tag a phrase in an Arabic article.
Nothing is clicked: Tab, typed text, Enter and the page's keys (the file chooser, a system
dialog, is answered with set_input_files; so is the colour chooser)."""

from playwright.sync_api import expect

from annotator.models import Annotation, Label
from corpus.models import Document
from tests.browser.conftest import BROWSER, PASSWORD
from tests.browser.walks import (
    ARABIC,
    SATIRE_GREEN,
    UPLOADS,
    satire_style,
    spans,
    walk_setup,
)

pytestmark = BROWSER


def tab_to(page, selector: str, limit: int = 300) -> None:
    """Press Tab until `selector` has the focus (as a keyboard user does)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def find_and_select(page, phrase: str) -> None:
    page.keyboard.press("/")
    page.keyboard.type(phrase)
    page.keyboard.press("Enter")  # selects the match and leaves the field: keys act on the text


def test_keyboard_only_walk(page, problems, settings):
    settings.SUGGEST_ON_IMPORT = False  # no worker here; the upload view's own tests queue
    admin, collection, english, arabic = walk_setup()
    page.goto("/accounts/login/")
    tab_to(page, "#id_username")
    page.keyboard.type(admin.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # 1. a fourth label, in the admin
    page.goto("/admin/annotator/label/add/")
    tab_to(page, "#id_name")
    page.keyboard.type("Satire")
    tab_to(page, "#id_badge")
    page.keyboard.type("Sa")
    tab_to(page, "#id_colour")
    page.fill("#id_colour", "#009e73")  # the colour chooser is a system dialog, like files'
    tab_to(page, "#id_shortcut")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/annotator/label/")
    assert Label.objects.filter(slug="satire", shortcut="4").exists()

    # 2. search a phrase and tag it with the new label
    page.goto(f"/documents/{english.pk}/")
    page.wait_for_selector("#doc-text")
    find_and_select(page, "according to")
    expect(page.locator("#search-info")).to_contain_text("Match 1 of 1")
    page.keyboard.press("4")
    page.locator("#doc-text mark.ann.l-satire").first.wait_for()
    satire = Annotation.objects.get(label__slug="satire")
    assert satire_style(page, satire.pk) == {
        "line": SATIRE_GREEN,
        "badge": SATIRE_GREEN,
        "letter": '"Sa"',
    }

    # 3. reshape it: Tab to the highlight, Ctrl+Alt+Shift+→ takes the next word
    tab_to(page, f"#a-{satire.pk}")
    page.keyboard.press("Control+Alt+Shift+ArrowRight")
    expect(page.locator(f"#row-{satire.pk} q")).to_have_text("according to Reuters")

    # 4. one more search-and-tag, then undo three steps and redo them
    find_and_select(page, "the troops")
    page.keyboard.press("2")
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)
    both = {("satire", "according to Reuters"), ("disputed", "the troops")}
    assert spans() == both
    page.keyboard.press("Control+z")
    expect(page.locator(".ann-list .ann-row")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(page.locator(f"#row-{satire.pk} q")).to_have_text("according to")
    page.keyboard.press("Control+z")
    expect(page.locator(".ann-list .ann-row")).to_have_count(0)
    assert spans() == set()
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".ann-list .ann-row")).to_have_count(1)
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(f"#row-{satire.pk} q")).to_have_text("according to Reuters")
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)
    assert spans() == both

    # 5. an Arabic article: find and tag a phrase; the right code points are stored
    page.goto(f"/documents/{arabic.pk}/")
    page.wait_for_selector("#doc-text")
    find_and_select(page, "وفقا لرويترز")
    page.keyboard.press("1")
    page.locator("#doc-text mark.ann.l-sourced").first.wait_for()
    tagged = Annotation.objects.get(document=arabic)
    assert (tagged.start, tagged.quote) == (ARABIC.index("وفقا"), "وفقا لرويترز")
    assert page.locator("#doc-text").evaluate("t => getComputedStyle(t).direction") == "rtl"

    # 6. as a lead, upload two files with the keyboard: progress, then the counts
    page.goto(f"/review/collections/{collection.slug}/")
    page.set_input_files("#upload-files", files=UPLOADS)
    tab_to(page, "#upload-submit")
    page.keyboard.press("Enter")
    items = page.locator("#upload-list .upload-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("wire.jsonl: 2 new")
    expect(items.nth(1)).to_contain_text("note.txt: 1 new")
    assert page.locator("#upload-list progress").evaluate_all("bars => bars.map(b => b.value)") == [
        100,
        100,
    ]
    assert Document.objects.filter(collection=collection).count() == 5
    assert problems == []
