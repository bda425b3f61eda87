"""A real Celery worker process computes and caches a collection's agreement.

Kept apart from test_reviews.py and named to sort after test_tasks.py: a transactional test
flushes the database (labels and roles included) when it ends, which the transactional tests
there do not expect. Like test_worker.py, it seeds the labels and roles itself.
"""

import importlib

import pytest
from django.apps import apps as django_apps

from annotator.models import AgreementReport
from annotator.services.annotations import annotation_create
from tests.factories import DocumentFactory, UserFactory


def _tag(document, user, word, label):
    start = document.text.index(word)
    return annotation_create(
        document=document, created_by=user, start=start, end=start + len(word), label=label
    )


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_computes_agreement_report(tmp_path):
    import os
    import subprocess
    import sys
    import time
    import uuid

    from django.conf import settings
    from django.db import transaction

    from annotator.services.reviews import agreement_report_request

    data_migration = importlib.import_module("annotator.migrations.0002_labels_and_roles")
    data_migration.create_labels_and_roles(django_apps, None)
    reviewer = UserFactory(username="rita", role="reviewer")
    other = UserFactory(username="omar", role="reviewer")
    document = DocumentFactory()
    _tag(document, reviewer, "troops", "sourced")
    _tag(document, other, "troops", "sourced")
    with transaction.atomic():
        agreement_report_request(collection=document.collection)  # sent on commit
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DATA_DIR": str(settings.DATA_DIR),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SUGGEST_ON_IMPORT": "0",
        "PYTHONPATH": str(settings.BASE_DIR),
        "DJANGO_SETTINGS_MODULE": "annotator.settings",
    }
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "annotator", "worker", "-Q", "default"]
    command += ["--pool", "solo", "-n", f"reviews-{uuid.uuid4().hex[:8]}@%h"]
    command += ["--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not AgreementReport.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=15)
    report = AgreementReport.objects.filter(collection=document.collection).first()
    assert report is not None, log.read_text(errors="replace")[-3000:]
    assert report.data["overall"]["f1_exact"] == 1.0
    assert report.data["overall"]["reviewers"] == ["omar", "rita"]
