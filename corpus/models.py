import hashlib

from django.conf import settings
from django.db import models, transaction
from simple_history.models import HistoricalRecords

from .signals import document_revised


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
    # Database defaults too: rows written by code that predates these columns stay valid.
    external_id = models.CharField(
        max_length=300,
        blank=True,
        default="",
        db_default="",
        help_text="The source's id; re-importing it records a new revision of this document.",
    )
    revision = models.PositiveIntegerField(
        default=1,
        db_default=1,
        editable=False,
        help_text="The number of the revision `text` is.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "sha256"], name="document_unique_text"),
            models.UniqueConstraint(
                fields=["collection", "external_id"],
                condition=~models.Q(external_id=""),
                name="document_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["collection", "title"]),
            models.Index(fields=["source_url"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Every text change, whatever path it takes, is recorded as a new revision.

        Services say where a text came from and who gave it by setting `revision_source`,
        `revision_by` and `revision_url` before saving; the defaults name an edit. The row,
        its revision and what the revision signal writes (events) commit together or not at
        all, even when the caller holds no transaction (a shell, a script).
        """
        with transaction.atomic():
            self._save_with_revision(*args, **kwargs)

    def _save_with_revision(self, *args, **kwargs) -> None:
        self.text = normalize_newlines(self.text)
        self.sha256 = text_sha256(self.text)
        is_new = self.pk is None
        stored = getattr(self, "_stored_sha256", None)
        if not is_new and stored is None:
            stored = Document.objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
        changed = not is_new and stored is not None and self.sha256 != stored
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            changed = changed and "text" in update_fields
            if changed:
                kwargs["update_fields"] = {*update_fields, "sha256", "revision"}
        if changed:
            self.revision = self._last_revision_number() + 1
        super().save(*args, **kwargs)
        if is_new or changed:
            revision = DocumentRevision.objects.create(
                document=self,
                number=self.revision,
                text=self.text,
                sha256=self.sha256,
                source=getattr(self, "revision_source", "")
                or (RevisionSource.IMPORT if is_new else RevisionSource.EDIT),
                source_url=getattr(self, "revision_url", "") or "",
                created_by=getattr(self, "revision_by", None)
                or (self.imported_by if is_new else None),
            )
            if changed:
                document_revised.send(sender=Document, document=self, revision=revision)
        self._stored_sha256 = self.sha256

    @classmethod
    def from_db(cls, db, field_names, values):
        document = super().from_db(db, field_names, values)
        document._stored_sha256 = document.__dict__.get("sha256")
        return document

    def _last_revision_number(self) -> int:
        """The last revision's number; a document made without one (bulk_create) gets its
        stored text kept as revision 1 first, so no text is ever lost."""
        last = DocumentRevision.objects.filter(document_id=self.pk).aggregate(
            last=models.Max("number")
        )["last"]
        if last is not None:
            return last
        stored = Document.objects.filter(pk=self.pk).values("text", "sha256", "imported_by_id")[0]
        DocumentRevision.objects.create(
            document_id=self.pk,
            number=1,
            text=stored["text"],
            sha256=stored["sha256"],
            source=RevisionSource.IMPORT,
            created_by_id=stored["imported_by_id"],
        )
        return 1


class RevisionSource(models.TextChoices):
    IMPORT = "import", "Import"
    FETCH = "fetch", "URL fetch"
    API = "api", "API"
    ADMIN = "admin", "Admin"
    EDIT = "edit", "Edit"


class DocumentRevision(models.Model):
    """One text of a document; the document's own `text` is its latest revision's."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=20, choices=RevisionSource.choices)
    source_url = models.URLField(max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    warc = models.BinaryField(
        null=True, blank=True, editable=False, help_text="The fetched page as a gzipped WARC."
    )

    class Meta:
        ordering = ["document_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="revision_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} r{self.number}"


class FetchStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Fetching"
    CREATED = "created", "Imported"
    REVISED = "revised", "New revision"
    UNCHANGED = "unchanged", "Unchanged"
    DUPLICATE = "duplicate", "Already imported"
    FAILED = "failed", "Failed"


class DocumentFetch(models.Model):
    """One URL to import, or one re-check of a URL document: its progress and outcome."""

    url = models.URLField(max_length=2000)
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="fetches")
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="fetches"
    )
    revision = models.ForeignKey(
        DocumentRevision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=FetchStatus.choices, default=FetchStatus.QUEUED
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["collection", "url"]),
            models.Index(fields=["document", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status not in (FetchStatus.QUEUED, FetchStatus.RUNNING)
