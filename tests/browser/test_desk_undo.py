"""Journey: tag, reshape, delete; Ctrl+Z three times undoes them one by one (each a server
call with the usual checks), Ctrl+Shift+Z three times redoes them (issue 17 item 3)."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER, select_phrase
from tests.factories import DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = "Officials said the troops arrived, according to Reuters, on Tuesday."


def test_undo_and_redo_three_steps(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    select_phrase(page, "according to")
    page.keyboard.press("1")  # 1. create
    page.locator("#doc-text mark.ann").first.wait_for()
    annotation = Annotation.objects.get()
    rows = page.locator(".ann-list .ann-row")
    expect(rows).to_have_count(1)
    page.locator(f"#a-{annotation.pk}").focus()
    page.keyboard.press("Control+Alt+Shift+ArrowRight")  # 2. reshape
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("according to Reuters")
    page.locator(f"#row-{annotation.pk} button.delete").click()  # 3. delete
    expect(rows).to_have_count(0)
    page.locator("#doc-text").click(position={"x": 2, "y": 2})

    page.keyboard.press("Control+z")  # undo the delete
    expect(rows).to_have_count(1)
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("according to Reuters")
    page.keyboard.press("Control+z")  # undo the reshape
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("according to")
    assert Annotation.objects.get().quote == "according to"
    page.keyboard.press("Control+z")  # undo the create
    expect(rows).to_have_count(0)
    assert not Annotation.objects.exists()
    page.keyboard.press("Control+z")
    expect(page.locator("#selection-info")).to_have_text("Nothing to undo.")

    page.keyboard.press("Control+Shift+z")  # redo the create
    expect(rows).to_have_count(1)
    page.keyboard.press("Control+Shift+z")  # redo the reshape
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("according to Reuters")
    page.keyboard.press("Control+Shift+z")  # redo the delete
    expect(rows).to_have_count(0)
    assert not Annotation.objects.exists()
    # every step went through the server and is in the history
    kinds = list(Annotation.history.filter(id=annotation.pk).values_list("history_type", flat=True))
    assert kinds.count("-") == 3 and kinds.count("+") == 3
    assert problems == []
