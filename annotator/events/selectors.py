"""Reads of events with the visibility rules of the work they describe (blind review)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from annotator.models import Assignment, Event
from annotator.permissions import is_lead


def event_list_for_user(*, user) -> QuerySet[Event]:
    """Events a user may read, oldest first.

    Leads read all. Others read the events of documents they may open (and of collections
    open to them), and in blind-review collections the events of other people's work only
    once they have marked that document done: the rule of annotation_list_for_user.
    """
    events = Event.objects.order_by("id")
    if is_lead(user):
        return events
    assigned = Assignment.objects.filter(reviewer=user)
    done = assigned.filter(status="done").values("document_id")
    opened = (
        Q(collection__isnull=True)
        | Q(collection__assigned_only=False)
        | Q(document_id__in=assigned.values("document_id"))
        | Q(document__isnull=True, collection_id__in=assigned.values("document__collection_id"))
    )
    seen = (
        Q(collection__isnull=True)
        | Q(collection__blind_review=False)
        | Q(owner__isnull=True)
        | Q(owner=user)
        | Q(document_id__in=done)
    )
    return events.filter(opened, seen)


def events_after(*, user, after: int, types: list[str] | None = None, limit: int = 100) -> list:
    events = event_list_for_user(user=user).filter(id__gt=after)
    if types:
        events = events.filter(type__in=types)
    return list(events[:limit])
