"""Reads for the review pages: assignment tables, dashboards, the compare view.

Every function runs a fixed number of queries whatever the size of the collection.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from annotator.models import (
    AgreementReport,
    Annotation,
    Assignment,
    AssignmentStatus,
    Label,
)
from annotator.permissions import LEAD, REVIEWER
from corpus.models import Collection, Document

THROUGHPUT_DAYS = 14


def reviewer_list() -> list:
    """People who can be assigned: members of the reviewer or lead group."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[REVIEWER, LEAD])
        .distinct()
        .order_by("username")
    )


def collection_list_with_counts() -> QuerySet[Collection]:
    return Collection.objects.annotate(
        document_count=Count("documents", distinct=True),
    ).order_by("name")


def assignment_table(*, documents: QuerySet[Document]) -> list[Document]:
    """Documents with their assignments (reviewer names), two queries for the page."""
    return list(
        documents.defer("text", "metadata").prefetch_related(
            _assignments_prefetch(),
        )
    )


def _assignments_prefetch():
    from django.db.models import Prefetch

    return Prefetch(
        "assignments",
        queryset=Assignment.objects.select_related("reviewer").order_by("reviewer__username"),
    )


def assignment_status_counts(*, assignments: QuerySet[Assignment]) -> dict[str, int]:
    counts = dict.fromkeys(AssignmentStatus.values, 0)
    for row in assignments.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts


def label_counts(*, annotations: QuerySet[Annotation]) -> list[dict]:
    """Every label with how many annotations carry it (zero included), in label order."""
    counts = dict(
        annotations.order_by()
        .values_list("label_id")
        .annotate(n=Count("id"))
        .values_list("label_id", "n")
    )
    return [
        {"label": label, "value": counts.get(label.pk, 0)}
        for label in Label.objects.order_by("order", "id")
    ]


def throughput_per_day(
    *, annotations: QuerySet[Annotation], days: int = THROUGHPUT_DAYS
) -> list[dict]:
    """Annotations created per day over the last `days` days (today included)."""
    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    counts = dict(
        annotations.filter(created_at__gte=since)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        {"day": first + dt.timedelta(days=i), "value": counts.get(first + dt.timedelta(days=i), 0)}
        for i in range(days)
    ]


def reviewer_progress(*, collection: Collection) -> list[dict]:
    """Per reviewer in the collection: assignments by status and annotations made."""
    per: dict[int, dict] = defaultdict(
        lambda: {"assigned": 0, "in_progress": 0, "done": 0, "annotations": 0}
    )
    names: dict[int, str] = {}
    rows = (
        Assignment.objects.filter(document__collection=collection)
        .order_by()
        .values("reviewer_id", "reviewer__username", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        names[row["reviewer_id"]] = row["reviewer__username"]
        per[row["reviewer_id"]][row["status"]] = row["n"]
    annotations = (
        Annotation.objects.filter(document__collection=collection, is_final=False)
        .order_by()
        .values("created_by_id", "created_by__username")
        .annotate(n=Count("id"))
    )
    for row in annotations:
        names[row["created_by_id"]] = row["created_by__username"]
        per[row["created_by_id"]]["annotations"] = row["n"]
    return [
        {"id": pk, "username": names[pk], **per[pk]}
        for pk in sorted(names, key=lambda pk: names[pk])
    ]


def documents_done_count(*, documents: QuerySet[Document]) -> dict[str, int]:
    """Documents assigned, with at least one done review, fully done, and adjudicated."""
    open_statuses = [AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS]
    row = documents.order_by().aggregate(
        total=Count("id", distinct=True),
        assigned=Count("id", filter=Q(assignments__isnull=False), distinct=True),
        any_done=Count("id", filter=Q(assignments__status=AssignmentStatus.DONE), distinct=True),
        open=Count("id", filter=Q(assignments__status__in=open_statuses), distinct=True),
    )
    row["all_done"] = row["assigned"] - row.pop("open")
    row["adjudicated"] = (
        Annotation.objects.filter(document__in=documents.order_by().values("id"), is_final=True)
        .order_by()
        .values("document_id")
        .distinct()
        .count()
    )
    return row


def agreement_report_for(*, collection: Collection) -> AgreementReport | None:
    return AgreementReport.objects.filter(collection=collection).first()


def reviewer_agreement_pairs(*, username: str) -> list[dict]:
    """The reviewer's pairs from every cached collection report."""
    pairs = []
    for report in AgreementReport.objects.select_related("collection").order_by("collection__name"):
        for pair in report.data.get("pairs", []):
            if username in (pair["a"], pair["b"]):
                other = pair["b"] if pair["a"] == username else pair["a"]
                pairs.append({**pair, "other": other, "collection": report.collection})
    return pairs


def compare_annotations(*, document: Document) -> list[Annotation]:
    """Every annotation on the document, reviewers' and final, for the compare view."""
    return list(
        Annotation.objects.filter(document=document)
        .select_related("label", "created_by")
        .order_by("start", "end", "id")
    )
