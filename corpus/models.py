import hashlib

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF, as browsers do with HTML text; nothing else changes."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Collection(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    blind_review = models.BooleanField(
        default=False,
        help_text="Reviewers do not see each other's work on a document until they mark it done.",
    )
    assigned_only = models.BooleanField(
        default=False, help_text="Reviewers see only the documents assigned to them."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(max_length=500)
    text = models.TextField()
    source_url = models.URLField(max_length=2000, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=20, blank=True, default="en")
    sha256 = models.CharField(max_length=64, editable=False)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "sha256"], name="document_unique_text"),
        ]
        indexes = [models.Index(fields=["collection", "title"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.text = normalize_newlines(self.text)
        self.sha256 = text_sha256(self.text)
        super().save(*args, **kwargs)
