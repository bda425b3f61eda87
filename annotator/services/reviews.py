"""A reviewer's status per document (not started / in progress / done)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from annotator.models import Assignment, AssignmentStatus
from corpus.models import Document


@transaction.atomic
def assignment_start(*, document: Document, reviewer) -> Assignment:
    """Mark the document in progress for the reviewer (creating their record if needed)."""
    assignment, _ = Assignment.objects.select_for_update().get_or_create(
        document=document, reviewer=reviewer
    )
    if assignment.status == AssignmentStatus.ASSIGNED:
        assignment.status = AssignmentStatus.IN_PROGRESS
        assignment.started_at = timezone.now()
        assignment.save(update_fields=["status", "started_at"])
    return assignment


@transaction.atomic
def assignment_mark_done(*, document: Document, reviewer, done: bool = True) -> Assignment:
    assignment = assignment_start(document=document, reviewer=reviewer)
    assignment.status = AssignmentStatus.DONE if done else AssignmentStatus.IN_PROGRESS
    assignment.done_at = timezone.now() if done else None
    assignment.save(update_fields=["status", "done_at"])
    return assignment
