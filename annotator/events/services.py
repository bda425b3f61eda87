"""The transactional outbox: `record_event` writes an Event in the caller's transaction.

Services call it next to the change they make, so a rolled-back change leaves no event and a
committed one always has it, whether or not the broker is up. After commit, webhook delivery
is queued; when that fails, the periodic sweep (events/tasks.py) finds the event anyway.
Payloads are versioned (Event.version) and carry ids; `EventType` lists every type.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import TextChoices
from django.utils import timezone

from annotator.enqueue import EVENTS_DISPATCH, task
from annotator.models import (
    Annotation,
    Assignment,
    Event,
    Suggestion,
    SuggestionRun,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
# Any constant: PostgreSQL transactions that record events take this lock before inserting,
# so event ids are handed out in commit order and a cursor never skips a late commit.
_ADVISORY_LOCK = 741_015


class EventType(TextChoices):
    ANNOTATION_CREATED = "annotation.created"
    ANNOTATION_UPDATED = "annotation.updated"
    ANNOTATION_DELETED = "annotation.deleted"
    ANNOTATION_RESTORED = "annotation.restored"
    SUGGESTION_ACCEPTED = "suggestion.accepted"
    SUGGESTION_REJECTED = "suggestion.rejected"
    SUGGESTION_REOPENED = "suggestion.reopened"  # a reviewer took back an accept or reject
    SUGGESTION_RUN_FINISHED = "suggestion_run.finished"
    DOCUMENT_IMPORTED = "document.imported"
    DOCUMENT_REVISED = "document.revised"
    REVIEW_DONE = "review.done"
    REVIEW_REOPENED = "review.reopened"
    FINAL_SET_CHANGED = "final_set.changed"
    VERDICT_PUBLISHED = "verdict.published"
    VERDICT_UNPUBLISHED = "verdict.unpublished"
    TEST = "webhook.test"


def _commit_order_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])


def _insert(fields: dict[str, Any]) -> int | None:
    """One raw INSERT (no ORM compile on the write path of every change); None when an event
    with the same key exists. PostgreSQL takes the commit-order lock in the same statement."""
    postgres = connection.vendor == "postgresql"
    columns = list(fields)
    values = [
        json.dumps(v, cls=DjangoJSONEncoder)
        if c == "payload"
        else connection.ops.adapt_datetimefield_value(v)
        if c == "created_at"
        else v
        for c, v in fields.items()
    ]
    marks = ", ".join("%s::jsonb" if postgres and c == "payload" else "%s" for c in columns)
    source = f"SELECT {marks} FROM pg_advisory_xact_lock(%s)" if postgres else f"VALUES ({marks})"
    sql = (
        f"INSERT INTO {Event._meta.db_table} ({', '.join(columns)}) {source} "
        "ON CONFLICT DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, _ADVISORY_LOCK] if postgres else values)
        row = cursor.fetchone()
    return row[0] if row else None


# Whether any endpoint is active, asked at most every LISTENING_TTL seconds per process (and
# again at once after an endpoint is saved here): most commits then queue nothing and ask
# nothing. An endpoint enabled in another process is found by the sweep meanwhile.
LISTENING_TTL = 2.0
_listening: list = [float("-inf"), False]


def listening_forget(**kwargs) -> None:
    _listening[0] = float("-inf")


def _anyone_listening() -> bool:
    now = time.monotonic()
    if now - _listening[0] > LISTENING_TTL:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {WebhookEndpoint._meta.db_table} WHERE active = %s LIMIT 1",
                [True],
            )
            _listening[:] = [now, cursor.fetchone() is not None]
    return _listening[1]


def _dispatch() -> None:
    try:
        # Nothing to queue (and no broker round trip) while no endpoint listens.
        if _anyone_listening():
            task(EVENTS_DISPATCH).apply_async(retry=False)
    except Exception as exc:  # the broker is down: the periodic sweep delivers later
        logger.warning("Events recorded, delivery not queued (the sweep will): %s", exc)


def _dispatch_after_commit() -> None:
    """Queue one delivery pass per transaction, however many events it records."""
    if not any(entry[1] is _dispatch for entry in connection.run_on_commit):
        transaction.on_commit(_dispatch)


def record_event(
    type: str,
    payload: dict[str, Any],
    *,
    document=None,
    collection=None,
    owner=None,
    actor=None,
    key: str | None = None,
    version: int = PAYLOAD_VERSION,
) -> Event | None:
    """Record one event in the current transaction (capabilities call this for their changes).

    `owner` is whose work it is (blind review hides it like the work), `actor` who did it.
    With `key`, an event already recorded under that key is not recorded again (None then).
    """
    if document is not None and collection is None:
        collection = getattr(document, "collection_id", None)
    fields = {
        "type": str(type),
        "version": version,
        "payload": payload,
        "document_id": getattr(document, "pk", document),
        "collection_id": getattr(collection, "pk", collection),
        "owner_id": getattr(owner, "pk", owner),
        "actor_id": getattr(actor, "pk", actor),
        "key": key,
    }
    fields["created_at"] = timezone.now()
    # No savepoint: the caller's transaction is the unit (one query per event on the path).
    with transaction.atomic(savepoint=False):
        pk = _insert(fields)
        event = Event(pk=pk, **fields) if pk is not None else None
        _dispatch_after_commit()
    return event


def record_events(events: Iterable[Event]) -> int:
    """Record many events at once (an import); returns how many."""
    events = list(events)
    if not events:
        return 0
    with transaction.atomic(savepoint=False):
        _commit_order_lock()
        Event.objects.bulk_create(events, batch_size=1000)
        _dispatch_after_commit()
    return len(events)


# Payloads ------------------------------------------------------------------------------


def annotation_payload(annotation: Annotation) -> dict[str, Any]:
    return {
        "annotation": {
            "id": annotation.pk,
            "document_id": annotation.document_id,
            "start": annotation.start,
            "end": annotation.end,
            "quote": annotation.quote,
            "label": annotation.label.slug,
            "note": annotation.note,
            "evidence_url": annotation.evidence_url,
            "created_by": annotation.created_by_id,
            "origin": annotation.origin,
            "suggestion_id": annotation.suggestion_id,
            "is_final": annotation.is_final,
            "adjudicated_from": annotation.adjudicated_from,
            "version": annotation.version,
        }
    }


def annotation_event(type: str, annotation: Annotation, *, actor) -> None:
    """An annotation's change; a final annotation's also changes the document's final set."""
    payload = annotation_payload(annotation)
    where = {"document": annotation.document, "owner": annotation.created_by_id, "actor": actor}
    record_event(type, payload, **where)
    if annotation.is_final:
        action = type.split(".")[1]
        final = {"document_id": annotation.document_id, "action": action, **payload}
        record_event(EventType.FINAL_SET_CHANGED, final, **where)


