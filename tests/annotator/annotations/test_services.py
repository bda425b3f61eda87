import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.annotations.services import (
    AnnotationConflict,
    annotation_create,
    annotation_delete,
    annotation_restore,
    annotation_update,
    span_check,
)
from annotator.models import Annotation, Origin
from corpus.models import Document, normalize_newlines
from tests.factories import EMOJI_TEXT, AnnotationFactory


def test_span_check_returns_code_point_quote_after_emoji():
    document = Document(text=EMOJI_TEXT)
    document.text = normalize_newlines(document.text)
    start = document.text.index("troops")
    assert span_check(document=document, start=start, end=start + 6) == "troops"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(-1, 3, "start"), (3, 3, "end"), (5, 2, "end"), (0, 10_000, "end"), ("1", 3, "start")],
)
def test_span_check_rejects_bad_offsets_naming_the_field(start, end, field):
    with pytest.raises(ValidationError) as exc:
        span_check(document=Document(text="short text"), start=start, end=end)
    assert field in exc.value.message_dict


def test_rejects_quote_mismatch():
    with pytest.raises(ValidationError) as exc:
        span_check(document=Document(text="short text"), start=0, end=5, quote="shirt")
    assert "quote" in exc.value.message_dict


# Text with astral characters, combining marks and CRLF; stored text has LF only.
text_strategy = st.lists(
    st.sampled_from(["a", " ", "é", "e\u0301", "😀", "🇰🇵", "\r\n", "\r", "\n", "—", "𝔘"]),
    min_size=1,
    max_size=40,
).map("".join)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(text=text_strategy, data=st.data())
def test_span_check_property_quote_is_code_point_slice(text, data):
    stored = normalize_newlines(text)
    document = Document(text=stored)
    assert "\r" not in stored
    start = data.draw(st.integers(min_value=-2, max_value=len(stored) + 2))
    end = data.draw(st.integers(min_value=-2, max_value=len(stored) + 2))
    if 0 <= start < end <= len(stored):
        quote = span_check(document=document, start=start, end=end)
        assert quote == stored[start:end]
        assert len(quote) == end - start
        # The same span measured in UTF-16 units, as a browser does, maps back exactly.
        utf16_start = len(stored[:start].encode("utf-16-le")) // 2
        utf16_end = len(stored[:end].encode("utf-16-le")) // 2
        assert (
            stored.encode("utf-16-le")[utf16_start * 2 : utf16_end * 2].decode("utf-16-le") == quote
        )
    else:
        with pytest.raises(ValidationError):
            span_check(document=document, start=start, end=end)


def test_annotation_create_computes_quote_and_history(emoji_document, reviewer):
    start = emoji_document.text.index("Café")
    annotation = annotation_create(
        document=emoji_document, created_by=reviewer, start=start, end=start + 4, label="disputed"
    )
    assert annotation.quote == "Café"
    assert annotation.origin == Origin.MANUAL
    assert annotation.history.count() == 1
    assert annotation.history.first().history_type == "+"


def test_annotation_create_rejects_non_http_evidence(document, reviewer):
    with pytest.raises(ValidationError) as exc:
        annotation_create(
            document=document,
            created_by=reviewer,
            start=0,
            end=4,
            label="sourced",
            evidence_url="javascript:alert(1)",
        )
    assert "evidence_url" in exc.value.message_dict
    assert not Annotation.objects.exists()


def test_annotation_create_rejects_unknown_label(document, reviewer):
    with pytest.raises(ValidationError) as exc:
        annotation_create(document=document, created_by=reviewer, start=0, end=4, label="rumour")
    assert "label" in exc.value.message_dict


def test_update_bumps_version_and_records_before_and_after(reviewer):
    annotation = AnnotationFactory(created_by=reviewer, note="first")
    updated = annotation_update(annotation=annotation, user=reviewer, version=1, note="second")
    assert updated.version == 2
    notes = list(annotation.history.order_by("history_date").values_list("note", flat=True))
    assert notes == ["first", "second"]


def test_update_with_stale_version_conflicts_and_changes_nothing(reviewer):
    annotation = AnnotationFactory(created_by=reviewer, note="first")
    annotation_update(annotation=annotation, user=reviewer, version=1, note="second")
    with pytest.raises(AnnotationConflict):
        annotation_update(annotation=annotation, user=reviewer, version=1, note="third")
    annotation.refresh_from_db()
    assert annotation.note == "second"


def test_reviewer_cannot_change_other_reviewers_annotation(reviewer, other_reviewer):
    annotation = AnnotationFactory(created_by=other_reviewer)
    with pytest.raises(PermissionDenied):
        annotation_update(annotation=annotation, user=reviewer, version=None, note="mine now")
    with pytest.raises(PermissionDenied):
        annotation_delete(annotation=annotation, user=reviewer)


def test_lead_may_change_any_annotation(lead, other_reviewer):
    annotation = AnnotationFactory(created_by=other_reviewer)
    annotation_update(annotation=annotation, user=lead, version=None, label="propaganda")
    annotation.refresh_from_db()
    assert annotation.label.slug == "propaganda"


def test_delete_then_restore_brings_back_same_annotation(reviewer):
    annotation = AnnotationFactory(created_by=reviewer, note="keep me")
    pk, created_at = annotation.pk, annotation.created_at
    annotation_delete(annotation=annotation, user=reviewer)
    assert not Annotation.objects.filter(pk=pk).exists()
    restored = annotation_restore(annotation_id=pk, user=reviewer)
    restored.refresh_from_db()
    assert (restored.pk, restored.note, restored.created_at) == (pk, "keep me", created_at)
    assert [h.history_type for h in Annotation.history.filter(id=pk).order_by("history_date")] == [
        "+",
        "-",
        "+",
    ]


def test_restore_of_live_annotation_is_refused(reviewer):
    annotation = AnnotationFactory(created_by=reviewer)
    with pytest.raises(ValidationError):
        annotation_restore(annotation_id=annotation.pk, user=reviewer)


def test_span_update_rechecks_offsets(reviewer):
    annotation = AnnotationFactory(created_by=reviewer)
    with pytest.raises(ValidationError):
        annotation_update(annotation=annotation, user=reviewer, version=1, end=10_000)
    annotation.refresh_from_db()
    assert annotation.end == 6
