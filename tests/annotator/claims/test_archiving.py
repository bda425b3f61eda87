"""Archiving sources: a real fetch from a local HTTP server, the WARC kept through Django's
storage, its hash, status and text; failures with their reason; safe to run twice."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from warcio.archiveiterator import ArchiveIterator

from annotator.claims import archiving
from annotator.claims.services import evidence_archive_retry, evidence_create, evidence_update
from annotator.models import ArchiveStatus, Evidence
from corpus.fetching import fetch
from tests.annotator.claims.pages import ARTICLE
from tests.factories import AnnotationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(reviewer):
    return AnnotationFactory(created_by=reviewer)


def add(claim, user, url, **fields):
    fields.setdefault("stance", "refutes")
    evidence = evidence_create(annotation=claim, user=user, url=url, **fields)
    archiving.evidence_archive(evidence_id=evidence.pk)
    evidence.refresh_from_db()
    return evidence


def test_archives_page_as_warc_with_hash_text_and_metadata(claim, reviewer, pages):
    evidence = add(claim, reviewer, f"{pages}/article", excerpt="only 300  people had actually")
    assert evidence.archive_status == ArchiveStatus.ARCHIVED
    assert evidence.archive_http_status == 200
    assert evidence.archive_sha256 == hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert evidence.archived_at is not None
    assert evidence.title == "Ministry revises evacuation count"
    assert evidence.author == "Ana Ruiz"
    assert str(evidence.published_on) == "2024-03-05"
    assert "Opposition leaders disputed the figure" in evidence.archive_text
    assert evidence.excerpt_found is True
    with default_storage.open(evidence.archive_file.name, "rb") as handle:
        records = list(ArchiveIterator(io.BytesIO(handle.read())))
    kinds = [record.rec_type for record in records]
    assert kinds == ["request", "response"]
    assert records[1].rec_headers.get_header("WARC-Target-URI") == f"{pages}/article"


def test_warc_payload_is_the_page(claim, reviewer, pages):
    evidence = add(claim, reviewer, f"{pages}/article")
    with default_storage.open(evidence.archive_file.name, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                assert record.content_stream().read() == ARTICLE.encode()


def test_desk_metadata_is_kept_and_missing_excerpt_reported(claim, reviewer, pages):
    evidence = add(
        claim, reviewer, f"{pages}/article", title="Our title", excerpt="not in the page at all"
    )
    assert evidence.title == "Our title"
    assert evidence.author == "Ana Ruiz"
    assert evidence.excerpt_found is False


def test_no_excerpt_means_not_checked(claim, reviewer, pages):
    assert add(claim, reviewer, f"{pages}/plain").excerpt_found is None


def test_redirect_is_followed_and_final_url_kept(claim, reviewer, pages):
    evidence = add(claim, reviewer, f"{pages}/moved")
    assert evidence.archive_status == ArchiveStatus.ARCHIVED
    assert evidence.archive_final_url == f"{pages}/article"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "The server answered HTTP 404."),
        ("/script", "Content type 'application/javascript' is not fetched."),
    ],
)
def test_failure_keeps_its_reason(claim, reviewer, pages, path, reason):
    evidence = add(claim, reviewer, pages + path)
    assert evidence.archive_status == ArchiveStatus.FAILED
    assert evidence.archive_error == reason
    assert not evidence.archive_file


def test_a_20_mb_page_is_refused_while_streaming(claim, reviewer, pages):
    evidence = add(claim, reviewer, f"{pages}/big")
    assert evidence.archive_status == ArchiveStatus.FAILED
    assert evidence.archive_error == "The page is larger than 10485760 bytes."


def test_private_address_refused_in_production(claim, reviewer, pages, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as error:
        evidence_create(annotation=claim, user=reviewer, url=f"{pages}/article", stance="context")
    message = error.value.message_dict["url"][0]
    assert message == (
        "This source cannot be archived: 127.0.0.1 resolves to 127.0.0.1, "
        "which is not a public address."
    )
    assert not Evidence.objects.exists()


def test_running_twice_fetches_once(claim, reviewer, pages, monkeypatch):
    evidence = add(claim, reviewer, f"{pages}/article")
    calls = []
    monkeypatch.setattr(archiving, "fetch", lambda url: calls.append(url) or fetch(url))
    assert archiving.evidence_archive(evidence_id=evidence.pk) == ArchiveStatus.ARCHIVED
    assert calls == []
    assert archiving.evidence_archive(evidence_id=999_999) == ""


def test_copy_of_an_old_url_is_dropped(claim, reviewer, pages):
    evidence = evidence_create(
        annotation=claim, user=reviewer, url=f"{pages}/article", stance="supports"
    )
    fetched = fetch(f"{pages}/article")
    evidence_update(evidence=evidence, user=reviewer, version=1, url=f"{pages}/plain")
    assert archiving._keep(evidence.pk, f"{pages}/article", fetched) == ArchiveStatus.QUEUED
    assert not default_storage.exists(f"archives/{evidence.pk}/{fetched.sha256}.warc.gz")
    archiving.evidence_archive(evidence_id=evidence.pk)
    evidence.refresh_from_db()
    assert evidence.archive_final_url == f"{pages}/plain"


def test_new_url_resets_the_copy_and_history_keeps_both(claim, reviewer, pages):
    evidence = add(claim, reviewer, f"{pages}/article")
    updated = evidence_update(evidence=evidence, user=reviewer, version=1, url=f"{pages}/plain")
    assert updated.archive_status == ArchiveStatus.QUEUED
    assert updated.archive_sha256 == ""
    urls = [record.url for record in evidence.history.order_by("history_id")]
    assert urls == [f"{pages}/article", f"{pages}/article", f"{pages}/plain"]


def test_adding_and_retrying_queue_the_task(
    claim, reviewer, pages, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        evidence = evidence_create(
            annotation=claim, user=reviewer, url=f"{pages}/missing", stance="origin"
        )
    assert len(callbacks) == 1
    evidence.refresh_from_db()
    assert evidence.archive_status == ArchiveStatus.FAILED
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = evidence_archive_retry(evidence=evidence, user=reviewer)
    assert queued.archive_status == ArchiveStatus.QUEUED
    assert queued.archive_error == ""
    assert len(callbacks) == 1
    evidence.url = f"{pages}/article"
    Evidence.objects.filter(pk=evidence.pk).update(url=f"{pages}/article")
    callbacks[0]()
    evidence.refresh_from_db()
    assert evidence.archive_status == ArchiveStatus.ARCHIVED
