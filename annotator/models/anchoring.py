"""Where a span stands after its document's text changed (see annotator/anchoring/)."""

from django.db import models


class AnchorState(models.TextChoices):
    ANCHORED = "anchored", "Anchored"
    TEXT_CHANGED = "text_changed", "Text changed"
    ORPHAN = "orphan", "Orphan"


class AnchorMethod(models.TextChoices):
    CREATED = "", "Created on this revision"
    DIFF = "diff", "Unchanged text (diff)"
    QUOTE = "quote", "Quote and context"
    FUZZY = "fuzzy", "Similar text"
    REVIEWER = "reviewer", "Placed by a reviewer"


class Anchored(models.Model):
    """Fields of a span whose offsets refer to one revision of its document's text."""

    revision = models.PositiveIntegerField(
        default=1, help_text="The document revision start and end refer to."
    )
    anchor_state = models.CharField(
        max_length=20, choices=AnchorState.choices, default=AnchorState.ANCHORED
    )
    anchor_method = models.CharField(
        max_length=20, choices=AnchorMethod.choices, default=AnchorMethod.CREATED, blank=True
    )
    anchor_confidence = models.FloatField(default=1.0)

    class Meta:
        abstract = True
