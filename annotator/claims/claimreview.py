"""Published verdicts as schema.org ClaimReview (JSON-LD), the form search engines and
fact-check aggregators read. Properties follow Google's fact-check documentation:
required claimReviewed, reviewRating (alternateName, with ratingValue, bestRating,
worstRating), url; recommended author, datePublished, itemReviewed (a Claim with its
appearance, firstAppearance, author and datePublished)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from annotator.models import Evidence, Stance, Verdict, VerdictState

CONTEXT = "https://schema.org"


def published_verdicts(annotations: QuerySet) -> QuerySet[Verdict]:
    """Published verdicts on the given (visible) annotations, with what the export reads."""
    origins = (
        Evidence.objects.filter(stance=Stance.ORIGIN).order_by("id").only("annotation_id", "url")
    )
    return (
        Verdict.objects.filter(state=VerdictState.PUBLISHED, annotation__in=annotations)
        .select_related("rating", "annotation__document")
        .prefetch_related(Prefetch("annotation__evidence", queryset=origins, to_attr="origins"))
        .order_by("published_at", "id")
    )


def _organization() -> dict[str, str]:
    return {
        "@type": "Organization",
        "name": settings.CLAIMREVIEW_ORGANIZATION,
        "url": settings.CLAIMREVIEW_ORGANIZATION_URL,
    }


def claim_review(verdict: Verdict, *, base_url: str = "") -> dict[str, Any]:
    rating = verdict.rating
    document = verdict.annotation.document
    review_rating: dict[str, Any] = {"@type": "Rating", "alternateName": rating.name}
    if rating.value is not None:
        review_rating.update(
            ratingValue=rating.value, bestRating=rating.best, worstRating=rating.worst
        )
    appearance = document.source_url or f"{base_url}/documents/{document.pk}/"
    claim: dict[str, Any] = {
        "@type": "Claim",
        "appearance": {"@type": "CreativeWork", "url": appearance, "headline": document.title},
    }
    origins = getattr(verdict.annotation, "origins", [])
    if origins:
        claim["firstAppearance"] = {"@type": "CreativeWork", "url": origins[0].url}
    if verdict.claim_author:
        claim["author"] = {"@type": "Person", "name": verdict.claim_author}
    if document.published_at:
        claim["datePublished"] = document.published_at.date().isoformat()
    item: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": settings.CLAIMREVIEW_URL_TEMPLATE.format(id=verdict.pk),
        "claimReviewed": verdict.claim_reviewed,
        "reviewRating": review_rating,
        "itemReviewed": claim,
        "author": _organization(),
        "datePublished": verdict.published_at.date().isoformat(),
    }
    if verdict.explanation:
        item["reviewBody"] = verdict.explanation
    return item


def claimreview_lines(verdicts: QuerySet[Verdict], *, base_url: str = "") -> Iterator[str]:
    """A JSON array of ClaimReview objects, written piecewise (one per line)."""
    yield "["
    first = True
    for verdict in verdicts.iterator(chunk_size=500):
        text = json.dumps(claim_review(verdict, base_url=base_url), ensure_ascii=False)
        yield ("\n" if first else ",\n") + text
        first = False
    yield "\n]\n"
