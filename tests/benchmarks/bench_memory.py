"""Idle memory of the run command; run as a script (not collected by pytest):

    .venv/bin/python tests/benchmarks/bench_memory.py [--wait 75] [--runs 1] [--request]
        [--env NAME=VALUE ...]

Each run starts `manage.py serve` (the default run command: supervisor, web server, worker)
on a fresh DATA_DIR with the embedded database and broker (DATABASE_URL and CELERY_BROKER_URL
are removed from its environment), waits until the web server accepts connections (with
--request, serves the login page once) and until --wait seconds after the start, then prints
the proportional set size (PSS, /proc/PID/smaps_rollup) of every process in its tree and
their total, with the load average. The end of the run stops the tree.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def pss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop(0)
        pids.append(current)
        todo.extend(children(current))
    return pids


def describe(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    words = [word.decode() for word in argv if word]
    if any(word.endswith("supervise.py") for word in words):
        return "supervisor"
    if "annotator.worker" in words or ("celery" in words and "worker" in words):
        return "worker"
    if "runserver" in words or any("gunicorn" in word for word in words):
        return "web"
    return " ".join(words)[:60]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_web(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve stopped (exit code {process.returncode})")
        try:  # a connection, not a request: the server stays as idle as it started
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the web server did not answer")


def run(wait: float, port: int, extra_env: dict[str, str], request: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as data_dir:
        env = {**os.environ, "DATA_DIR": data_dir, **extra_env}
        env.pop("DATABASE_URL", None)
        env.pop("CELERY_BROKER_URL", None)
        command = [sys.executable, "manage.py", "serve", "--addr", f"127.0.0.1:{port}"]
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            started = time.monotonic()
            wait_for_web(port, process)
            if request:  # a server that has served a page (templates, sessions loaded)
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/").read()
            time.sleep(max(0.0, wait - (time.monotonic() - started)))
            rows = [(describe(pid), pid, pss_kb(pid)) for pid in tree(process.pid)]
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    for name, pid, kb in rows:
        print(f"  {name:<12} pid {pid:>7}  PSS {kb / 1024:6.1f} MB")
    total = sum(kb for _, _, kb in rows)
    print(f"  {'total':<12} {'':>11}  PSS {total / 1024:6.1f} MB")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=75.0, help="seconds after start")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for serve")
    parser.add_argument("--request", action="store_true", help="GET the login page once")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    totals = []
    for number in range(1, args.runs + 1):
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"run {number}: load average {' '.join(load)}")
        totals.append(run(args.wait, args.port or free_port(), extra_env, args.request))
    if len(totals) > 1:
        print(f"totals MB: {', '.join(f'{kb / 1024:.1f}' for kb in totals)}")


if __name__ == "__main__":
    main()
