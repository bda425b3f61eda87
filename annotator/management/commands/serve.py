"""The run command: migrate, load the demo, start a Celery worker and the web server."""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate, load the demo data, then run a Celery worker and the web server (Ctrl-C stops both)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="Skip loading the demo data.")
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start a Celery worker."
        )

    def handle(self, *args, addr: str, no_demo: bool, no_worker: bool, **options) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        if not no_demo:
            call_command("demo_setup")
        processes: list[subprocess.Popen] = []
        if not no_worker:
            processes.append(subprocess.Popen(self._worker_command()))
        web = [sys.executable, "manage.py", "runserver", addr, "--noreload"]
        if not settings.DEBUG:
            call_command("collectstatic", verbosity=0, interactive=False)
            web = [
                sys.executable,
                "-m",
                "gunicorn",
                "annotator.wsgi",
                "-b",
                addr,
                "-w",
                "2",
                "-k",
                "gthread",
                "--threads",
                "4",
            ]
        processes.append(subprocess.Popen(web))
        self.stdout.write(
            f"\nReviewer UI: http://{addr}/\nAdmin:       http://{addr}/admin/\n"
            f"API docs:    http://{addr}/api/docs/\nBroker:      {settings.CELERY_BROKER_URL}\n"
            "Press Ctrl-C to stop.\n"
        )
        self._wait(processes)

    def _worker_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "annotator",
            "worker",
            "-Q",
            "default,suggestions",
            # One process that runs tasks itself: the smallest footprint for a single machine.
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
        ]

    def _wait(self, processes: list[subprocess.Popen]) -> None:
        def stop(*_):
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
            self.stderr.write("A process stopped; stopping the others.")
        except KeyboardInterrupt:
            pass
        finally:
            stop()
