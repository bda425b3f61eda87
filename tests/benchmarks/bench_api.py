"""API benchmark against a real gunicorn on PostgreSQL. Prints the figures; asserts nothing.

Set-up (once; about 2 minutes):

    createdb -h 127.0.0.1 -U postgres bench_api
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_corpus --documents 10000 --annotations-per-document 100
    (or `bench_api.py --grow-to 1000000`: adds what is missing, then ANALYZE)
    .venv/bin/python manage.py generate_corpus --documents 1000 --annotations-per-document 100 \\
        --collection bench-100k --seed 2

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api .venv/bin/python \\
          tests/benchmarks/bench_api.py [--workers 4] [--requests 300] [--clients 8]

Measures: export (JSONL, or each of `--formats jsonl,json,csv,w3c,spacy`) of the `bench-100k`
collection (100,000 annotations) and of `synthetic` (1,000,000) through one gunicorn worker:
annotations/s and the worker's peak RSS (VmHWM);
`/api/annotations/?document=ID` (page of 100) latency; single-client create latency; 8 concurrent
clients creating annotations: spans/s and errors. Created annotations are deleted afterwards.

`--open URL` times, instead, the one-call open of a 100,000-character document with 1,000
annotations (`GET /api/documents/{id}/?include=annotations`, and its 304 with the ETag read)
against a server already running at URL, e.g. `manage.py serve` on SQLite; the document is
made once in that server's database, so give the server's DATA_DIR and DATABASE_URL:

    DATA_DIR=/tmp/d DATABASE_URL=sqlite:////tmp/d/db.sqlite3 SUGGEST_ON_IMPORT=0 \\
        .venv/bin/python manage.py serve 127.0.0.1:8101 &
    DATA_DIR=/tmp/d DATABASE_URL=sqlite:////tmp/d/db.sqlite3 .venv/bin/python \\
        tests/benchmarks/bench_api.py --open http://127.0.0.1:8101 [--runs 40 --rounds 3]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_api")
os.environ.setdefault("DATA_DIR", "/tmp/data-bench-api")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db.models.functions import Length  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from annotator.models import Annotation  # noqa: E402
from corpus.models import Collection, Document  # noqa: E402

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def token_for(username: str, role: str) -> tuple[object, str]:
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    token, _ = Token.objects.get_or_create(user=user)
    return user, token.key


class Server:
    """gunicorn (sync workers, DEBUG off) on a free port."""

    def __init__(self, workers: int) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": HOST,
            "API_THROTTLE_USER": "100000000/hour",
            "LOG_LEVEL": "ERROR",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "annotator.wsgi",
                "-b",
                f"{HOST}:{self.port}",
                "-w",
                str(workers),
                "--timeout",  # sync workers are killed after --timeout, even while streaming
                "900",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not start")
        time.sleep(1.0)  # let the workers boot

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def request(port: int, method: str, path: str, token: str, body: dict | None = None):
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, data, elapsed


def get(port: int, path: str, token: str, etag: str = "") -> tuple[int, str, int, float]:
    """One GET on a new connection, as a browser's first call: (status, ETag, bytes, seconds)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    size = len(response.read())
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, response.getheader("ETag", ""), size, elapsed


