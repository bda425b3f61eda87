"""Journey: a label's key paints the selection at once (a pending highlight through the CSS
Custom Highlight API, in the label's colour) while the server is still answering; the saved
highlight replaces it (issue 17, key press to highlight under 100 ms)."""

from playwright.sync_api import expect

from tests.browser.conftest import BROWSER, select_phrase
from tests.factories import DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = "Officials said the 😀 troops arrived, according to Reuters, on Tuesday."

PENDING = """() => {
  const out = [];
  for (const [name, highlight] of CSS.highlights) {
    if (name.startsWith('pending-')) for (const r of highlight) out.push([name, r.toString()]);
  }
  return out;
}"""


def test_pending_highlight_until_the_server_answers(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    held = []
    page.route(f"**/documents/{document.pk}/annotations/", lambda route: held.append(route))
    select_phrase(page, "troops arrived")
    page.keyboard.press("2")
    # painted before any answer: no <mark> yet, a pending highlight in the label's colour
    assert page.evaluate(PENDING) == [["pending-disputed", "troops arrived"]]
    expect(page.locator("#doc-text mark.ann")).to_have_count(0)
    rule = page.evaluate(
        """() => Array.from(document.styleSheets).flatMap(s => Array.from(s.cssRules))
                 .map(r => r.cssText).find(t => t.includes('::highlight(pending-disputed)'))"""
    )
    assert rule and "background-color" in rule
    page.wait_for_timeout(300)
    assert len(held) == 1
    assert page.evaluate(PENDING) == [["pending-disputed", "troops arrived"]]
    held[0].continue_()
    page.locator("#doc-text mark.ann.l-disputed").first.wait_for()
    expect(page.locator(".ann-list .ann-row")).to_have_count(1)
    assert page.evaluate(PENDING) == []

    # a refused tag (the server says no) drops its pending highlight too
    page.unroute(f"**/documents/{document.pk}/annotations/")
    select_phrase(page, "troops arrived")
    page.keyboard.press("2")  # the same span and label again: a duplicate, refused (409)
    expect(page.locator("#flash")).to_contain_text("already have this")
    assert page.evaluate(PENDING) == []
    assert [p for p in problems if "409" not in p] == []
