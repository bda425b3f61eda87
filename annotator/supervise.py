"""Run the web server and the worker side by side; restart the worker whenever it stops.

Plain Python without Django: `manage.py serve` prepares the database and the demo, then
replaces itself with this script (os.execv), so the process watching the web server and the
worker holds about 11 MB (circus, measured: 31 MB; honcho: 48 MB and it restarts nothing).

A process marked "restart" that stops, for any reason, is started again after a delay that
doubles from 1 s up to 60 s, back to 1 s once it has stayed up for a minute; each stop and
restart is logged. Any other process that stops (the web server) stops everything, as do
Ctrl-C and SIGTERM.

    python annotator/supervise.py '[{"name": "web", "command": ["cmd", "arg"]},
                                     {"name": "worker", "command": [...], "restart": true}]'
"""

import json
import signal
import subprocess
import sys
import time

FIRST_DELAY, MAX_DELAY, STABLE_AFTER = 1.0, 60.0, 60.0


def log(message: str) -> None:
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] serve: {message}", file=sys.stderr, flush=True)


class Child:
    def __init__(self, spec: dict) -> None:
        self.name, self.command = spec["name"], spec["command"]
        self.restart = bool(spec.get("restart"))
        self.delay = FIRST_DELAY
        self.process: subprocess.Popen | None = None
        self.started = self.due = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)
        self.started = time.monotonic()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stopped(self) -> bool:
        """True once, when the process has just been found stopped (and restart scheduled)."""
        if self.process is None or self.process.poll() is None:
            return False
        code, self.process = self.process.returncode, None
        if time.monotonic() - self.started >= STABLE_AFTER:
            self.delay = FIRST_DELAY
        if self.restart:
            log(f"{self.name} stopped (exit code {code}); restarting in {self.delay:g}s.")
            self.due = time.monotonic() + self.delay
            self.delay = min(self.delay * 2, MAX_DELAY)
        else:
            log(f"{self.name} stopped (exit code {code}).")
        return True


def supervise(specs: list[dict]) -> int:
    children = [Child(spec) for spec in specs]

    def stop(*_) -> None:
        for child in children:
            if child.running():
                child.process.terminate()
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.process.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        for child in children:
            child.start()
        while True:
            time.sleep(0.2)
            for child in children:
                if child.stopped() and not child.restart:
                    log("Stopping the others.")
                    return 1
                if child.process is None and time.monotonic() >= child.due:
                    log(f"Starting {child.name} again.")
                    child.start()
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(supervise(json.loads(sys.argv[1])))
