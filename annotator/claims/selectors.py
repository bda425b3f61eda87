"""Reads of evidence and verdicts, through the annotations' visibility rule (blind review).

Whoever may not see an annotation sees neither its evidence nor its verdict: every read here
starts from annotations.selectors, the one blind-review layer.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from annotator.annotations.selectors import annotation_list, annotation_list_for_user
from annotator.models import (
    Annotation,
    ArchiveStatus,
    DeskRule,
    Evidence,
    Rating,
    Verdict,
    VerdictState,
)
from corpus.models import Document


def annotation_for_claims(*, annotation_id: int, user) -> Annotation:
    """An annotation the user may see (404 otherwise), with its document and collection."""
    annotations = annotation_list_for_user(user=user).select_related("document__collection")
    return get_object_or_404(annotations, pk=annotation_id)


def evidence_list(*, annotation: Annotation) -> QuerySet[Evidence]:
    return Evidence.objects.filter(annotation=annotation).select_related("created_by")


def evidence_for_user(*, evidence_id: int, user) -> Evidence:
    """One evidence item on an annotation the user may see; 404 otherwise."""
    visible = annotation_list_for_user(user=user).values("pk")
    evidence = Evidence.objects.select_related("created_by", "annotation__document__collection")
    return get_object_or_404(evidence.filter(annotation_id__in=visible), pk=evidence_id)


def verdict_for_annotation(*, annotation: Annotation) -> Verdict | None:
    return (
        Verdict.objects.select_related("rating", "proposed_by", "published_by")
        .filter(annotation=annotation)
        .first()
    )


def rating_list() -> list[Rating]:
    return list(Rating.objects.all())


def desk_rules_for(*, collection_id: int) -> list[DeskRule]:
    """The active rules of a collection, including those set for every collection."""
    from django.db.models import Q

    rules = DeskRule.objects.filter(active=True).filter(
        Q(collection_id=collection_id) | Q(collection__isnull=True)
    )
    return list(rules.select_related("label"))


def claims_for_document(*, document: Document, user) -> list[Annotation]:
    """The document's visible annotations with their evidence and verdict, in two queries
    whatever their number (the claim panel)."""
    evidence = Evidence.objects.select_related("created_by").order_by("id")
    return list(
        annotation_list(document=document, user=user)
        .select_related("verdict__rating", "verdict__proposed_by")
        .prefetch_related(Prefetch("evidence", queryset=evidence))
    )


def claim_summaries(*, document: Document) -> dict[int, str]:
    """Per annotation id of the document, a short claim summary for the sidebar ("3 sources ·
    Mostly false, published"); two queries whatever the number of claims. The caller shows
    only rows the user may see (blind review is applied to the rows)."""
    from django.db.models import Count

    counts = dict(
        Evidence.objects.filter(annotation__document=document)
        .values("annotation_id")
        .annotate(n=Count("id"))
        .values_list("annotation_id", "n")
    )
    verdicts = {
        annotation_id: (rating, state)
        for annotation_id, rating, state in Verdict.objects.filter(
            annotation__document=document
        ).values_list("annotation_id", "rating__name", "state")
    }
    states = {"draft": "draft", "in_review": "in review", "published": "published"}
    summaries = {}
    for annotation_id in counts.keys() | verdicts.keys():
        parts = []
        if counts.get(annotation_id):
            n = counts[annotation_id]
            parts.append(f"{n} source{'s' if n != 1 else ''}")
        if annotation_id in verdicts:
            rating, state = verdicts[annotation_id]
            parts.append(f"{rating}, {states[state]}")
        summaries[annotation_id] = " · ".join(parts)
    return summaries


# The claims page and the lead's queue --------------------------------------------------

FACETS = ("collection", "label", "rating", "state", "reviewer")
NO_VERDICT = "none"


def claim_list_for_user(*, user) -> QuerySet[Annotation]:
    """Every annotation the user may see (blind review included) that has evidence or a
    verdict."""
    from django.db.models import Exists, OuterRef, Q

    has_evidence = Exists(Evidence.objects.filter(annotation=OuterRef("pk")))
    return annotation_list_for_user(user=user).filter(Q(has_evidence) | Q(verdict__isnull=False))


def claims_filter(claims: QuerySet[Annotation], *, skip: str = "", **filters) -> QuerySet:
    """Apply the claims page's filters (empty ones do nothing); `skip` leaves one out, so a
    facet's counts say what choosing each of its values would show."""
    lookups = {
        "collection": "document__collection__slug",
        "label": "label__slug",
        "rating": "verdict__rating_id",
        "state": "verdict__state",
        "reviewer": "created_by__username",
    }
    for facet, value in filters.items():
        if facet == skip or value in ("", None):
            continue
        if facet == "state" and value == NO_VERDICT:
            claims = claims.filter(verdict__isnull=True)
        else:
            claims = claims.filter(**{lookups[facet]: value})
    return claims


def claim_facets(*, claims: QuerySet[Annotation], **filters) -> dict[str, list[tuple]]:
    """Per facet, (value, shown name, count) of the claims matching the other filters: one
    query per facet whatever the number of claims."""
    from django.db.models import Count

    columns = {
        "collection": ("document__collection__slug", "document__collection__name"),
        "label": ("label__slug", "label__name"),
        "rating": ("verdict__rating_id", "verdict__rating__name"),
        "state": ("verdict__state", "verdict__state"),
        "reviewer": ("created_by__username", "created_by__username"),
    }
    order = {"rating": "verdict__rating__order", "label": "label__order"}
    states = {**dict(VerdictState.choices), NO_VERDICT: "No verdict"}
    facets: dict[str, list[tuple]] = {}
    for facet, (key, name) in columns.items():
        rows = (
            claims_filter(claims, skip=facet, **filters)
            .order_by()
            .values(key, name)
            .annotate(n=Count("pk"))
            .order_by(order.get(facet, name), key)
        )
        values = [(row[key], row[name], row["n"]) for row in rows]
        if facet == "state":
            # Every state is offered, those without claims with 0.
            counts = {v or NO_VERDICT: n for v, _, n in values}
            values = [(v, name, counts.get(v, 0)) for v, name in states.items()]
        elif facet == "rating":
            values = [(v, n_ or "No verdict", n) for v, n_, n in values if v is not None]
        facets[facet] = values
    return facets


def claim_rows(claims: QuerySet[Annotation]) -> QuerySet[Annotation]:
    """The rows of the claims page: each claim with its document, verdict and source counts."""
    from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
    from django.db.models.functions import Coalesce

    def sources(**where) -> Coalesce:
        # Filtered by annotation only (its index), the condition counted: a WHERE on the
        # status would let SQLite pick the status index and scan every archived source.
        counted = (
            Evidence.objects.filter(annotation=OuterRef("pk"))
            .order_by()
            .values("annotation")
            .annotate(n=Count("pk", filter=Q(**where) if where else None))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return (
        claims.select_related("document__collection", "verdict__rating", "verdict__proposed_by")
        .annotate(n_sources=sources(), n_archived=sources(archive_status=ArchiveStatus.ARCHIVED))
        # The page shows titles, not texts: a document's text can be megabytes.
        .defer("document__text", "document__metadata")
        .order_by("document__title", "document_id", "start", "id")
    )


def verdicts_to_publish(*, collection: str = "") -> QuerySet[Verdict]:
    """Verdicts waiting for a lead (in review), oldest first, with what their checklist needs."""
    evidence = Evidence.objects.only("id", "annotation_id", "stance", "archive_status")
    verdicts = Verdict.objects.filter(state=VerdictState.IN_REVIEW)
    if collection:
        verdicts = verdicts.filter(annotation__document__collection__slug=collection)
    return (
        verdicts.select_related(
            "rating",
            "proposed_by",
            "annotation__label",
            "annotation__created_by",
            "annotation__document__collection",
        )
        .prefetch_related(Prefetch("annotation__evidence", queryset=evidence.order_by("id")))
        .order_by("updated_at", "id")
    )


def desk_rules_by_collection(*, collection_ids: set[int]) -> dict[int, list[DeskRule]]:
    """The active rules of each collection (those for every collection included), one query."""
    from django.db.models import Q

    rules = list(
        DeskRule.objects.filter(active=True)
        .filter(Q(collection_id__in=collection_ids) | Q(collection__isnull=True))
        .select_related("label")
    )
    return {cid: [r for r in rules if r.collection_id in (None, cid)] for cid in collection_ids}
