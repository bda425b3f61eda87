"""A suggester for the real-worker tests, steered by a control file named in the environment.

The file holds "sleep SECONDS" (slow: lets a test kill the worker mid-task), "fail" (raises)
or nothing (one span). Listed in SUGGESTERS of the worker process only.
"""

import os
import time
from pathlib import Path

from annotator.suggestions.suggesters.base import SpanSuggestion

name = "worker-test"
version = "1"


def suggest(text: str) -> list[SpanSuggestion]:
    control = Path(os.environ["WORKER_SUGGESTER_CONTROL"])
    command = control.read_text().split() if control.exists() else []
    if command[:1] == ["fail"]:
        raise RuntimeError("worker-test suggester failed on purpose")
    if command[:1] == ["sleep"]:
        time.sleep(float(command[1]))
    return [SpanSuggestion(0, min(5, len(text)), "disputed", 0.5, "worker test")]
