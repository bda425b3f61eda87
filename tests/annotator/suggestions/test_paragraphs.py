"""After a revision the suggesters read only the paragraphs that changed: pending suggestions
elsewhere are moved and kept (same rows), those in changed paragraphs are computed again."""

import pytest

from annotator.anchoring.services import document_reanchor
from annotator.models import Suggestion, SuggestionRun, SuggestionStatus
from annotator.suggestions.decisions import suggestion_reject
from annotator.suggestions.runs import suggestions_create
from corpus.services import document_update
from tests.factories import DocumentFactory

KEPT = "Officials said the troops arrived overnight. Six soldiers were reportedly missing."
OLD = f"{KEPT}\nState media hailed their heroic sacrifice.\nThe river was calm."
NEW = (
    "Witnesses said the bridge collapsed.\n"
    f"{KEPT}\nState media hailed their heroic sacrifice again.\nThe river was calm."
)


def _pending(document):
    return {
        s.quote: s
        for s in Suggestion.objects.filter(document=document, status=SuggestionStatus.PENDING)
    }


@pytest.mark.django_db
def test_only_changed_paragraphs_are_suggested_again(
    settings, django_capture_on_commit_callbacks, eager, rules_only, reviewer
):
    settings.SUGGEST_ON_IMPORT = True
    document = DocumentFactory(text=OLD)
    suggestions_create(document_id=document.pk)
    before = _pending(document)
    assert set(before) == {
        "Officials said the troops arrived overnight",
        "Six soldiers were reportedly missing.",
        "hailed their heroic sacrifice",
    }
    rejected = before.pop("Six soldiers were reportedly missing.")
    suggestion_reject(suggestion=rejected, user=reviewer)
    runs_before = SuggestionRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        # The revision queues the re-anchoring, which queues the suggesters (eager Celery).
        document_update(document=document, text=NEW)
    run = SuggestionRun.objects.order_by("-pk").first()
    assert SuggestionRun.objects.count() == runs_before + 1 and run.document_id == document.pk
    assert run.status == "succeeded" and run.suggestions_created == 2
    with django_capture_on_commit_callbacks(execute=True):
        summary = document_reanchor(document_id=document.pk)  # run again: nothing more
    assert SuggestionRun.objects.count() == runs_before + 1
    # The inserted line and the edited one; the line only moved down is not read again.
    assert [NEW[a:b] for a, b in summary.changed] == [
        "Witnesses said the bridge collapsed.",
        "State media hailed their heroic sacrifice again.",
    ]
    after = _pending(document)
    # Unchanged paragraph: the same row, moved with its words.
    kept = after["Officials said the troops arrived overnight"]
    assert kept.pk == before["Officials said the troops arrived overnight"].pk
    assert (kept.revision, NEW[kept.start : kept.end]) == (2, kept.quote)
    # Changed paragraphs: computed again on the new text (a new row), and the inserted line.
    again = after["hailed their heroic sacrifice again"]
    assert again.pk != before["hailed their heroic sacrifice"].pk
    assert (again.revision, NEW[again.start : again.end]) == (2, again.quote)
    assert "Witnesses said the bridge collapsed" in after
    # The rejected one stays rejected and is not suggested again.
    assert set(after) == {
        "Officials said the troops arrived overnight",
        "hailed their heroic sacrifice again",
        "Witnesses said the bridge collapsed",
    }
    assert Suggestion.objects.get(pk=rejected.pk).status == SuggestionStatus.REJECTED


@pytest.mark.django_db
def test_ranges_of_an_older_revision_read_the_whole_text(rules_only):
    document = DocumentFactory(text=OLD)
    document_update(document=document, text=NEW)
    stale = {"revision": 1, "ranges": [[0, 10]]}
    assert suggestions_create(document_id=document.pk, paragraphs=stale) == 4
    outside = {"revision": 2, "ranges": [[0, len(NEW) + 5]]}
    Suggestion.objects.all().delete()
    assert suggestions_create(document_id=document.pk, paragraphs=outside) == 4
    only_first_line = {"revision": 2, "ranges": [[0, NEW.index("\n")]]}
    Suggestion.objects.all().delete()
    assert suggestions_create(document_id=document.pk, paragraphs=only_first_line) == 1
