"""A real Celery worker process computes and caches a collection's agreement.

Kept apart from test_reviews.py and named to sort after test_tasks.py: a transactional test
flushes the database (labels and roles included) when it ends, which the transactional tests
there do not expect (tests/conftest.py seeds them again before each transactional test).
"""

import time

import pytest

from annotator.annotations.services import annotation_create
from annotator.models import AgreementReport
from tests.annotator.workers import Workers, purge_queues
from tests.factories import DocumentFactory, UserFactory


def _tag(document, user, word, label):
    start = document.text.index(word)
    return annotation_create(
        document=document, created_by=user, start=start, end=start + len(word), label=label
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_computes_agreement_report(tmp_path):
    from django.db import transaction

    from annotator.review.services import agreement_report_request

    reviewer = UserFactory(username="rita", role="reviewer")
    other = UserFactory(username="omar", role="reviewer")
    document = DocumentFactory()
    _tag(document, reviewer, "troops", "sourced")
    _tag(document, other, "troops", "sourced")
    purge_queues()  # tasks other tests left on the broker
    with transaction.atomic():
        agreement_report_request(collection=document.collection)  # sent on commit
    workers = Workers(tmp_path)
    workers.start()
    try:
        deadline = time.monotonic() + 60
        while not AgreementReport.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        workers.stop()
    report = AgreementReport.objects.filter(collection=document.collection).first()
    assert report is not None, workers.logs()
    assert report.data["overall"]["f1_exact"] == 1.0
    assert report.data["overall"]["reviewers"] == ["omar", "rita"]
