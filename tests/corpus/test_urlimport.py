"""Import by URL and re-check against a local server (FETCH_ALLOW_PRIVATE=1 for 127.0.0.1)."""

import gzip
import io
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from warcio.archiveiterator import ArchiveIterator

from corpus.models import Document, DocumentFetch
from corpus.urlimport import document_fetch_run, document_recheck_request, url_import_request
from tests.corpus.pages import serve_pages
from tests.factories import CollectionFactory

PARAGRAPHS = [
    "The ministry said on Tuesday that 1,200 people were evacuated from the valley, according "
    "to officials who spoke at a press conference in the capital city.",
    "Opposition leaders disputed the figure and called the response a disgrace, saying that "
    "many villages received no warning before the water arrived 🌊.",
]


@pytest.fixture
def pages(settings):
    settings.FETCH_ALLOW_PRIVATE = True
    with serve_pages() as served:
        yield served


def run(fetches):
    return [document_fetch_run(fetch_id=f.pk) for f in fetches]


def test_import_by_url_creates_the_document_with_metadata_and_warc(db, pages, lead):
    url = pages.set_article("/dam", "Dam figures revised", PARAGRAPHS)
    collection = CollectionFactory()
    (fetch,) = run(url_import_request(urls=[url], collection=collection, user=lead))
    assert fetch.status == "created", fetch.error
    document = fetch.document
    assert document.title == "Dam figures revised"
    assert "1,200 people were evacuated" in document.text and "🌊" in document.text
    assert (document.source_url, document.imported_by, document.author) == (url, lead, "Ana Ruiz")
    revision = document.revisions.get()
    assert (revision.source, revision.source_url, revision.created_by) == ("fetch", url, lead)
    responses = [
        (r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(bytes(revision.warc)))
        if r.rec_type == "response"
    ]
    assert responses[0][0] == url
    assert b"1,200 people" in responses[0][1]
    assert gzip.decompress(bytes(revision.warc))  # a gzipped WARC file


def test_an_imported_url_is_not_duplicated(db, pages):
    url = pages.set_article("/dam", "Dam", PARAGRAPHS)
    collection = CollectionFactory()
    run(url_import_request(urls=[url], collection=collection))
    (again,) = url_import_request(urls=[url, url], collection=collection)
    assert again.status == "duplicate" and again.document is not None
    assert Document.objects.count() == 1
    assert pages.hits["/dam"] == 1  # not fetched again


def test_recheck_records_a_revision_only_when_the_text_changed(db, pages, lead):
    url = pages.set_article("/dam", "Dam", PARAGRAPHS)
    (fetch,) = run(url_import_request(urls=[url], collection=CollectionFactory()))
    document = fetch.document
    unchanged = document_fetch_run(fetch_id=document_recheck_request(document=document).pk)
    assert unchanged.status == "unchanged" and unchanged.revision is None
    pages.set_article("/dam", "Dam", [PARAGRAPHS[0].replace("1,200", "1,500"), PARAGRAPHS[1]])
    revised = document_fetch_run(fetch_id=document_recheck_request(document=document, user=lead).pk)
    assert revised.status == "revised"
    document.refresh_from_db()
    assert document.revision == 2 and "1,500 people" in document.text
    last = document.revisions.get(number=2)
    assert (last.source, last.created_by) == ("fetch", lead) and last.warc
    assert "1,200 people" in document.revisions.get(number=1).text


def test_fetch_failures_are_recorded_with_the_reason(db, pages):
    collection = CollectionFactory()
    (missing,) = run(url_import_request(urls=[pages.url("/nothing")], collection=collection))
    assert missing.status == "failed" and "HTTP 404" in missing.error
    assert not Document.objects.exists()


def test_a_fetch_runs_once(db, pages):
    url = pages.set_article("/dam", "Dam", PARAGRAPHS)
    (fetch,) = url_import_request(urls=[url], collection=CollectionFactory())
    document_fetch_run(fetch_id=fetch.pk)
    document_fetch_run(fetch_id=fetch.pk)
    assert pages.hits["/dam"] == 1 and Document.objects.count() == 1


def test_private_addresses_are_refused_unless_allowed(db, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as exc:
        url_import_request(urls=["http://127.0.0.1:9/x"], collection=CollectionFactory())
    assert "not a public address" in str(exc.value)
    with pytest.raises(ValidationError, match="http or https"):
        url_import_request(urls=["ftp://example.org/x"], collection=CollectionFactory())
    assert not DocumentFetch.objects.exists()


def test_recheck_needs_a_url(db):
    document = Document.objects.create(collection=CollectionFactory(), title="T", text="Text")
    with pytest.raises(ValidationError, match="no URL"):
        document_recheck_request(document=document)


def test_commands_import_and_recheck_urls(db, pages):
    url = pages.set_article("/dam", "Dam", PARAGRAPHS)
    out = StringIO()
    call_command("import_documents", url, "--now", "--collection", "news", stdout=out)
    assert f"{url} created document" in out.getvalue()
    pages.set_article("/dam", "Dam", [PARAGRAPHS[0], "A paragraph added at the end."])
    out = StringIO()
    call_command("recheck_documents", "--now", "--collection", "news", stdout=out)
    assert "revised" in out.getvalue()
    assert Document.objects.get().revision == 2
    with pytest.raises(CommandError):
        call_command("import_documents", pages.url("/gone"), "--now", stdout=StringIO())