def suggestion_event(
    type: str, suggestion: Suggestion, *, user, annotation=None, **extra: Any
) -> None:
    payload = {
        "suggestion": {
            "id": suggestion.pk,
            "document_id": suggestion.document_id,
            "start": suggestion.start,
            "end": suggestion.end,
            "label": suggestion.label.slug,
            "suggester": suggestion.suggester,
        },
        "reviewer": user.pk,
        "annotation_id": getattr(annotation, "pk", annotation),
        **extra,
    }
    record_event(type, payload, document=suggestion.document, owner=user, actor=user)


def review_event(assignment: Assignment, *, actor) -> None:
    done = assignment.status == "done"
    payload = {
        "document_id": assignment.document_id,
        "reviewer": assignment.reviewer_id,
        "status": assignment.status,
        "done_at": assignment.done_at.isoformat() if assignment.done_at else None,
    }
    record_event(
        EventType.REVIEW_DONE if done else EventType.REVIEW_REOPENED,
        payload,
        document=assignment.document,
        owner=assignment.reviewer_id,
        actor=actor,
    )


def run_finished_event(run_id: int) -> None:
    """Once per run, by whichever transaction sees it finished first."""
    run = SuggestionRun.objects.filter(pk=run_id, finished_at__isnull=False).first()
    if run is None:
        return
    payload = {
        "run": {
            "id": run.pk,
            "document_id": run.document_id,
            "collection_id": run.collection_id,
            "suggester": run.suggester,
            "status": run.status,
            "documents_total": run.documents_total,
            "documents_done": run.documents_done,
            "documents_failed": run.documents_failed,
            "suggestions_created": run.suggestions_created,
        }
    }
    collection = run.collection_id
    if collection is None and run.document_id is not None:
        collection = run.document.collection_id
    record_event(
        EventType.SUGGESTION_RUN_FINISHED,
        payload,
        document=run.document_id,
        collection=collection,
        key=f"suggestion_run.finished:{run.pk}",
    )


def document_revised_event(document, revision) -> None:
    """A document's text changed: a new revision (sent inside the save's transaction)."""
    payload = {
        "document": {"id": document.pk, "collection_id": document.collection_id},
        "revision": {
            "number": revision.number,
            "sha256": revision.sha256,
            "source": revision.source,
            "source_url": revision.source_url,
        },
    }
    record_event(
        EventType.DOCUMENT_REVISED, payload, document=document, actor=revision.created_by_id
    )


def verdict_event(verdict, *, was_published: bool, actor) -> None:
    """A verdict went out (published) or was taken back (published -> draft); other moves
    (draft <-> in review) are internal to the desk and emit nothing."""
    published = verdict.state == "published"
    if not published and not was_published:
        return
    annotation = verdict.annotation
    payload = {
        "verdict": {
            "id": verdict.pk,
            "annotation_id": verdict.annotation_id,
            "document_id": annotation.document_id,
            "rating": verdict.rating.name,
            "claim_reviewed": verdict.claim_reviewed,
            "explanation": verdict.explanation,
            "claim_author": verdict.claim_author,
            "state": verdict.state,
            "reason": verdict.reason,
            "published_at": verdict.published_at.isoformat() if verdict.published_at else None,
            "version": verdict.version,
        }
    }
    record_event(
        EventType.VERDICT_PUBLISHED if published else EventType.VERDICT_UNPUBLISHED,
        payload,
        document=annotation.document,
        owner=verdict.proposed_by_id,
        actor=actor,
    )


def documents_imported_events(*, document_ids: list[int], collection) -> int:
    return record_events(
        Event(
            type=EventType.DOCUMENT_IMPORTED,
            version=PAYLOAD_VERSION,
            payload={"document": {"id": pk, "collection": collection.slug}},
            document_id=pk,
            collection_id=collection.pk,
        )
        for pk in document_ids
    )
