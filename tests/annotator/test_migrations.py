"""Data migrations run against a real schema state."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("annotator", "0002_labels_and_roles")]
AFTER = [("annotator", "0003_suggestion_decisions")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture(autouse=True)
def _back_to_latest():
    """Each test here migrates the database back; later tests need every table again."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_decided_suggestions_become_their_deciders_decisions():
    apps = _migrate(BEFORE)
    user = apps.get_model("auth", "User").objects.create(username="old-reviewer")
    collection = apps.get_model("corpus", "Collection").objects.create(name="Old", slug="old")
    document = apps.get_model("corpus", "Document").objects.create(
        collection=collection, title="Old", text="Officials denied it.", sha256="x" * 64
    )
    label = apps.get_model("annotator", "Label").objects.get(slug="disputed")
    Suggestion = apps.get_model("annotator", "Suggestion")

    def suggestion(status, decided_by=None):
        return Suggestion.objects.create(
            document=document,
            start=0,
            end=9,
            quote="Officials",
            label=label,
            score=0.5,
            suggester="disputed",
            suggester_version="1",
            status=status,
            decided_by=decided_by,
        )

    accepted = suggestion("accepted", user)
    rejected = suggestion("rejected", user)
    suggestion("pending")
    annotation = apps.get_model("annotator", "Annotation").objects.create(
        document=document,
        start=0,
        end=9,
        quote="Officials",
        label=label,
        created_by=user,
        origin="suggestion",
        suggestion=accepted,
    )

    apps = _migrate(AFTER)
    rows = apps.get_model("annotator", "SuggestionDecision").objects.order_by("suggestion_id")
    assert list(rows.values_list("suggestion_id", "reviewer_id", "status", "annotation_id")) == [
        (accepted.pk, user.pk, "accepted", annotation.pk),
        (rejected.pk, user.pk, "rejected", None),
    ]