def bench_open(url: str, runs: int, rounds: int) -> None:
    """The one-call open of the 100k/1,000-annotation document (bench_ui's) and its 304."""
    from bench_ui import fill, text_of

    address = urllib.parse.urlsplit(url)
    if address.hostname != HOST or not address.port:
        raise SystemExit(f"--open wants http://{HOST}:PORT, not {url}")
    user, token = token_for("bench-lead", "lead")
    collection, _ = Collection.objects.get_or_create(slug="bench-open", defaults={"name": "Open"})
    document = Document.objects.filter(collection=collection).first()
    if document is None:
        text = text_of(100_000, 1)
        document = Document.objects.create(collection=collection, title="Open", text=text)
        fill(document, annotations=1000, suggestions=0, user=user)
    path = f"/api/documents/{document.pk}/?include=annotations"
    print(f"GET {url}{path} ({len(document.text):,} characters, new connection per call)")
    for _ in range(3):  # warm-up: the server's first requests import and connect
        status, etag, size, _ = get(address.port, path, token)
        assert status == 200, status
    for round_ in range(1, rounds + 1):
        opened, revalidated = [], []
        for _ in range(runs):
            status, etag, size, elapsed = get(address.port, path, token)
            assert status == 200, status
            opened.append(elapsed)
            status, _, _, elapsed = get(address.port, path, token, etag)
            assert status == 304, status
            revalidated.append(elapsed)
        print(
            f"  round {round_}: open {ms(opened)}, {size / 1024:.0f} KiB; "
            f"304 {ms(revalidated)}; load average {os.getloadavg()[0]:.2f}"
        )


