"""A suggester for the real-worker tests, steered by a control file named in the environment.

The file holds "sleep SECONDS" (slow: lets a test kill the worker mid-task), "fail" (raises)
or nothing (one span). Listed in SUGGESTERS of the worker process only. Each call appends
the text's first line to "<control file>.calls", so a test can count how often a document
was computed.
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
    with open(f"{control}.calls", "a", encoding="utf-8") as calls:
        calls.write(text.split("\n", 1)[0][:40] + "\n")
    if command[:1] == ["fail"]:
        raise RuntimeError("worker-test suggester failed on purpose")
    if command[:1] == ["sleep"]:
        time.sleep(float(command[1]))
    return [SpanSuggestion(0, min(5, len(text)), "disputed", 0.5, "worker test")]
