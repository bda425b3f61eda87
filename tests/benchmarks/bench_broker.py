"""Embedded broker benchmark; run as a script (not collected by pytest):

    .venv/bin/python tests/benchmarks/bench_broker.py [--messages 2000] [--publishers 4]

For each broker URL (default: the SQLite broker and the filesystem broker, each in a fresh
folder; or --url ...): N publisher processes put messages on a queue while one consumer
process takes and acknowledges them. Prints messages per second, the publish-to-receive
latency (median, p95) and how many were lost or failed to decode.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))


def connection(url: str, folder: str):
    from kombu import Connection

    import annotator.celery  # noqa: F401 (sqla+ URLs use annotator.broker)

    options = {"polling_interval": 0.05}
    if url.startswith("sqla+"):
        options["busy_timeout"] = 30
    if url.startswith("filesystem://"):
        for sub in ("in", "processed", "control"):
            Path(folder, sub).mkdir(parents=True, exist_ok=True)
        options.update(
            data_folder_in=f"{folder}/in",
            data_folder_out=f"{folder}/in",
            processed_folder=f"{folder}/processed",
            control_folder=f"{folder}/control",
            store_processed=False,
        )
    return Connection(url, transport_options=options)


def publish(url: str, folder: str, first: int, count: int) -> None:
    with connection(url, folder) as conn:
        queue = conn.SimpleQueue("bench")
        for number in range(first, first + count):
            queue.put({"n": number, "at": time.time()})
        queue.close()


def consume(url: str, folder: str, expected: int, out) -> None:
    received, latencies, errors = set(), [], 0
    last = time.monotonic() + 20  # stops 10 s after the last message (30 s before the first)
    with connection(url, folder) as conn:
        queue = conn.SimpleQueue("bench")
        while len(received) < expected and time.monotonic() - last < 10:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                continue
            except Exception:  # the filesystem transport's half-written reads
                errors += 1
                continue
            last = time.monotonic()
            latencies.append(time.time() - message.payload["at"])
            received.add(message.payload["n"])
            message.ack()
        queue.close()
    out.put(json.dumps({"received": len(received), "latencies": latencies, "errors": errors}))


def bench(url: str, folder: str, messages: int, publishers: int) -> None:
    out = multiprocessing.Queue()
    consumer = multiprocessing.Process(target=consume, args=(url, folder, messages, out))
    consumer.start()
    time.sleep(1)
    started = time.perf_counter()
    share = messages // publishers
    producers = [
        multiprocessing.Process(target=publish, args=(url, folder, i * share, share))
        for i in range(publishers)
    ]
    for producer in producers:
        producer.start()
    for producer in producers:
        producer.join()
    result = json.loads(out.get(timeout=180))
    elapsed = time.perf_counter() - started
    consumer.join()
    latencies = sorted(result["latencies"]) or [0.0]
    p95 = latencies[int(len(latencies) * 0.95) - 1] if len(latencies) > 1 else latencies[0]
    print(
        f"{url.split(':')[0]}: {result['received']}/{share * publishers} received in {elapsed:.1f}s"
        f" -> {result['received'] / elapsed:.0f} msg/s; latency median"
        f" {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms;"
        f" {share * publishers - result['received']} lost, {result['errors']} read errors"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--url", action="append", default=[])
    args = parser.parse_args()
    for url in args.url or ["sqla+sqlite:///{folder}/broker.sqlite3", "filesystem://"]:
        folder = tempfile.mkdtemp(prefix="bench-broker-")
        bench(url.format(folder=folder), folder, args.messages, args.publishers)


if __name__ == "__main__":
    main()
