"""Labels and span annotations (with their history)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from annotator.models.anchoring import Anchored
from corpus.models import Document

http_url_validator = URLValidator(schemes=["http", "https"])


# Okabe-Ito: eight colours told apart with the common forms of colour blindness.
PALETTE = {
    "#E69F00": "orange",
    "#56B4E9": "sky blue",
    "#009E73": "bluish green",
    "#F0E442": "yellow",
    "#0072B2": "blue",
    "#D55E00": "vermillion",
    "#CC79A7": "reddish purple",
    "#000000": "black",
}
# Keys the document page uses for itself; a label's hotkey may be none of them.
RESERVED_KEYS = {
    "a": "accept the current suggestion",
    "r": "reject the current suggestion",
    "j": "next suggestion",
    "k": "previous suggestion",
    "n": "next document",
    "?": "keyboard help",
    "/": "search in the document",
    "[": "reshape an annotation's start",
    "]": "reshape an annotation's end",
}
colour_validator = RegexValidator(
    r"^#[0-9A-Fa-f]{6}$", "Give a hex colour such as #0072B2 (# and six hex digits)."
)


def shortcut_validator(value: str) -> None:
    if value.isspace():
        raise ValidationError("A hotkey must be a visible key.")
    use = RESERVED_KEYS.get(value.lower())
    if use:
        raise ValidationError(f"“{value}” is reserved: it is the key to {use}.")


class Label(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    colour = models.CharField(
        max_length=7,
        validators=[colour_validator],
        help_text="Hex colour, e.g. #0072B2; the colour-blind-safe palette is offered.",
    )
    badge = models.CharField(
        max_length=3,
        help_text="Short text shown beside the colour (1-3 characters), unique among labels.",
    )
    shortcut = models.CharField(
        max_length=1,
        blank=True,
        validators=[shortcut_validator],
        help_text="Keyboard key, e.g. 4; not a reserved key (a r j k n ? / [ ]) nor another label's.",
    )
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    archived = models.BooleanField(
        default=False,
        help_text="Hidden from new work, still shown on the annotations that use it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["badge"], condition=~Q(badge=""), name="label_badge_unique"
            ),
            models.UniqueConstraint(
                fields=["shortcut"],
                condition=Q(archived=False) & ~Q(shortcut=""),
                name="label_shortcut_unique_among_active",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def letter(self) -> str:
        """The badge shown next to the colour, so labels never rely on colour alone."""
        return self.badge or self.name[:1].upper()

    def clean(self) -> None:
        super().clean()
        errors = {}
        others = Label.objects.exclude(pk=self.pk)
        if self.badge and others.filter(badge__iexact=self.badge.strip()).exists():
            taken = others.get(badge__iexact=self.badge.strip())
            errors["badge"] = f"“{self.badge}” is already the badge of {taken.name}."
        if self.shortcut and not self.archived:
            taken = others.filter(archived=False, shortcut__iexact=self.shortcut).first()
            if taken is not None:
                errors["shortcut"] = f"“{self.shortcut}” is already the hotkey of {taken.name}."
        if self.colour:
            self.colour = self.colour.upper()
        if errors:
            raise ValidationError(errors)


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
