"""HTTP backend: your own model service. Posts {"text": ...} to settings.SUGGESTER_HTTP_URL
and reads {"spans": [{"start", "end", "label", "score"?, "rationale"?}, ...]} back.

Does nothing while the URL is unset. Times out, retries connection errors and 5xx answers,
and refuses malformed answers with an error naming what was wrong.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from django.conf import settings

from annotator.suggestions.suggesters.base import LABELS, SpanSuggestion, SuggesterError

name = "http"
version = "1"
RETRIES = 2
BACKOFF_SECONDS = 0.5


def suggest(text: str) -> list[SpanSuggestion]:
    url = settings.SUGGESTER_HTTP_URL
    if not url:
        return []
    payload = _post(url, json.dumps({"text": text}).encode("utf-8"))
    return spans_from(payload, text)


def _post(url: str, body: bytes) -> object:
    timeout = getattr(settings, "SUGGESTER_HTTP_TIMEOUT", 10)
    last: Exception | None = None
    for attempt in range(RETRIES + 1):
        if attempt:
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                raise SuggesterError(
                    f"HTTP suggester {url} answered {exc.code} {exc.reason}."
                ) from None
            last = exc
            continue
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            last = exc
            continue
        try:
            return json.loads(raw)
        except ValueError:
            raise SuggesterError(f"HTTP suggester {url} did not answer JSON.") from None
    raise SuggesterError(f"HTTP suggester {url} failed after {RETRIES + 1} attempts: {last}.")


def spans_from(payload: object, text: str) -> list[SpanSuggestion]:
    """Check the service's answer; every problem is named with the span's index."""
    if not isinstance(payload, dict) or not isinstance(payload.get("spans"), list):
        raise SuggesterError('HTTP suggester answer must be an object with a "spans" list.')
    spans = []
    for index, item in enumerate(payload["spans"]):
        if not isinstance(item, dict):
            raise SuggesterError(f"HTTP suggester span {index} is not an object.")
        start, end, label = item.get("start"), item.get("end"), item.get("label")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise SuggesterError(f"HTTP suggester span {index}: start and end must be integers.")
        if not 0 <= start < end <= len(text):
            raise SuggesterError(
                f"HTTP suggester span {index}: {start}-{end} is outside the text (0-{len(text)})."
            )
        if label not in LABELS:
            raise SuggesterError(f"HTTP suggester span {index}: unknown label {label!r}.")
        score = item.get("score", 0.5)
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            raise SuggesterError(f"HTTP suggester span {index}: score must be between 0 and 1.")
        rationale = item.get("rationale") or "From the HTTP suggester."
        spans.append(SpanSuggestion(start, end, label, float(score), str(rationale)[:2000]))
    return spans
