"""The run command: migrate, load the demo, start a Celery worker and the web server."""

import json
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

SUPERVISOR = Path(__file__).resolve().parents[2] / "supervise.py"


class Command(BaseCommand):
    help = (
        "Migrate, load the demo data, then run a Celery worker (restarted if it stops) and the "
        "web server (Ctrl-C stops both)."
    )

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
        processes = [] if no_worker else [self._worker()]
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
        processes.append({"name": "web server", "command": web})
        self.stdout.write(
            f"\nReviewer UI: http://{addr}/\nAdmin:       http://{addr}/admin/\n"
            f"API docs:    http://{addr}/api/docs/\nBroker:      {settings.CELERY_BROKER_URL}\n"
            "A worker that stops is restarted. Press Ctrl-C to stop.\n"
        )
        self.stdout.flush()
        connections.close_all()
        # This process has Django loaded; the supervisor that replaces it does not. -P keeps
        # annotator/ off sys.path (annotator/selectors.py would shadow the standard library's).
        os.execv(sys.executable, [sys.executable, "-P", str(SUPERVISOR), json.dumps(processes)])

    def _worker(self) -> dict:
        command = [
            sys.executable,
            # Containers and VMs often run as root: Celery's warning about it (pickle is not
            # accepted here, so nothing is at stake) would come before the useful lines.
            "-W",
            "ignore:You're running the worker with superuser privileges",
            # One process that runs tasks itself (the smallest footprint for a single
            # machine), on both queues, started without celery's command line.
            "-m",
            "annotator.worker",
        ]
        return {"name": "worker", "command": command, "restart": True}
