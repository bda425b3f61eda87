"""Labels and span annotations (with their history)."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from annotator.models.anchoring import Anchored
from corpus.models import Document

http_url_validator = URLValidator(schemes=["http", "https"])


class Label(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    colour = models.CharField(max_length=7, help_text="Hex colour, e.g. #0072B2.")
    shortcut = models.CharField(max_length=1, blank=True, help_text="Keyboard key, e.g. 1.")
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def letter(self) -> str:
        """A letter shown next to the colour, so labels never rely on colour alone."""
        return self.name[:1].upper()


class Origin(models.TextChoices):
    MANUAL = "manual", "Manual"
    SUGGESTION = "suggestion", "Suggestion"


class Annotation(Anchored, models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="annotations")
    start = models.PositiveIntegerField(help_text="Code point offset, inclusive.")
    end = models.PositiveIntegerField(help_text="Code point offset, exclusive.")
    quote = models.TextField(help_text="document.text[start:end], computed by the server.")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="annotations")
    note = models.TextField(blank=True)
    evidence_url = models.URLField(max_length=2000, blank=True, validators=[http_url_validator])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.MANUAL)
    suggestion = models.ForeignKey(
        "Suggestion", null=True, blank=True, on_delete=models.SET_NULL, related_name="annotations"
    )
    version = models.PositiveIntegerField(default=1)
    # Adjudication: a lead's final annotation, and which reviewers' spans it was decided from.
    is_final = models.BooleanField(default=False)
    adjudicated_from = models.JSONField(
        default=list,
        blank=True,
        help_text="Ids of the reviewers' annotations this was decided from.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["document_id", "start", "end", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="annotation_start_nonnegative"),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="annotation_end_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["document", "start"]),
            models.Index(fields=["label", "document"]),
            models.Index(fields=["created_by", "document"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["document", "is_final"]),
            models.Index(fields=["anchor_state", "document"]),
        ]

    def __str__(self) -> str:
        return f"{self.label_id}: {self.quote[:60]}"


class DeletedAnnotation(Annotation.history.model):
    """Deleted annotations as kept in history, for the admin's restore action."""

    class Meta:
        proxy = True
        verbose_name = "deleted annotation"
