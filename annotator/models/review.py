"""Assignments of documents to reviewers and cached agreement reports."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from corpus.models import Collection, Document


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class Assignment(models.Model):
    """A reviewer's work on a document: assigned by a lead, or started on their own."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    status = models.CharField(
        max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["document_id", "reviewer_id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "reviewer"], name="assignment_unique"),
        ]
        indexes = [models.Index(fields=["reviewer", "status"])]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.document_id}: {self.status}"


class AgreementReport(models.Model):
    """Cached agreement figures for a collection, computed by a Celery task."""

    collection = models.OneToOneField(
        Collection, on_delete=models.CASCADE, related_name="agreement_report"
    )
    computed_at = models.DateTimeField(auto_now=True)
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Agreement for {self.collection}"
