"""Claims carried to a verdict: evidence (with archived copies), ratings, verdicts, desk rules."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from annotator.models.annotations import Annotation, Label, http_url_validator
from corpus.models import Collection


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    CONTEXT = "context", "Context"
    ORIGIN = "origin", "Origin (where the claim first appeared)"


class ArchiveStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    ARCHIVED = "archived", "Archived"
    FAILED = "failed", "Failed"


class Evidence(models.Model):
    """A source for or against a claim (an annotation), with an archived copy of the page."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="evidence")
    url = models.URLField(max_length=2000, validators=[http_url_validator])
    title = models.CharField(max_length=500, blank=True)
    author = models.CharField(max_length=200, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    stance = models.CharField(max_length=10, choices=Stance.choices)
    excerpt = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evidence"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    # The archived copy: filled by the archiving task (claims/archiving.py).
    archive_status = models.CharField(
        max_length=10, choices=ArchiveStatus.choices, default=ArchiveStatus.QUEUED
    )
    archive_error = models.CharField(max_length=500, blank=True)
    archive_file = models.FileField(upload_to="archives/", max_length=300, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    archive_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    archive_final_url = models.URLField(max_length=2000, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archive_text = models.TextField(blank=True)
    excerpt_found = models.BooleanField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["archive_text"])

    class Meta:
        ordering = ["annotation_id", "id"]
        verbose_name_plural = "evidence"
        indexes = [
            models.Index(fields=["annotation", "stance"]),
            models.Index(fields=["archive_status"]),
        ]

    def __str__(self) -> str:
        return f"{self.stance}: {self.title or self.url}"


class Rating(models.Model):
    """One step of the desk's rating scale (ClaimReview's reviewRating)."""

    name = models.CharField(max_length=100, unique=True)
    value = models.SmallIntegerField(
        null=True, blank=True, help_text="ratingValue; empty for ratings off the scale."
    )
    best = models.SmallIntegerField(default=5, help_text="bestRating")
    worst = models.SmallIntegerField(default=1, help_text="worstRating")
    order = models.PositiveSmallIntegerField(default=0)
    colour = models.CharField(max_length=7, default="#777777", help_text="Hex colour.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class VerdictState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class Verdict(models.Model):
    """The desk's verdict on one claim: a rating, a summary and an explanation."""

    annotation = models.OneToOneField(Annotation, on_delete=models.CASCADE, related_name="verdict")
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="verdicts")
    claim_reviewed = models.CharField(max_length=500)
    explanation = models.TextField(blank=True)
    claim_author = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who made the claim (the attributed source), if known.",
    )
    state = models.CharField(
        max_length=10, choices=VerdictState.choices, default=VerdictState.DRAFT
    )
    reason = models.TextField(blank=True, help_text="Why it went back to draft.")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verdicts_proposed"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verdicts_published",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["state", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.rating}: {self.claim_reviewed[:60]}"


class RuleKind(models.TextChoices):
    MIN_SOURCES = "min_sources", "At least N sources with one of the stances"
    ALL_ARCHIVED = "all_archived", "Every source has an archived copy"
    FIELD_FILLED = "field_filled", "A verdict field is filled in"


class DeskRule(models.Model):
    """A check a verdict must pass before it is published; data the admin edits."""

    collection = models.ForeignKey(
        Collection,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="desk_rules",
        help_text="Empty: every collection.",
    )
    label = models.ForeignKey(
        Label,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="desk_rules",
        help_text="Only claims with this label; empty: every claim.",
    )
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    stances = models.JSONField(
        default=list, blank=True, help_text='For "min sources": e.g. ["refutes", "context"].'
    )
    min_count = models.PositiveSmallIntegerField(default=1)
    field = models.CharField(
        max_length=20,
        blank=True,
        choices=[("explanation", "Explanation"), ("claim_reviewed", "Claim reviewed")],
        help_text='For "field filled".',
    )
    message = models.CharField(
        max_length=300, help_text='Shown in the checklist, e.g. "a disputed claim needs…".'
    )
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["collection", "active"])]

    def __str__(self) -> str:
        return self.message

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = [s for s in self.stances or [] if s not in Stance.values]
        if not isinstance(self.stances, list) or unknown:
            raise ValidationError(
                {"stances": f"A list of stances from: {', '.join(Stance.values)}."}
            )
        if self.kind == RuleKind.FIELD_FILLED and not self.field:
            raise ValidationError({"field": "Choose the field that must be filled in."})
        if self.kind == RuleKind.MIN_SOURCES and self.min_count < 1:
            raise ValidationError({"min_count": "At least 1."})
