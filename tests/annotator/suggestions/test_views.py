"""The Suggest button and progress panel (htmx), the run page and the precision stats page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotator.celery import app
from annotator.models import RunStatus, SuggestionRun
from annotator.suggestions.decisions import suggestion_accept, suggestion_reject
from tests.factories import CollectionFactory, DocumentFactory, SuggestionFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def broker_down(monkeypatch):
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:9/0")


def start_url(document):
    return reverse("suggestions-run-start", args=[document.pk])


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, document):
    response = client.post(start_url(document))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_user_without_role_gets_403(client, outsider, document):
    client.force_login(outsider)
    assert client.post(start_url(document), **HTMX).status_code == 403
    assert client.get(reverse("suggestions-stats")).status_code == 403
    assert not SuggestionRun.objects.exists()


@pytest.mark.django_db
def test_document_outside_users_reach_is_404(reviewer_client):
    hidden = DocumentFactory(collection=CollectionFactory(assigned_only=True))
    assert reviewer_client.post(start_url(hidden), **HTMX).status_code == 404
    assert not SuggestionRun.objects.exists()


@pytest.mark.django_db
def test_suggest_button_queues_a_run_and_polls_it(reviewer_client, reviewer, document):
    response = reviewer_client.post(start_url(document), **HTMX)
    assert response.status_code == 200
    run = SuggestionRun.objects.get()
    assert (run.document, run.created_by, run.status) == (document, reviewer, RunStatus.QUEUED)
    html = response.content.decode()
    assert "Suggestions queued" in html
    assert f'hx-get="/suggestions/runs/{run.pk}/?polling=1"' in html
    assert 'hx-trigger="every 1s"' in html
    assert "<html" not in html  # a partial


@pytest.mark.django_db
def test_without_htmx_the_button_redirects_to_the_run_page(reviewer_client, document):
    response = reviewer_client.post(start_url(document))
    run = SuggestionRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/suggestions/runs/{run.pk}/"
    page = reviewer_client.get(response["Location"])
    assert f"Suggestion run {run.pk}" in page.content.decode()


@pytest.mark.django_db
def test_finished_run_stops_polling_and_tells_the_page(reviewer_client, document):
    run = SuggestionRun.objects.create(
        document=document,
        status=RunStatus.SUCCEEDED,
        documents_total=1,
        documents_done=1,
        suggestions_created=4,
    )
    response = reviewer_client.get(reverse("suggestions-run", args=[run.pk]) + "?polling=1", **HTMX)
    html = response.content.decode()
    assert "4 new suggestions" in html
    assert "every 1s" not in html
    assert "suggestions-ready" in response["HX-Trigger"]


@pytest.mark.django_db
def test_failed_run_shows_its_error_escaped(reviewer_client, document):
    run = SuggestionRun.objects.create(
        document=document, status=RunStatus.FAILED, error="boom: <script>alert(1)</script>"
    )
    html = reviewer_client.get(reverse("suggestions-run", args=[run.pk]), **HTMX).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html


@pytest.mark.django_db
def test_latest_without_runs_shows_only_the_button(reviewer_client, document):
    html = reviewer_client.get(
        reverse("suggestions-run-latest", args=[document.pk]), **HTMX
    ).content.decode()
    assert "Suggest</button>" in html
    assert 'hx-trigger="load"' not in html  # no endless reloading


@pytest.mark.django_db
def test_broker_down_says_unavailable_and_document_page_still_works(
    reviewer_client, document, broker_down
):
    response = reviewer_client.post(start_url(document), **HTMX)
    assert response.status_code == 200
    assert "Suggestions unavailable" in response.content.decode()
    run = SuggestionRun.objects.get()
    assert run.status == RunStatus.FAILED
    page = reviewer_client.get(reverse("annotator-document", args=[document.pk]))
    assert page.status_code == 200
    assert "Suggest</button>" in page.content.decode()
    latest = reviewer_client.get(reverse("suggestions-run-latest", args=[document.pk]), **HTMX)
    assert "Suggestions unavailable" in latest.content.decode()


@pytest.mark.django_db
def test_panel_has_no_inline_style_or_script(reviewer_client, document):
    html = reviewer_client.post(start_url(document), **HTMX).content.decode()
    assert "style=" not in html and "<script" not in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.django_db
def test_stats_show_precision_per_suggester_and_label_and_follow_decisions(
    reviewer_client, reviewer, django_assert_max_num_queries
):
    document = DocumentFactory()
    rows = [
        SuggestionFactory(document=document, start=i, end=i + 5, suggester="disputed")
        for i in range(4)
    ]
    SuggestionFactory(
        document=document,
        suggester="sourced",
        label=rows[0].label.__class__.objects.get(slug="sourced"),
    )
    suggestion_accept(suggestion=rows[0], user=reviewer)
    suggestion_reject(suggestion=rows[1], user=reviewer)
    with django_assert_max_num_queries(8):
        html = reviewer_client.get(reverse("suggestions-stats")).content.decode()
    assert "0.50 (1/2)" in html
    suggestion_accept(suggestion=rows[2], user=reviewer)
    html = reviewer_client.get(reverse("suggestions-stats")).content.decode()
    assert "0.67 (2/3)" in html
    assert "<td>sourced</td><td>Sourced</td><td>0</td><td>0</td><td>1</td>" in html


@pytest.mark.django_db
def test_stats_query_count_does_not_grow_with_rows(reviewer_client, django_assert_max_num_queries):
    for i in range(30):
        SuggestionFactory(suggester=f"s{i % 5}")
        SuggestionRun.objects.create(document=DocumentFactory())
    with django_assert_max_num_queries(8):
        assert reviewer_client.get(reverse("suggestions-stats")).status_code == 200


@pytest.mark.django_db
def test_admin_action_queues_suggestions(client, admin_user):
    client.force_login(admin_user)
    documents = [DocumentFactory(), DocumentFactory()]
    response = client.post(
        reverse("admin:corpus_document_changelist"),
        {"action": "queue_suggestions", "_selected_action": [d.pk for d in documents]},
        follow=True,
    )
    assert "Queued suggestions for 2 document(s)." in response.content.decode()
    assert set(SuggestionRun.objects.values_list("document", flat=True)) == {
        d.pk for d in documents
    }


@pytest.mark.django_db
def test_admin_suggestion_list_shows_precision(client, admin_user, reviewer):
    client.force_login(admin_user)
    row = SuggestionFactory(suggester="propaganda")
    suggestion_reject(suggestion=row, user=reviewer)
    html = client.get(reverse("admin:annotator_suggestion_changelist")).content.decode()
    assert 'id="suggestion-precision"' in html
    assert "<td>propaganda</td><td>Disputed</td><td>0</td><td>1</td><td>0</td>" in html


@pytest.mark.django_db
def test_run_nobody_picked_up_hints_at_a_missing_worker(reviewer_client, document):
    run = SuggestionRun.objects.create(document=document, documents_total=1)
    url = reverse("suggestions-run", args=[run.pk])
    assert "is a Celery worker running" not in reviewer_client.get(url, **HTMX).content.decode()
    SuggestionRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    html = reviewer_client.get(url, **HTMX).content.decode()
    assert "is a Celery worker running" in html
    assert "disabled" not in html  # the button always works: runs are safe to repeat
