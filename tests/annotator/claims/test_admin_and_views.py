"""Evidence in the admin (validation, history, archive status) and the archived copy's download."""

from __future__ import annotations

import pytest

from annotator.claims import archiving
from annotator.claims.services import evidence_create
from annotator.models import Evidence
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(reviewer):
    return AnnotationFactory(created_by=reviewer)


def test_admin_adds_evidence_through_the_service(client, admin_user, claim, pages):
    client.force_login(admin_user)
    form = {"annotation": claim.pk, "url": f"{pages}/article", "stance": "context"}
    response = client.post("/admin/annotator/evidence/add/", form)
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.created_by, evidence.archive_status) == (admin_user, "queued")
    assert evidence.history.count() == 1
    page = client.get(f"/admin/annotator/evidence/{evidence.pk}/change/")
    assert b"Queued" in page.content


def test_admin_refuses_local_url_in_production(client, admin_user, claim, pages, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    client.force_login(admin_user)
    form = {"annotation": claim.pk, "url": f"{pages}/article", "stance": "context"}
    response = client.post("/admin/annotator/evidence/add/", form)
    assert response.status_code == 200
    assert "which is not a public address" in response.content.decode()
    assert not Evidence.objects.exists()


def test_warc_download(client, reviewer, claim, pages):
    evidence = evidence_create(
        annotation=claim, user=reviewer, url=f"{pages}/plain", stance="origin"
    )
    client.force_login(reviewer)
    url = f"/claims/evidence/{evidence.pk}/archive.warc.gz"
    assert client.get(url).status_code == 404
    archiving.evidence_archive(evidence_id=evidence.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/warc"
    assert b"".join(response.streaming_content)[:2] == b"\x1f\x8b"


def test_warc_download_follows_blind_review(client, reviewer, other_reviewer, pages):
    collection = CollectionFactory(blind_review=True)
    claim = AnnotationFactory(document=DocumentFactory(collection=collection), created_by=reviewer)
    evidence = evidence_create(
        annotation=claim, user=reviewer, url=f"{pages}/plain", stance="origin"
    )
    archiving.evidence_archive(evidence_id=evidence.pk)
    client.force_login(other_reviewer)
    assert client.get(f"/claims/evidence/{evidence.pk}/archive.warc.gz").status_code == 404
