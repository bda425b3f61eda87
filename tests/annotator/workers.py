"""Real Celery worker processes for tests: started on the configured broker and the test
database, stopped and their logs read afterwards."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from annotator.celery import app

RULES = "annotator.suggestions.suggesters.sourced,annotator.suggestions.suggesters.disputed,annotator.suggestions.suggesters.propaganda"


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def purge_queues() -> None:
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in ("default", "suggestions"):
            with contextlib.suppress(Exception):  # the queue may not exist yet
                channel.queue_purge(queue)


class Workers:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.control = tmp_path / "control"
        self.processes: list[subprocess.Popen] = []

    def env(self, suggesters: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url(),
            DATA_DIR=str(settings.DATA_DIR),
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            CELERY_VISIBILITY_TIMEOUT="3",
            CELERY_UNACKED_RESTORE_INTERVAL="1",
            SUGGESTERS=suggesters,
            SUGGEST_ON_IMPORT="0",
            WORKER_SUGGESTER_CONTROL=str(self.control),
            PYTHONPATH=str(settings.BASE_DIR),
            DJANGO_SETTINGS_MODULE="annotator.settings",
        )
        return env

    def start(
        self, suggesters: str = RULES, queues: str | None = "default,suggestions"
    ) -> subprocess.Popen:
        """A worker on `queues` (None: as `celery -A annotator worker` starts, without -Q)."""
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        command = [sys.executable, "-m", "celery", "-A", "annotator", "worker"]
        command += ["-Q", queues] if queues else []
        command += ["--pool", "solo", "--loglevel", "INFO"]
        command += ["-n", f"test-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle"]
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=self.env(suggesters),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:]
            for p in sorted(self.tmp_path.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
