"""Claims benchmark (a script, not a pytest module):

    .venv/bin/python tests/benchmarks/bench_claims.py [--runs 40] [--pages 100]

Builds a throwaway test database (SQLite in $DATA_DIR, default /tmp/bench-claims-data, or the
PostgreSQL named by DATABASE_URL, as test_<name>), then prints:
- the document page with 200 claims, each with 5 sources and a verdict, against the same page
  without them: SQL queries of each, server time p50/p95 through Django's test client
  (runs interleaved), and the ratio of the p95s (target <= 1.2);
- the collection's claims page over those 200 claims: p50/p95 and its queries;
- archiving N local pages (a local HTTP server on 127.0.0.1) one after another, as one solo
  worker does: pages per second, peak Python memory (tracemalloc) and the process's peak RSS;
- a 20 MB page: refused while streaming (status and reason), with the peak memory of that fetch.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATA_DIR", "/tmp/bench-claims-data")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402

import annotator.wsgi  # noqa: E402,F401  (tunes the garbage collector as a web process does)

settings.DEBUG = False
settings.FETCH_ALLOW_PRIVATE = True  # the pages are served on 127.0.0.1
settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="bench-claims-media-"))

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from tests.annotator.claims.pages import page_server  # noqa: E402
from tests.benchmarks.bench_ui import pct, text_of  # noqa: E402

CLAIMS, SOURCES = 200, 5


def make_document(collection, title: str, user, *, with_claims: bool):
    from annotator.models import Annotation, Evidence, Label, Rating, Verdict
    from corpus.models import Document

    text = text_of(40_000, 7) + f"\n{title}."  # the same text for both pages
    document = Document.objects.create(collection=collection, title=title, text=text)
    label = Label.objects.get(slug="disputed")
    step = len(text) // CLAIMS
    annotations = Annotation.objects.bulk_create(
        Annotation(
            document=document,
            start=i * step,
            end=i * step + 40,
            quote=text[i * step : i * step + 40],
            label=label,
            created_by=user,
        )
        for i in range(CLAIMS)
    )
    if with_claims:
        stances = ["supports", "refutes", "context", "origin", "refutes"]
        Evidence.objects.bulk_create(
            Evidence(
                annotation=a,
                created_by=user,
                url=f"https://sources.example/{a.pk}/{n}",
                title=f"Source {n} on claim {a.pk}",
                stance=stances[n],
                excerpt="only 300 people had actually left",
                archive_status="archived",
                archive_sha256="0" * 64,
            )
            for a in annotations
            for n in range(SOURCES)
        )
        rating = Rating.objects.get(name="Mostly false")
        Verdict.objects.bulk_create(
            Verdict(annotation=a, rating=rating, claim_reviewed=a.quote, proposed_by=user)
            for a in annotations
        )
    return document


def queries_of(client: Client, url: str) -> int:
    seen: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *a: seen.append(sql) or execute(sql, *a)):
        assert client.get(url).status_code == 200
    return len(seen)


def bench_page(client: Client, bare_url: str, claims_url: str, runs: int) -> None:
    for url in (bare_url, claims_url):
        client.get(url)  # warm up (and start the assignment)
    q_bare, q_claims = queries_of(client, bare_url), queries_of(client, claims_url)
    times: dict[str, list[float]] = {bare_url: [], claims_url: []}
    for _ in range(runs):
        for url in (bare_url, claims_url):
            t0 = time.perf_counter()
            response = client.get(url)
            times[url].append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
    b50, b95 = pct(times[bare_url])
    c50, c95 = pct(times[claims_url])
    print(
        f"document page, {CLAIMS} claims: without evidence p50 {b50:.1f} ms, p95 {b95:.1f} ms, "
        f"{q_bare} queries; with {SOURCES} sources + a verdict each p50 {c50:.1f} ms, "
        f"p95 {c95:.1f} ms, {q_claims} queries; p95 ratio {c95 / b95:.2f} (target <= 1.2)"
    )


def bench_claims_page(client: Client, url: str, runs: int) -> None:
    client.get(url)
    queries = queries_of(client, url)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append((time.perf_counter() - t0) * 1000)
    p50, p95 = pct(times)
    print(
        f"claims page ({CLAIMS} claims with sources and verdicts, 50 a page, counts per "
        f"filter): p50 {p50:.1f} ms, p95 {p95:.1f} ms, {queries} queries"
    )


def bench_archiving(base: str, count: int, user, annotation) -> None:
    from annotator.claims import archiving
    from annotator.models import Evidence

    items = Evidence.objects.bulk_create(
        Evidence(
            annotation=annotation, created_by=user, url=f"{base}/articles/{n}", stance="context"
        )
        for n in range(count)
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t0 = time.perf_counter()
    for item in items:
        archiving.evidence_archive(evidence_id=item.pk)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    archived = Evidence.objects.filter(pk__in=[i.pk for i in items], archive_status="archived")
    print(
        f"archiving {count} local pages on one worker: {archived.count()} archived in "
        f"{elapsed:.1f} s = {count / elapsed:.1f} pages/s; peak Python memory "
        f"{peak / 2**20:.1f} MiB; process peak RSS {rss_after / 1024:.0f} MiB "
        f"(+{(rss_after - rss_before) / 1024:.0f} MiB)"
    )


def bench_big(base: str, user, annotation) -> None:
    from annotator.claims import archiving
    from annotator.models import Evidence

    item = Evidence.objects.create(
        annotation=annotation, created_by=user, url=f"{base}/big", stance="context"
    )
    tracemalloc.start()
    t0 = time.perf_counter()
    archiving.evidence_archive(evidence_id=item.pk)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    item.refresh_from_db()
    print(
        f"20 MB page (no Content-Length, limit FETCH_MAX_BYTES={settings.FETCH_MAX_BYTES}): "
        f"{item.archive_status}: {item.archive_error!r} after {elapsed:.1f} s; "
        f"peak Python memory {peak / 2**20:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--pages", type=int, default=100)
    options = parser.parse_args()

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from corpus.models import Collection

        user = get_user_model().objects.create_user("bench", password="bench-pass")
        user.groups.add(Group.objects.get(name="reviewer"))
        collection = Collection.objects.create(slug="bench", name="Bench")
        bare = make_document(collection, "Without evidence", user, with_claims=False)
        full = make_document(collection, "With evidence", user, with_claims=True)
        client = Client()
        client.force_login(user)
        print(
            f"database: {connection.vendor}; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
        bench_page(client, f"/documents/{bare.pk}/", f"/documents/{full.pk}/", options.runs)
        bench_claims_page(client, "/claims/collections/bench/", options.runs)
        annotation = bare.annotations.first()
        with page_server() as base:
            bench_archiving(base, options.pages, user, annotation)
            bench_big(base, user, annotation)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