def export(port: int, token: str, query: str) -> tuple[int, float, float]:
    """Stream an export; return (bytes, seconds to the first byte, seconds in all)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    started = time.perf_counter()
    connection.request(
        "GET", f"/api/export/annotations/?{query}", headers={"Authorization": f"Token {token}"}
    )
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"export failed: {response.status} {response.read()[:300]!r}")
    first = response.read(1)
    first_byte = time.perf_counter() - started
    size = len(first)
    while chunk := response.read(1 << 20):
        size += len(chunk)
    elapsed = time.perf_counter() - started
    connection.close()
    return size, first_byte, elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values) * 1000:.1f} ms, p95 {pct(values, 0.95) * 1000:.1f} ms, "
        f"max {max(values) * 1000:.1f} ms (n={len(values)})"
    )


def random_span(rng: random.Random, documents: list[tuple[int, int]]) -> dict:
    document_id, length = rng.choice(documents)
    start = rng.randrange(0, length - 1)
    end = min(length, start + rng.randint(1, 80))
    label = rng.choice(["sourced", "disputed", "propaganda"])
    return {"document": document_id, "start": start, "end": end, "label": label, "note": "bench"}


def grow(target: int) -> None:
    """Add documents of 100 annotations to `synthetic` until it holds `target`, then ANALYZE
    (the planner's figures decide how an export reads the table)."""
    from django.core.management import call_command
    from django.db import connection

    have = Annotation.objects.filter(document__collection__slug="synthetic").count()
    missing = -(-(target - have) // 100)
    if missing > 0:
        print(f"growing synthetic from {have:,} to {target:,} annotations ({missing:,} documents)")
        seed = 1000 + have // 100  # new texts each time it grows
        call_command("generate_corpus", documents=missing, annotations_per_document=100, seed=seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers for requests")
    parser.add_argument("--requests", type=int, default=300, help="requests per latency figure")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=200, help="creates per client")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--export-only", action="store_true", help="skip the request figures")
    parser.add_argument(
        "--formats",
        default="jsonl",
        help="comma-separated export formats: jsonl,json,csv,w3c,spacy",
    )
    parser.add_argument(
        "--grow-to",
        type=int,
        default=0,
        metavar="N",
        help="first add synthetic documents of 100 annotations until the `synthetic` collection "
        "holds N annotations (e.g. 1000000), then ANALYZE",
    )
    parser.add_argument(
        "--open",
        metavar="URL",
        help="only time the one-call open (and its 304) against the server running at URL",
    )
    parser.add_argument("--runs", type=int, default=40, help="--open: calls per round")
    parser.add_argument("--rounds", type=int, default=3, help="--open: rounds")
    args = parser.parse_args()
    if args.open:
        bench_open(args.open, args.runs, args.rounds)
        return
    rng = random.Random(7)
    if args.grow_to:
        grow(args.grow_to)

    _, lead_token = token_for("bench-lead", "lead")
    bench_user, reviewer_token = token_for("bench-reviewer", "reviewer")
    counts = {
        slug: Annotation.objects.filter(document__collection__slug=slug).count()
        for slug in ("bench-100k", "synthetic")
    }
    print(f"database {os.environ['DATABASE_URL']}: annotations per collection {counts}")
    print(
        f"CPUs: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (other work slows figures)"
    )

    for format_ in [] if args.skip_export else args.formats.split(","):
        # A fresh worker per format, so each peak RSS is that format's own.
        print(
            f"\n== {format_} export through one gunicorn worker (lead token), "
            f"load average {os.getloadavg()[0]:.1f} =="
        )
        server = Server(workers=1)
        try:
            (worker,) = server.worker_pids()
            idle = status_kb(worker, "VmRSS")
            print(f"worker RSS at rest: {idle / 1024:.0f} MB")
            for slug in ("bench-100k", "synthetic"):
                if not counts[slug]:
                    print(f"  collection {slug} is empty: see the set-up in this file's docstring")
                    continue
                size, first_byte, seconds = export(
                    server.port, lead_token, f"format={format_}&collection={slug}"
                )
                peak = status_kb(worker, "VmHWM")
                print(
                    f"  {slug}: {counts[slug]:,} annotations, first byte after {first_byte:.2f} s, "
                    f"{size / 1e6:.0f} MB in {seconds:.1f} s = {counts[slug] / seconds:,.0f} "
                    f"annotations/s; worker peak RSS so far {peak / 1024:.0f} MB"
                )
        finally:
            server.stop()

    if args.export_only:
        return
    documents = list(
        Document.objects.filter(collection__slug="synthetic")
        .annotate(n=Length("text"))
        .values_list("id", "n")[:2000]
    )
    if not documents:
        raise SystemExit("no documents: see the set-up in this file's docstring")
    started_at = time.time()
    server = Server(workers=args.workers)
    try:
        print(f"\n== Requests through gunicorn, {args.workers} sync workers ==")
        for _ in range(10):  # warm-up: connections, caches
            request(server.port, "GET", f"/api/annotations/?document={documents[0][0]}", lead_token)
        latencies = []
        for _ in range(args.requests):
            document_id = rng.choice(documents)[0]
            status, data, elapsed = request(
                server.port, "GET", f"/api/annotations/?document={document_id}", reviewer_token
            )
            assert status == 200, (status, data[:200])
            latencies.append(elapsed)
        results = len(json.loads(data)["results"])
        print(f"  GET /api/annotations/?document=ID ({results} per page): {ms(latencies)}")

        latencies = []
        for _ in range(args.requests):
            status, data, elapsed = request(
                server.port,
                "POST",
                "/api/annotations/",
                reviewer_token,
                random_span(rng, documents),
            )
            assert status == 201, (status, data[:200])
            latencies.append(elapsed)
        print(f"  POST /api/annotations/ (one client): {ms(latencies)}")

        errors: list[str] = []
        done = [0] * args.clients
        all_latencies: list[float] = []
        lock = threading.Lock()

        def client(index: int) -> None:
            local = random.Random(index)
            mine = []
            for _ in range(args.per_client):
                try:
                    status, data, elapsed = request(
                        server.port,
                        "POST",
                        "/api/annotations/",
                        reviewer_token,
                        random_span(local, documents),
                    )
                except OSError as exc:
                    errors.append(repr(exc))
                    continue
                if status != 201:
                    errors.append(f"{status} {data[:120]!r}")
                else:
                    done[index] += 1
                    mine.append(elapsed)
            with lock:
                all_latencies.extend(mine)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - t0
        total = sum(done)
        print(
            f"  {args.clients} concurrent clients creating: {total} spans in {wall:.1f} s = "
            f"{total / wall:.0f} spans/s, errors {len(errors)}; per request {ms(all_latencies)}"
        )
        for error in errors[:5]:
            print("    error:", error)
    finally:
        server.stop()
        created = Annotation.objects.filter(created_by=bench_user, note="bench")
        since = datetime.datetime.fromtimestamp(started_at, datetime.UTC)
        deleted = created.filter(created_at__gte=since)
        print(f"\ncleaned up {deleted.delete()[0]} benchmark rows")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
