"""Journey (issue 6, "done when"): a lead assigns the demo collection to the two demo reviewers,
who tag the same demo document differently under blind review; the lead reads their agreement,
adjudicates in the compare view with the keyboard, and the final-only export returns exactly
the adjudicated set. Forged requests by one reviewer against the other's work are refused."""

import json

from django.contrib.auth.models import User
from django.core.management import call_command

from annotator.celery import app as celery_app
from annotator.models import Annotation, Assignment
from corpus.models import Collection, Document
from tests.browser.conftest import BROWSER, screenshot, select_phrase

pytestmark = BROWSER

TITLE = "North Korean Soldiers in Russia-Ukraine War"
A = "multiple credible reports"
B = "Russia is thought to be providing North Korea with oil"
C = "Kim Jong Un does not care about the tragic loss of life"
ADDED = "he does care about maintaining control"


def login_as(page, username: str, password: str) -> None:
    if page.locator("form[action='/accounts/logout/'] button").count():
        page.click("form[action='/accounts/logout/'] button")
        page.wait_for_url("**/accounts/login/**")
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def tag(page, phrase: str, key: str) -> None:
    before = page.locator("#doc-text mark.ann").count()
    select_phrase(page, phrase)
    page.keyboard.press(key)
    page.wait_for_function(
        "n => document.querySelectorAll('#doc-text mark.ann').length > n", arg=before
    )


def open_document(page) -> None:
    page.click(f"text={TITLE}")
    page.wait_for_selector("#doc-text")


