import pytest
from django.core.exceptions import ValidationError

from corpus.models import Document
from corpus.services import document_create, document_update
from tests.factories import AnnotationFactory, CollectionFactory


def test_crlf_and_lone_cr_become_lf_and_nothing_else_changes(db):
    result = document_create(
        collection=CollectionFactory(), text="  Line one\r\nLine two\rLine three\n\n  ", title="T"
    )
    assert result.document.text == "  Line one\nLine two\nLine three\n\n  "


def test_same_text_again_is_a_duplicate(db):
    collection = CollectionFactory()
    first = document_create(collection=collection, text="Same text.\r\n")
    second = document_create(collection=collection, text="Same text.\n", title="Other title")
    assert first.created and not second.created
    assert second.document == first.document
    assert Document.objects.count() == 1


def test_title_defaults_to_first_non_empty_line(db):
    result = document_create(collection=CollectionFactory(), text="\n\n  Headline here \nBody")
    assert result.document.title == "Headline here"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "   \n "}, "text"),
        ({"text": "ok", "source_url": "ftp://x.org/a"}, "source_url"),
        ({"text": "ok", "published_at": "last week"}, "published_at"),
        ({"text": "ok", "metadata": [1, 2]}, "metadata"),
        ({"text": "ok", "colour": "red"}, "colour"),
    ],
)
def test_bad_fields_are_named(db, fields, field):
    with pytest.raises(ValidationError) as exc:
        document_create(collection=CollectionFactory(), **fields)
    assert field in exc.value.message_dict
    assert not Document.objects.exists()


def test_annotated_text_changes_as_a_new_revision_keeping_the_annotation(db):
    annotation = AnnotationFactory()
    document = annotation.document
    old_text = document.text
    document_update(document=document, text=document.text + " more")
    document.refresh_from_db()
    assert document.text.endswith(" more") and document.revision == 2
    assert document.revisions.get(number=1).text == old_text
    annotation.refresh_from_db()
    assert annotation.revision == 1  # until the re-anchoring task moves it
    # Metadata stays editable without a revision.
    document_update(document=document, publisher="Reuters")
    document.refresh_from_db()
    assert (document.publisher, document.revision) == ("Reuters", 2)


def test_document_changes_are_in_history(db):
    document = document_create(collection=CollectionFactory(), text="Version one").document
    document_update(document=document, text="Version two")
    texts = list(document.history.order_by("history_date").values_list("text", flat=True))
    assert texts == ["Version one", "Version two"]
