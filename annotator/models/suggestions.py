"""Suggestions, their runs, reviewers' decisions and learned models."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from annotator.models.annotations import Annotation, Label
from corpus.models import Collection, Document


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SuggestionRun(models.Model):
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestion_runs"
    )
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestion_runs"
    )
    suggester = models.CharField(max_length=100, blank=True, help_text="Empty means all.")
    version = models.CharField(max_length=50, blank=True)
    document_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="An import batch's run: these documents of the collection, not all of them.",
    )
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    documents_total = models.PositiveIntegerField(default=0)
    documents_done = models.PositiveIntegerField(default=0)
    documents_failed = models.PositiveIntegerField(default=0)
    suggestions_created = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["document", "-created_at"])]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.status})"


class SuggestionRunDocument(models.Model):
    """One document of a run, recorded in the transaction that stores its suggestions and counts
    it: a document delivered twice is counted once, and recovery queues only the others."""

    run = models.ForeignKey(SuggestionRun, on_delete=models.CASCADE, related_name="done")
    # Not a foreign key: a document deleted before its task ran is still counted as done.
    document_id = models.BigIntegerField()
    suggestions_created = models.PositiveIntegerField(default=0)
    failed = models.BooleanField(default=False)
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "document_id"], name="run_document_once")
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id}, document {self.document_id}"


class Suggestion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="suggestions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField()
    revision = models.PositiveIntegerField(
        default=1, help_text="The document revision start and end refer to."
    )
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="suggestions")
    score = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    rationale = models.TextField(blank=True)
    suggester = models.CharField(max_length=100)
    suggester_version = models.CharField(max_length=50)
    contributions = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per suggester proposing this span and label: its score, rationale and "
        "version (score, rationale, suggester are derived from them).",
    )
    status = models.CharField(
        max_length=20, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(
        SuggestionRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_id", "start", "end", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="suggestion_start_nonnegative"),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="suggestion_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="suggestion_score_0_1"
            ),
        ]
        indexes = [
            models.Index(fields=["document", "status", "start"]),
            models.Index(fields=["suggester", "status"]),
            models.Index(fields=["label", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.suggester}: {self.quote[:60]}"


class SuggestionBulkDecision(models.Model):
    """One reviewer's bulk accept or reject (a label and a minimum score, on a document or a
    collection): the decisions it made point here, so it can be undone as one."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="suggestion_bulk_decisions"
    )
    status = models.CharField(
        max_length=20,
        choices=[c for c in SuggestionStatus.choices if c[0] != SuggestionStatus.PENDING],
    )
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="+")
    min_score = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    decided = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.status} {self.decided} {self.label_id} suggestions"


class SuggestionDecision(models.Model):
    """One reviewer's verdict on a suggestion: the record behind precision figures and training.

    In an open collection the first verdict also closes the suggestion for everyone
    (Suggestion.status). In a blind-review collection the suggestion stays open for the other
    reviewers, so each decides on their own and nobody sees another's verdict early.
    """

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="suggestion_decisions"
    )
    status = models.CharField(
        max_length=20,
        choices=[c for c in SuggestionStatus.choices if c[0] != SuggestionStatus.PENDING],
    )
    annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    bulk = models.ForeignKey(
        SuggestionBulkDecision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
        help_text="The bulk action that made this decision, if any.",
    )

    class Meta:
        ordering = ["suggestion_id", "decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion", "reviewer"], name="suggestion_decision_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["accepted", "rejected"]),
                name="suggestion_decision_status",
            ),
        ]
        indexes = [
            models.Index(fields=["reviewer", "decided_at"]),
            models.Index(fields=["decided_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.status} suggestion {self.suggestion_id}"


class SuggesterModel(models.Model):
    """A trained model for the learned suggester; only the promoted one is used."""

    name = models.CharField(max_length=100, default="learned")
    version = models.PositiveIntegerField()
    trained_at = models.DateTimeField(auto_now_add=True)
    training_size = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    promoted = models.BooleanField(default=False)
    artifact = models.BinaryField()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="suggester_model_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
