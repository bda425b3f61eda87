"""PostgreSQL's JSONL lines (export_lines.json_lines_sql, run in COPY) say what
json_build_object(...)::text says, for every kind of value the related rows hold."""

from __future__ import annotations

import pytest
from django.db import connection

from annotator.api import export_sql
from annotator.models import Annotation, Label
from tests.annotator.api.test_export_streaming import claims_corpus  # noqa: F401 (a fixture)
from tests.annotator.api.test_export_w3c import RTL, w3c_corpus  # noqa: F401 (a fixture)
from tests.factories import AnnotationFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]


def test_lines_equal_json_build_object_for_shared_and_odd_related_rows(w3c_corpus, reviewer):  # noqa: F811
    """Suggestions with scores, right-to-left titles, empty source URLs, a label and an
    author shared by many annotations (written once per related row) or odd in themselves."""
    odd = Label.objects.create(slug='say-"x"', name="Odd")
    reviewer.username = RTL[:30]
    reviewer.save()
    for annotation in Annotation.objects.all()[:3]:
        AnnotationFactory(document=annotation.document, label=odd, created_by=reviewer)
    texts = list(export_sql.iter_json_texts(Annotation.objects.all()))
    lines = b"".join(export_sql.copy_json_lines(Annotation.objects.all())).decode().split("\n")
    assert len(lines) - 1 == len(texts) == Annotation.objects.count() == 25
    for line, record in zip(lines, texts, strict=False):
        assert line.startswith(record[:-1] + ', "evidence" : '), (line, record)
    assert sum('"label" : "say-\\"x\\""' in line for line in lines) == 3
    assert sum('"suggestion_score" : 0.30000000000000004' in line for line in lines) == 1
