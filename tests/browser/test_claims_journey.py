"""Journey (issue 13, "Done when"): a reviewer adds two sources to a disputed claim, served by
a local test page, sees both archived with their hashes by a real Celery worker, proposes
"Mostly false" with an explanation; a 127.0.0.1 source is refused in production settings; the
lead sees the checklist pass and publishes; the ClaimReview export shows it."""

from __future__ import annotations

import hashlib

import pytest

from annotator.models import DeskRule, Evidence, RuleKind, Verdict
from tests.annotator.claims.pages import ARTICLE, page_server
from tests.annotator.workers import Workers, purge_queues
from tests.browser.conftest import BROWSER, screenshot
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    UserFactory,
    label,
)

pytestmark = [*BROWSER, pytest.mark.worker]
PLAIN = b"Only 300 people left, the mayor said."


@pytest.fixture
def pages():
    with page_server() as url:
        yield url


@pytest.fixture
def worker(tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FETCH_ALLOW_PRIVATE = True
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "1")
    purge_queues()
    workers = Workers(tmp_path)
    workers.start(queues="default")
    yield workers
    workers.stop()


def add_source(page, url: str, stance: str, excerpt: str = "") -> None:
    form = page.locator("details.ev-add")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    page.fill("#new-url", url)
    page.select_option("#new-stance", stance)
    page.fill("#new-excerpt", excerpt)
    page.click("#ev-add-submit")
    page.locator(".flash").wait_for()


def test_claim_carried_to_a_published_verdict(page, login, problems, pages, worker, settings):
    reviewer = UserFactory(username="rita", role="reviewer")
    lead = UserFactory(username="lena", role="lead")
    collection = CollectionFactory(slug="desk", name="Desk")
    document = DocumentFactory(
        collection=collection,
        title="Dam report",
        source_url="https://news.example/dam",
        text="The ministry said 1,200 people were evacuated from the valley.",
    )
    claim = AnnotationFactory(
        document=document, created_by=reviewer, start=4, end=61, label=label("disputed")
    )
    rules = [
        ("A disputed claim needs at least one refuting or context source", RuleKind.MIN_SOURCES),
        ("Every source has an archived copy", RuleKind.ALL_ARCHIVED),
        ("A published verdict needs an explanation", RuleKind.FIELD_FILLED),
    ]
    for message, kind in rules:
        DeskRule.objects.create(
            collection=collection,
            kind=kind,
            message=message,
            stances=["refutes", "context"] if kind == RuleKind.MIN_SOURCES else [],
            field="explanation" if kind == RuleKind.FIELD_FILLED else "",
            label=label("disputed") if kind == RuleKind.MIN_SOURCES else None,
        )

    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    # Keyboard: focus the claim link in the sidebar and press Enter; focus moves to the panel.
    page.focus(f'#row-{claim.pk} a.claim-open[data-claim="{claim.pk}"]')
    page.keyboard.press("Enter")
    page.locator("#claim-panel h2").wait_for()
    assert page.evaluate("document.activeElement.id") == "claim-panel"
    # no source yet: "every source archived" holds, the other two do not
    assert page.locator(".checklist li.fail").count() == 2

    add_source(page, f"{pages}/article", "refutes", "only 300 people had actually left")
    add_source(page, f"{pages}/plain", "context")
    # The worker archives both; the panel polls until they are.
    page.locator(".archive-archived").nth(1).wait_for(timeout=60_000)
    shas = page.locator("code.sha").all_text_contents()
    assert sorted(shas) == sorted(
        [hashlib.sha256(ARTICLE.encode()).hexdigest(), hashlib.sha256(PLAIN).hexdigest()]
    )
    assert "excerpt found" in page.locator(".archive-archived").first.text_content()

    # Production settings refuse a loopback source with a clear message.
    settings.FETCH_ALLOW_PRIVATE = False
    add_source(page, "http://127.0.0.1:9/secret", "supports")
    error = page.locator(".flash.error").text_content()
    assert "127.0.0.1 resolves to 127.0.0.1, which is not a public address" in error
    assert Evidence.objects.count() == 2
    settings.FETCH_ALLOW_PRIVATE = True

    page.select_option("#verdict-rating", label="Mostly false")
    page.fill(
        "#verdict-explanation", "The mayor counted 300 people; the ministry's 1,200 is wrong."
    )
    page.click("#verdict-propose")
    page.locator(".verdict-state.state-in_review").wait_for()
    assert page.locator("#verdict-publish").count() == 0  # reviewers propose, leads publish
    screenshot(page, "claims-reviewer-proposed")

    page.click("header form button[type=submit]")  # log out
    login(lead)
    page.goto(f"/claims/annotations/{claim.pk}/")
    assert page.locator(".checklist li.pass").count() == 3
    assert page.locator(".checklist li.fail").count() == 0
    page.click("#verdict-publish")
    page.locator(".verdict-state.state-published").wait_for()
    screenshot(page, "claims-lead-published")
    assert Verdict.objects.get().state == "published"

    response = page.request.get("/api/export/claimreview/")
    assert response.ok
    items = response.json()
    assert [(i["claimReviewed"], i["reviewRating"]["alternateName"]) for i in items] == [
        (claim.quote, "Mostly false")
    ]
    # One request refused on purpose (the 127.0.0.1 source): a 422 with its message.
    assert [p for p in problems if "422" not in p] == []