def test_two_reviewers_disagree_and_the_lead_adjudicates(page, problems, settings):
    settings.SUGGEST_ON_IMPORT = False
    call_command("demo_setup", stdout=open("/dev/null", "w"))  # noqa: SIM115
    demo = Collection.objects.get(slug="demo")
    document = Document.objects.get(collection=demo, title=TITLE)

    # The lead turns on blind review and assigned-only, then assigns the whole demo
    # collection, two reviewers per document.
    login_as(page, "lead", "lead-demo-pass")
    page.click("nav >> text=Review")
    page.click(f"a[href='/review/collections/{demo.slug}/assign/']")
    page.check("#blind_review")
    page.check("#assigned_only")
    page.click("#settings-form button[type=submit]")
    page.wait_for_selector(".flash.ok")
    demo.refresh_from_db()
    assert demo.blind_review and demo.assigned_only
    for username in ("reviewer", "reviewer2"):
        pk = User.objects.get(username=username).pk
        page.check(f"input[name=reviewers][value='{pk}']")
    page.fill("#id_k", "2")
    page.click("button[value=round_robin]")
    page.wait_for_selector(".flash.ok:has-text('assignment')")
    assert "new assignment(s)" in page.inner_text(".flash.ok")
    assert Assignment.objects.filter(document=document).count() == 2

    # reviewer: disputed, disputed; marks the document done.
    login_as(page, "reviewer", "reviewer-demo-pass")
    open_document(page)
    tag(page, A, "2")
    tag(page, B, "2")
    page.click("#mark-done")
    # Blind review: done is final for the reviewer (no Reopen).
    page.wait_for_selector("#mark-done:has-text('Done (final)')")

    # reviewer2 (blind review): sees none of reviewer's work; tags A sourced, B disputed, C propaganda.
    login_as(page, "reviewer2", "reviewer2-demo-pass")
    open_document(page)
    assert page.locator("#doc-text mark.ann").count() == 0
    tag(page, A, "1")
    tag(page, B, "2")
    tag(page, C, "3")
    theirs = Annotation.objects.filter(created_by__username="reviewer2")
    assert sorted(theirs.values_list("quote", flat=True)) == sorted([A, B, C])

    # Forged requests by reviewer2 against reviewer's annotation: UI and API refuse.
    victim = Annotation.objects.get(created_by__username="reviewer", quote=A)
    statuses = page.evaluate(
        """async ([doc, ann, version]) => {
          const token = document.querySelector('[name=csrfmiddlewaretoken]').value;
          const form = new URLSearchParams({version: version, label: 'propaganda', note: 'forged'});
          const ui = await fetch(`/documents/${doc}/annotations/${ann}/edit/`, {method: 'POST',
            headers: {'X-CSRFToken': token}, body: form});
          const api = await fetch(`/api/annotations/${ann}/`, {method: 'PATCH',
            headers: {'X-CSRFToken': token, 'Content-Type': 'application/json'},
            body: JSON.stringify({label: 'propaganda'})});
          return [ui.status, api.status];
        }""",
        [document.pk, victim.pk, victim.version],
    )
    assert all(code in (403, 404) for code in statuses), statuses
    victim.refresh_from_db()
    assert (victim.label.slug, victim.note) == ("disputed", "")
    forged = f"/annotations/{victim.pk}/"
    page.click("#mark-done")
    # Blind review: done is final for the reviewer (no Reopen).
    page.wait_for_selector("#mark-done:has-text('Done (final)')")

    # The lead computes agreement (the Celery task, run eagerly in the server thread).
    login_as(page, "lead", "lead-demo-pass")
    saved, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True
    try:
        page.goto(f"/review/collections/{demo.slug}/agreement/")
        page.click("#recompute")
        page.wait_for_selector("#overall")
    finally:
        celery_app.conf.task_always_eager = saved
    # One exact match out of 2 + 3 spans: F1 = 2 * 1 / 5.
    assert page.inner_text("[data-figure=f1-exact]") == "0.40"
    assert "reviewer · reviewer2" in page.inner_text("#pairs")
    screenshot(page, "review-agreement")
    page.click(f"#documents >> text={TITLE}")
    page.wait_for_selector("#document-figures")
    assert page.inner_text("[data-figure=disagreements]") == "2 of 3"
    assert page.locator(".cluster.disagreed").count() == 2
    assert page.locator("svg.tracks rect.shade").count() == 2
    screenshot(page, "review-compare")

    # Adjudicate with the keyboard: group 1 take reviewer2's span (key 2), group 2 accept the
    # agreed span (a), group 3 edit the label before accepting (e).
    page.keyboard.press("j")
    page.keyboard.press("2")
    page.wait_for_selector("#row-1 .verdict.final")
    # The redirect lands on #row-1; its script marks it current once loaded.
    page.wait_for_selector("#row-1.current")
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_selector("#row-2 .verdict.final")
    # The redirect lands on #row-2; its script marks it current once loaded.
    page.wait_for_selector("#row-2.current")
    page.keyboard.press("j")
    page.keyboard.press("e")
    page.wait_for_selector("#row-3 details[data-key=e][open]")
    page.locator("#row-3 select[name=label]").select_option("disputed")
    page.locator("#row-3 input[name=note]").fill("hedged, not propaganda")
    page.locator("#row-3 input[name=note]").press("Enter")
    page.wait_for_selector("#row-3 .verdict.final")

    # Add a span nobody tagged: select it in the text (offsets in code points).
    select_phrase(page, ADDED, root="#compare-text")
    assert page.input_value("#add-start") != ""
    page.locator("#add-form select[name=label]").select_option("propaganda")
    page.click("#add-form button[type=submit]")
    page.wait_for_selector(".flash.ok")

    final = Annotation.objects.filter(is_final=True).select_related("label")
    got = {(a.quote, a.label.slug, a.created_by.username) for a in final}
    assert got == {
        (A, "sourced", "lead"),
        (B, "disputed", "lead"),
        (C, "disputed", "lead"),
        (ADDED, "propaganda", "lead"),
    }
    agreed = final.get(quote=B)
    assert sorted(agreed.adjudicated_from) == sorted(
        Annotation.objects.filter(quote=B, is_final=False).values_list("id", flat=True)
    )
    assert page.locator(".final-list li[data-final]").count() == 4
    screenshot(page, "review-adjudicated")

    # The final-only export returns exactly the adjudicated set.
    response = page.request.get("/api/export/annotations/?format=jsonl&is_final=true")
    assert response.status == 200
    records = [json.loads(line) for line in response.text().splitlines() if line]
    assert sorted(r["id"] for r in records) == sorted(final.values_list("id", flat=True))
    assert all(r["is_final"] for r in records)
    # The compare page links the same export, limited to this document.
    linked = page.request.get(page.get_attribute("#export-final", "href"))
    lines = [json.loads(line) for line in linked.text().splitlines() if line]
    assert sorted(r["id"] for r in lines) == sorted(r["id"] for r in records)

    # Dashboards draw their charts as inline SVG (no CSP violation shows up as a console error).
    page.goto(f"/review/collections/{demo.slug}/")
    page.wait_for_selector("svg.chart rect")
    assert page.inner_text("[data-figure=any-done]") == "1"
    page.click("table a:text-is('reviewer2')")
    page.wait_for_url("**/review/reviewers/*/")
    page.wait_for_selector("svg.chart")
    assert page.inner_text("[data-figure=done]") == "1"
    screenshot(page, "review-dashboard")
    assert unexpected(problems, forged) == []


def unexpected(problems: list[str], forged: str) -> list[str]:
    """Problems other than the refusals of the two forged requests (and favicon noise)."""
    refusals = ("status of 403", "status of 404")
    left = [p for p in problems if not (p.startswith("HTTP 40") and forged in p)]
    left = [p for p in left if "favicon" not in p]
    refused = [
        p
        for p in left
        if p.startswith("console error") and p.endswith(")") and any(r in p for r in refusals)
    ]
    assert len(refused) <= 2
    return [p for p in left if p not in refused]
