"""Issue 17 "Done when", mouse only: add a fourth label in the admin and tag with it
(coloured, its own badge), reshape a span by its handle, undo and redo three steps with the
toolbar's buttons, search and tag a phrase, upload two files as a lead with progress, tag a
phrase in an Arabic article. No key is pressed: clicks and drags (text goes into fields as a
user types it; the file chooser, a system dialog, is answered with set_input_files)."""

from playwright.sync_api import expect

from annotator.models import Annotation, Label
from corpus.models import Document
from tests.browser.conftest import BROWSER, PASSWORD, char_rect, select_phrase
from tests.browser.walks import ARABIC, SATIRE_GREEN, UPLOADS, satire_style, spans, walk_setup

pytestmark = BROWSER


def drag_end_handle_to_the_end_of(page, word: str) -> None:
    handle = page.locator(".reshape-handle.end").bounding_box()
    target = char_rect(page, word, last=True)
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["right"] - 1, target["top"] + target["height"] / 2, steps=6)
    page.mouse.up()


def test_mouse_only_walk(page, problems, settings):
    settings.SUGGEST_ON_IMPORT = False  # no worker here; the upload view's own tests queue
    admin, collection, english, arabic = walk_setup()
    page.goto("/accounts/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # 1. a fourth label, in the admin
    page.goto("/admin/annotator/label/add/")
    page.fill("#id_name", "Satire")
    page.fill("#id_badge", "Sa")
    page.fill("#id_colour", "#009e73")
    page.fill("#id_shortcut", "4")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/annotator/label/")
    assert Label.objects.filter(slug="satire").exists()

    # 2. drag over a phrase, click the new label's button: coloured, with its badge
    page.goto(f"/documents/{english.pk}/")
    page.wait_for_selector("#doc-text")
    undo, redo = page.locator("#undo-btn"), page.locator("#redo-btn")
    expect(undo).to_be_disabled()
    select_phrase(page, "according to")
    page.click(".label-btn[data-label=satire]")
    page.locator("#doc-text mark.ann.l-satire").first.wait_for()
    satire = Annotation.objects.get(label__slug="satire")
    assert satire_style(page, satire.pk) == {
        "line": SATIRE_GREEN,
        "badge": SATIRE_GREEN,
        "letter": '"Sa"',
    }

    # 3. reshape: click the highlight (it takes the focus and shows its handles), drag the end
    page.locator(f"#a-{satire.pk}").click()
    expect(page.locator(".reshape-handle.end")).to_be_visible()
    drag_end_handle_to_the_end_of(page, "Reuters")
    expect(page.locator(f"#row-{satire.pk} q")).to_have_text("according to Reuters")

    # 4. search: the field counts the matches and paints them; drag over one, tag it
    page.click("#doc-search")
    page.fill("#doc-search", "the troops")
    expect(page.locator("#search-info")).to_have_text("1 match")
    select_phrase(page, "the troops")
    page.click(".label-btn[data-label=disputed]")
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)
    both = {("satire", "according to Reuters"), ("disputed", "the troops")}
    assert spans() == both

    # 5. undo three steps and redo them with the toolbar's buttons
    undo.click()
    expect(page.locator(".ann-list .ann-row")).to_have_count(1)
    undo.click()
    expect(page.locator(f"#row-{satire.pk} q")).to_have_text("according to")
    undo.click()
    expect(page.locator(".ann-list .ann-row")).to_have_count(0)
    expect(undo).to_be_disabled()
    assert spans() == set()
    redo.click()
    expect(page.locator(".ann-list .ann-row")).to_have_count(1)
    redo.click()
    expect(page.locator(f"#row-{satire.pk} q")).to_have_text("according to Reuters")
    redo.click()
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)
    expect(redo).to_be_disabled()
    assert spans() == both

    # 6. an Arabic article: drag right to left over a phrase, click a label
    page.goto(f"/documents/{arabic.pk}/")
    page.wait_for_selector("#doc-text")
    select_phrase(page, "وفقا لرويترز", rtl=True)
    page.click(".label-btn[data-label=sourced]")
    page.locator("#doc-text mark.ann.l-sourced").first.wait_for()
    tagged = Annotation.objects.get(document=arabic)
    assert (tagged.start, tagged.quote) == (ARABIC.index("وفقا"), "وفقا لرويترز")

    # 7. as a lead, upload two files with the Upload button: progress, then the counts
    page.goto(f"/review/collections/{collection.slug}/")
    page.set_input_files("#upload-files", files=UPLOADS)
    page.click("#upload-submit")
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
