"""Reviewer UI benchmark (a script, not a pytest module):

    .venv/bin/python tests/benchmarks/bench_ui.py [--runs 40] [--no-browser]

Builds a throwaway test database (SQLite in $DATA_DIR, default /tmp/bench-ui-data, or the
PostgreSQL named by DATABASE_URL, as test_<name>), then prints:
- document page, 100,000 characters, 1,000 annotations + 1,000 suggestions: server time
  p50/p95 through Django's test client (target p95 <= 100 ms), SQL queries, HTML size;
- the same page in headless chromium: load event p50/max (target <= 1 s);
- creating an annotation on a 5,000-character document with 50 annotations, including the
  returned fragments: server time p50/p95 (target p95 <= 30 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATA_DIR", "/tmp/bench-ui-data")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # playwright's loop shares this thread

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402

import annotator.wsgi  # noqa: E402,F401  (tunes the garbage collector as a web process does)

settings.DEBUG = False  # as Django's test runner does: no query log, production-like timings

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

WORDS = [
    "officials",
    "said",
    "the",
    "troops",
    "arrived",
    "according",
    "to",
    "reuters",
    "while",
    "the",
    "ministry",
    "denied",
    "claims",
    "that",
    "heroic",
    "defenders",
    "crushed",
    "enemy",
    "forces",
    "near",
    "the",
    "border",
    "reportedly",
    "on",
    "tuesday",
]


def text_of(length: int, seed: int) -> str:
    rng = random.Random(seed)
    parts, size = [], 0
    while size < length:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize()
        sentence += ". " if rng.random() > 0.15 else ".\n\n"
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts)[:length]


def spans(text: str, count: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        start = rng.randrange(0, len(text) - 80)
        out.append((start, start + rng.randint(5, 80)))
    return out


def fill(document, *, annotations: int, suggestions: int, user) -> None:
    from annotator.models import Annotation, Label, Suggestion

    labels = list(Label.objects.all())
    text = document.text
    Annotation.objects.bulk_create(
        Annotation(
            document=document,
            start=s,
            end=e,
            quote=text[s:e],
            label=labels[i % 3],
            created_by=user,
            note=f"note {i}",
        )
        for i, (s, e) in enumerate(spans(text, annotations, 1))
    )
    Suggestion.objects.bulk_create(
        Suggestion(
            document=document,
            start=s,
            end=e,
            quote=text[s:e],
            label=labels[i % 3],
            score=0.5,
            rationale="cue",
            suggester="bench",
            suggester_version="1",
        )
        for i, (s, e) in enumerate(spans(text, suggestions, 2))
    )


def pct(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=20, method="inclusive")
    return statistics.median(values), q[18]


def bench_page(client: Client, url: str, runs: int) -> None:
    client.get(url)  # warm up
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)
    ):
        response = client.get(url)
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    assert response.status_code == 200
    p50, p95 = pct(times)
    c50, c95 = pct(cpu)
    print(
        f"document page (100,000 chars, 1,000 annotations + 1,000 suggestions): "
        f"server p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 100 ms), "
        f"CPU p50 {c50:.1f} ms, p95 {c95:.1f} ms; "
        f"{len(queries)} SQL queries; {len(response.content) / 1024:.0f} KiB HTML"
    )


def bench_create(client: Client, document, runs: int) -> None:
    from annotator.models import Annotation

    url = f"/documents/{document.pk}/annotations/"
    times, cpu = [], []
    for i, (start, end) in enumerate(spans(document.text, runs + 1, 3)):
        data = {
            "start": start,
            "end": end,
            "quote": document.text[start:end],
            "label": ("sourced", "disputed", "propaganda")[i % 3],
        }
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        elapsed = (time.perf_counter() - t0) * 1000
        cpu_ms = (time.process_time() - c0) * 1000
        assert response.status_code == 200, response.content[:300]
        if i:  # the first one warms up
            times.append(elapsed)
            cpu.append(cpu_ms)
        # keep the document at ~50 annotations
        Annotation.objects.filter(
            pk=Annotation.objects.filter(document=document).latest("id").pk
        ).delete()
    p50, p95 = pct(times)
    c50, c95 = pct(cpu)
    print(
        f"create annotation (5,000 chars, 50 annotations, fragments returned): "
        f"server p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 30 ms), "
        f"CPU p50 {c50:.1f} ms, p95 {c95:.1f} ms"
    )


def bench_browser(url_path: str, runs: int) -> None:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base = f"http://127.0.0.1:{server.port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(base + "/accounts/login/")
            page.fill("#id_username", "bench")
            page.fill("#id_password", "bench-pass")
            page.click("button[type=submit]")
            page.wait_for_url("**/")
            loads = []
            for _ in range(runs + 1):
                page.goto(base + url_path, wait_until="load")
                loads.append(
                    page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                )
            loads = loads[1:]
            marks = page.locator("#doc-text mark").count()
            browser.close()
        print(
            f"document page in chromium: load event p50 {statistics.median(loads):.0f} ms, "
            f"max {max(loads):.0f} ms over {runs} loads (target <= 1000 ms); {marks} <mark> elements"
        )
    finally:
        server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--browser-runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    options = parser.parse_args()

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from corpus.models import Collection, Document

        user = get_user_model().objects.create_user("bench", password="bench-pass")
        user.groups.add(Group.objects.get(name="reviewer"))
        collection = Collection.objects.create(slug="bench", name="Bench")
        big = Document.objects.create(collection=collection, title="Big", text=text_of(100_000, 1))
        fill(big, annotations=1000, suggestions=1000, user=user)
        small = Document.objects.create(
            collection=collection, title="Small", text=text_of(5_000, 2)
        )
        fill(small, annotations=50, suggestions=0, user=user)

        client = Client()
        client.force_login(user)
        print(
            f"database: {connection.vendor}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        bench_page(client, f"/documents/{big.pk}/", options.runs)
        bench_create(client, small, options.runs)
        if not options.no_browser:
            bench_browser(f"/documents/{big.pk}/", options.browser_runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
