"""The run command's worker: `python -m annotator.worker`, one process that runs tasks itself.

The same worker as `celery -A annotator worker -Q default,suggestions --pool solo
--loglevel WARNING --skip-checks --quiet`, started without celery's command line, which
imports click-repl and prompt_toolkit (about 8 MB that an idle worker would keep).
The system checks are the web server's: run here, they import every URL and view.
"""

import os
import sys

QUEUES = ["default", "suggestions"]


def main() -> int:
    os.environ.setdefault("CELERY_SKIP_CHECKS", "1")
    from annotator.celery import app

    worker = app.Worker(pool_cls="solo", loglevel="WARNING", queues=QUEUES, quiet=True)
    worker.start()
    return worker.exitcode


if __name__ == "__main__":
    sys.exit(main())
