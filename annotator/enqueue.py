"""The one seam between services and Celery.

Services queue work by task name through `task(name)` and never import a tasks module;
tasks modules import services. The names are the ones messages carry, kept across moves
so messages queued before an upgrade still run. The tasks modules are imported when the
app is ready (annotator/apps.py), so every name here is registered in web processes too.
"""

from __future__ import annotations

from celery import Task

SUGGESTIONS_CREATE = "annotator.tasks.suggestions_create"
SUGGESTIONS_RUN = "annotator.tasks.suggestions_run"
SUGGESTIONS_BATCH = "annotator.tasks.suggestions_batch"
SUGGESTIONS_TRAIN = "annotator.tasks.suggestions_train"
AGREEMENT_REPORT_REFRESH = "annotator.review_tasks.agreement_report_refresh"
EVENTS_DISPATCH = "annotator.events.dispatch"
EVENTS_SWEEP = "annotator.events.sweep"
EVENTS_PRUNE = "annotator.events.prune"
WEBHOOK_DELIVERY_SEND_AGAIN = "annotator.events.webhook_delivery_send_again"
WEBHOOK_TEST_SEND = "annotator.events.webhook_test_send"
EVIDENCE_ARCHIVE = "annotator.claims.tasks.evidence_archive"
DOCUMENT_REANCHOR = "annotator.anchoring.document_reanchor"
DOCUMENT_FETCH = "annotator.anchoring.document_fetch"
DOCUMENTS_RECHECK = "annotator.anchoring.documents_recheck"


def task(name: str) -> Task:
    """The registered task called `name` (KeyError if no tasks module registered it)."""
    from annotator.celery import app

    return app.tasks[name]
