"""Journey (issue 13, "Done when"), on the demo as a new user would try it: demo_setup loads the
demo corpus, users and desk rules; the demo reviewer adds two sources to a disputed claim,
served by a local test page, sees both archived with their hashes by a real Celery worker,
proposes "Mostly false" with an explanation; a 127.0.0.1 source is refused in production
settings; the demo lead finds the verdict through Claims → Verdicts to publish, sees the
checklist pass, publishes with the keyboard; the ClaimReview export shows it."""

from __future__ import annotations

import hashlib
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from annotator.models import Evidence, Verdict
from corpus.models import Document
from tests.annotator.claims.pages import ARTICLE, page_server
from tests.annotator.workers import Workers, purge_queues
from tests.browser.conftest import BROWSER, screenshot
from tests.factories import AnnotationFactory, label

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


def demo_login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_claim_carried_to_a_published_verdict(page, problems, pages, worker, settings):
    settings.SUGGEST_ON_IMPORT = False
    call_command("demo_setup", stdout=StringIO())
    reviewer = get_user_model().objects.get(username="reviewer")
    document = Document.objects.filter(collection__slug="demo").order_by("pk").first()
    quote = "North Korean leader Kim Jong Un was photographed weeping"
    start = document.text.index(quote)
    claim = AnnotationFactory(
        document=document,
        created_by=reviewer,
        start=start,
        end=start + len(quote),
        label=label("disputed"),
    )

    demo_login(page, "reviewer", "reviewer-demo-pass")
    page.goto(f"/documents/{document.pk}/")
    # Keyboard: focus the claim link in the sidebar and press Enter; focus moves to the panel.
    page.focus(f'#row-{claim.pk} a.claim-open[data-claim="{claim.pk}"]')
    page.keyboard.press("Enter")
    page.locator("#claim-panel h2").wait_for()
    assert page.evaluate("document.activeElement.id") == "claim-panel"
    # The demo's desk rules: with no source yet "every source archived" holds, two do not.
    assert page.locator(".checklist li").count() == 3
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
    demo_login(page, "lead", "lead-demo-pass")
    # The lead finds it from the navigation: Claims → Verdicts to publish.
    page.click("header nav a[href='/claims/']")
    assert page.locator("#claims-count").text_content() == "1"
    assert "In review 1" in page.locator(".claim-counts").text_content()
    screenshot(page, "claims-page")
    # htmx swaps the results and the URL follows. Wait for the swapped content first (a
    # loaded CI machine can take seconds), then poll the address bar: a pushState that
    # happened before a wait began is not an event any more.
    page.select_option("#cf-state", "published")
    page.get_by_text("No claims match.").wait_for(timeout=30_000)
    expect(page).to_have_url(re.compile(r"state=published"))
    page.select_option("#cf-state", "in_review")
    page.locator(f'.claim-row[data-claim="{claim.pk}"]').wait_for(timeout=30_000)
    expect(page).to_have_url(re.compile(r"state=in_review"))
    page.click("#to-publish-link")
    row = page.locator(f"#pv-{claim.pk}")
    assert row.locator(".checklist li.pass").count() == 3
    assert row.locator(".checklist li.fail").count() == 0
    screenshot(page, "claims-lead-queue")
    # Keyboard: the Publish button takes focus and Enter publishes.
    row.locator(".publish-button").focus()
    page.keyboard.press("Enter")
    page.locator("#publish-queue .flash.ok").wait_for()
    assert "Published: Mostly false" in page.locator("#publish-queue .flash.ok").text_content()
    assert "Nothing waits to be published." in page.locator("#publish-queue").text_content()
    assert page.evaluate("document.activeElement.id") == "publish-queue"
    screenshot(page, "claims-lead-published")
    verdict = Verdict.objects.get()
    assert (verdict.state, verdict.published_by.username) == ("published", "lead")

    response = page.request.get("/api/export/claimreview/")
    assert response.ok
    items = response.json()
    assert [(i["claimReviewed"], i["reviewRating"]["alternateName"]) for i in items] == [
        (claim.quote, "Mostly false")
    ]
    # One request refused on purpose (the 127.0.0.1 source): a 422 with its message.
    assert [p for p in problems if "422" not in p] == []
