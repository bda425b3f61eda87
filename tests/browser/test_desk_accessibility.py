"""axe-core finds no serious or critical violation on the queue, document, compare and
dashboard pages, and keyboard focus is always drawn (issue 17 item 8)."""

from annotator.annotations.services import annotation_create
from annotator.models import Assignment
from tests.browser.accessibility import axe_violations, focus_outline
from tests.browser.conftest import BROWSER
from tests.factories import CollectionFactory, DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = (
    "Officials said the troops arrived, according to Reuters.\n\n"
    "The ministry denied the claims. قال المتحدث إن القوات انسحبت. 😀 Heroic defenders won."
)


def _tag(document, user, phrase: str, label: str) -> None:
    start = document.text.index(phrase)
    annotation_create(
        document=document, created_by=user, start=start, end=start + len(phrase), label=label
    )


def _world():
    lead = UserFactory(username="lena", role="lead")
    rita = UserFactory(username="rita", role="reviewer")
    omar = UserFactory(username="omar", role="reviewer")
    collection = CollectionFactory(slug="newsroom")
    document = DocumentFactory(text=TEXT, collection=collection, title="Troops report")
    for reviewer in (rita, omar, lead):
        Assignment.objects.create(document=document, reviewer=reviewer)
    _tag(document, rita, "according to Reuters", "sourced")
    _tag(document, omar, "according to Reuters", "sourced")
    _tag(document, rita, "The ministry denied the claims.", "disputed")
    _tag(document, omar, "Heroic defenders", "propaganda")
    _tag(document, lead, "troops arrived", "sourced")
    return lead, collection, document


def test_queue_document_compare_and_dashboards_have_no_serious_violations(page, login, problems):
    lead, collection, document = _world()
    login(lead)
    pages = {
        "queue": "/",
        "document": f"/documents/{document.pk}/",
        "compare": f"/review/documents/{document.pk}/compare/",
        "dashboard": f"/review/collections/{collection.slug}/",
        "reviewer dashboard": f"/review/reviewers/{lead.pk}/",
        "review index": "/review/",
    }
    found = {}
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found[name] = axe_violations(page)
    assert found == {name: [] for name in pages}
    assert problems == []


def test_keyboard_focus_is_always_visible(page, login):
    lead, collection, document = _world()
    login(lead)
    for url in ("/", f"/documents/{document.pk}/", f"/review/collections/{collection.slug}/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        unseen = []
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement === document.body"):
                continue  # past the last control: the browser's own UI has focus
            if not focus_outline(page):
                unseen.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
        assert unseen == [], url
