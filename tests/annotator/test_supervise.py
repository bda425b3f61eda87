"""The run command's supervisor (annotator/supervise.py) with real child processes."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

SUPERVISOR = Path(settings.BASE_DIR) / "annotator" / "supervise.py"


def start(specs: list[dict]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-P", str(SUPERVISOR), json.dumps(specs)],
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_dying_worker_is_restarted_with_backoff_and_the_web_stays_up(tmp_path):
    starts = tmp_path / "starts"
    web_pid = tmp_path / "web"
    # The "worker" records each start and dies at once; the "web server" sleeps.
    worker = [sys.executable, "-c", f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"]
    web = [
        sys.executable,
        "-c",
        f"import os, time; open({str(web_pid)!r}, 'w').write(str(os.getpid())); time.sleep(60)",
    ]
    supervisor = start(
        [
            {"name": "worker", "command": worker, "restart": True},
            {"name": "web server", "command": web},
        ]
    )
    try:
        # Started at 0 s, then 1 s and 2 s after each stop: the third start about 3 s in.
        deadline = time.monotonic() + 20
        while not starts.exists() or len(starts.read_text()) < 3:
            assert supervisor.poll() is None, "the supervisor stopped"
            assert time.monotonic() < deadline, "the worker was not restarted twice"
            time.sleep(0.1)
        pid = int(web_pid.read_text())
        assert Path(f"/proc/{pid}").exists(), "the web server was stopped"
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=20) == 0
        log = supervisor.stderr.read()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    first = log.index("worker stopped (exit code 3); restarting in 1s.")
    assert log.index("worker stopped (exit code 3); restarting in 2s.") > first
    assert log.count("Starting worker again.") >= 2
    assert not Path(f"/proc/{pid}").exists()


def test_the_web_server_stopping_stops_everything(tmp_path):
    worker_pid = tmp_path / "worker"
    worker = [
        sys.executable,
        "-c",
        f"import os, time; open({str(worker_pid)!r}, 'w').write(str(os.getpid())); time.sleep(60)",
    ]
    web = [sys.executable, "-c", "import time; time.sleep(1); raise SystemExit(2)"]
    supervisor = start(
        [
            {"name": "worker", "command": worker, "restart": True},
            {"name": "web server", "command": web},
        ]
    )
    try:
        assert supervisor.wait(timeout=30) == 1
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    assert "web server stopped (exit code 2)." in supervisor.stderr.read()
    pid = int(worker_pid.read_text())
    assert not Path(f"/proc/{pid}").exists()
