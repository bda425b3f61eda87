"""Journey: a lead drops two files on the collection dashboard (one with a bad line), sees a
progress bar per file, the created count for one and the failing line for the other; then
uploads a file with the keyboard through the file input (issue 17 item 5)."""

import json

from playwright.sync_api import expect

from corpus.models import Document
from tests.browser.conftest import BROWSER
from tests.factories import CollectionFactory, UserFactory

pytestmark = BROWSER

GOOD = "\n".join(
    json.dumps({"title": f"Story {n}", "text": f"The ministry denied story {n}."}) for n in (1, 2)
)
BAD = "title,text\nFine,A fine row.\nBroken\n"

DROP = """([files, selector]) => {
  const data = new DataTransfer();
  for (const [name, body] of files) data.items.add(new File([body], name, {type: 'text/plain'}));
  const zone = document.querySelector(selector);
  zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true, cancelable: true}));
  zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
}"""


def test_lead_drops_two_files_and_sees_progress_and_the_bad_line(page, login, problems, settings):
    settings.SUGGEST_ON_IMPORT = False  # no worker in this journey; the view test covers queueing
    lead = UserFactory(username="lena", role="lead")
    collection = CollectionFactory(slug="newsroom")
    login(lead)
    page.goto(f"/review/collections/{collection.slug}/")
    page.evaluate(DROP, [[["news.jsonl", GOOD], ["sheet.csv", BAD]], "#upload-form"])
    items = page.locator("#upload-list .upload-item")
    expect(items).to_have_count(2)
    expect(items.nth(0).locator("progress")).to_have_attribute("aria-label", "Upload of news.jsonl")
    expect(items.nth(0)).to_have_class("upload-item ok")
    expect(items.nth(0)).to_contain_text("news.jsonl: 2 new, 0 already here")
    expect(items.nth(1)).to_have_class("upload-item error")
    expect(items.nth(1)).to_contain_text("sheet.csv: line 3:")
    expect(items.nth(1)).to_contain_text("Nothing was imported from this file.")
    assert page.locator("#upload-list progress").evaluate_all("bars => bars.map(b => b.value)") == [
        100,
        100,
    ]
    assert sorted(Document.objects.values_list("title", flat=True)) == ["Story 1", "Story 2"]

    # keyboard: the file input and the Upload button
    page.set_input_files(
        "#upload-files",
        files=[{"name": "note.txt", "mimeType": "text/plain", "buffer": b"A plain story."}],
    )
    page.focus("#upload-submit")
    page.keyboard.press("Enter")
    expect(items).to_have_count(3)
    expect(items.nth(2)).to_contain_text("note.txt: 1 new")
    assert Document.objects.count() == 3
    # the failing file answered 400 by design; nothing else went wrong
    expected = (
        "HTTP 400: ",
        "console error: Failed to load resource: the server responded with a status of 400",
    )
    assert len([p for p in problems if p.startswith(expected)]) == 2
    assert [p for p in problems if not p.startswith(expected)] == []
