"""Reads of evidence and verdicts, through the annotations' visibility rule (blind review).

Whoever may not see an annotation sees neither its evidence nor its verdict: every read here
starts from annotations.selectors, the one blind-review layer.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from annotator.annotations.selectors import annotation_list, annotation_list_for_user
from annotator.models import Annotation, DeskRule, Evidence, Rating, Verdict
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
