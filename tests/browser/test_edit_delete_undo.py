"""Journey: edit an annotation's label, note and evidence URL, delete it, undo the delete."""

from annotator.models import Annotation
from tests.browser.conftest import BROWSER
from tests.factories import AnnotationFactory, DocumentFactory, UserFactory, label

pytestmark = BROWSER


def test_edit_delete_and_undo(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    other = UserFactory(username="omar", role="reviewer")
    document = DocumentFactory(title="Report")
    mine = AnnotationFactory(document=document, created_by=reviewer, start=0, end=6)
    theirs = AnnotationFactory(
        document=document, created_by=other, start=7, end=9, label=label("disputed")
    )
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")

    # another reviewer's annotation is visible but offers no edit/delete
    assert page.locator(f"#a-{theirs.pk}").is_visible()
    assert page.locator(f"#row-{theirs.pk} button").count() == 0

    page.click(f"#row-{mine.pk} button.edit")
    form = page.locator(f"#row-{mine.pk} form.edit-form")
    form.locator("select[name=label]").select_option("propaganda")
    form.locator("textarea[name=note]").fill("Loaded <b>words</b>")
    form.locator("input[name=evidence_url]").fill("https://example.org/check")
    form.locator("button[type=submit]").click()
    page.locator(f"#a-{mine.pk}.l-propaganda").wait_for()
    row = page.locator(f"#row-{mine.pk}")
    assert row.locator(".note").text_content() == "Loaded <b>words</b>"  # escaped, shown as text
    link = row.locator("a.evidence")
    assert link.get_attribute("href") == "https://example.org/check"
    assert link.get_attribute("rel") == "noopener noreferrer"
    mine.refresh_from_db()
    assert (mine.label.slug, mine.note, mine.version) == ("propaganda", "Loaded <b>words</b>", 2)

    # clicking the sidebar entry scrolls to the highlight and flashes it
    row.locator("a.ann-link").click()
    page.locator(f'#doc-text mark.flash[data-a="{mine.pk}"]').first.wait_for()

    page.click(f"#row-{mine.pk} button.delete")
    page.locator(".flash.ok button.undo").wait_for()
    assert page.locator(f"#a-{mine.pk}").count() == 0
    assert not Annotation.objects.filter(pk=mine.pk).exists()

    page.click(".flash.ok button.undo")
    page.locator(f"#a-{mine.pk}").wait_for()
    restored = Annotation.objects.get(pk=mine.pk)
    assert (restored.quote, restored.note) == (document.text[0:6], "Loaded <b>words</b>")
    assert problems == []


def test_conflicting_edit_shows_a_clear_message(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(title="Report")
    annotation = AnnotationFactory(document=document, created_by=reviewer, note="v1")
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.click(f"#row-{annotation.pk} button.edit")
    form = page.locator(f"#row-{annotation.pk} form.edit-form")
    form.wait_for()  # the form holds version 1
    # meanwhile, in another tab, the same annotation changes
    Annotation.objects.filter(pk=annotation.pk).update(note="changed elsewhere", version=2)
    form.locator("textarea[name=note]").fill("my edit")
    form.locator("button[type=submit]").click()
    page.locator(".flash.error").wait_for()
    assert "changed meanwhile" in page.locator(".flash.error").text_content()
    assert Annotation.objects.get(pk=annotation.pk).note == "changed elsewhere"
    # the refused save is a 409 by design; nothing else may fail
    assert [p for p in problems if "409" not in p] == []
