import importlib

import pytest

from annotator.celery import app
from tests.annotator.workers import Workers, purge_queues


@pytest.fixture
def workers(tmp_path):
    """Real worker processes on the configured broker; stopped when the test ends."""
    purge_queues()
    pool = Workers(tmp_path)
    yield pool
    pool.stop()


@pytest.fixture
def eager():
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def labels(db):
    """Labels and roles as migrated: transactional tests elsewhere flush them away."""
    from django.apps import apps

    module = importlib.import_module("annotator.migrations.0002_labels_and_roles")
    module.create_labels_and_roles(apps, None)


@pytest.fixture
def rules_only(settings, labels):
    settings.SUGGESTERS = [
        "annotator.suggestions.suggesters.sourced",
        "annotator.suggestions.suggesters.disputed",
        "annotator.suggestions.suggesters.propaganda",
    ]
