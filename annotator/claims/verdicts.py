"""Writes for verdicts: save a draft, propose it, publish it (a lead, when the desk's rules
pass), send it back to draft with a reason. Every change is kept in history."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from annotator.annotations.services import work_open_check
from annotator.claims import rules
from annotator.claims.selectors import desk_rules_for
from annotator.claims.services import ClaimConflict
from annotator.events.services import verdict_event
from annotator.models import Annotation, Evidence, Rating, Verdict, VerdictState
from annotator.permissions import can_annotate, can_change_verdict, can_publish_verdict

VERDICT_FIELDS = ("rating", "claim_reviewed", "explanation", "claim_author")
LIMITS = {"claim_reviewed": 500, "explanation": 20_000, "claim_author": 200}
DRAFT, IN_REVIEW, PUBLISHED = VerdictState.DRAFT, VerdictState.IN_REVIEW, VerdictState.PUBLISHED


def rating_resolve(rating: Any) -> Rating:
    if isinstance(rating, Rating):
        return rating
    found = None
    if isinstance(rating, int) and not isinstance(rating, bool):
        found = Rating.objects.filter(pk=rating).first()
    elif isinstance(rating, str) and rating.strip():
        found = Rating.objects.filter(name__iexact=rating.strip()).first()
    if found is None:
        names = ", ".join(Rating.objects.values_list("name", flat=True))
        raise ValidationError({"rating": f"Unknown rating {rating!r}; the scale is: {names}."})
    return found


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(VERDICT_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "rating":
            try:
                cleaned[field] = rating_resolve(value)
            except ValidationError as exc:
                errors.update({k: v[0] for k, v in exc.message_dict.items()})
            continue
        value = "" if value is None else value
        if not isinstance(value, str):
            errors[field] = "Must be text."
        elif len(value) > LIMITS[field]:
            errors[field] = f"At most {LIMITS[field]} characters."
        else:
            cleaned[field] = value.strip()
    if "claim_reviewed" in cleaned and not cleaned["claim_reviewed"]:
        errors["claim_reviewed"] = "Say in one sentence what claim was reviewed."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _lock(verdict_id: int) -> Verdict:
    current = (
        Verdict.objects.select_for_update(of=("self",))
        .select_related("annotation__document__collection", "annotation__label", "rating")
        .filter(pk=verdict_id)
        .first()
    )
    if current is None:
        raise Http404(f"Verdict {verdict_id} was deleted meanwhile.")
    return current


@transaction.atomic
def verdict_save(
    *, annotation: Annotation, user, version: int | None = None, propose: bool = False, **fields
) -> Verdict:
    """Create the claim's verdict (a draft) or change it; `propose` sends it for review."""
    if not can_annotate(user):
        raise PermissionDenied("You need a reviewer, lead or admin role.")
    work_open_check(document=annotation.document, user=user)
    existing = Verdict.objects.filter(annotation=annotation).values_list("pk", flat=True).first()
    if existing is None:
        missing = [f for f in ("rating", "claim_reviewed") if f not in fields]
        if missing:
            raise ValidationError(dict.fromkeys(missing, "This field is required."))
        verdict = Verdict(annotation=annotation, proposed_by=user, **_clean(fields))
        verdict.save(force_insert=True)
    else:
        verdict = _lock(existing)
        _check_writable(verdict, user, version)
        if verdict.state == PUBLISHED:
            raise ValidationError("This verdict is published: send it back to draft to change it.")
        cleaned = _clean(fields)
        changed = [f for f, v in cleaned.items() if getattr(verdict, f) != v]
        for field in changed:
            setattr(verdict, field, cleaned[field])
        if changed:
            verdict.version += 1
            verdict.save()
    if propose and verdict.state == DRAFT:
        return _move(verdict, IN_REVIEW, user)
    return verdict


def _check_writable(verdict: Verdict, user, version: int | None) -> None:
    if not can_change_verdict(user, verdict):
        raise PermissionDenied("You cannot change another reviewer's verdict.")
    if version is not None and version != verdict.version:
        raise ClaimConflict(verdict)


def _move(verdict: Verdict, state: str, user, reason: str = "") -> Verdict:
    was_published = verdict.state == PUBLISHED
    verdict.state = state
    verdict.reason = reason
    if state == PUBLISHED:
        verdict.published_by, verdict.published_at = user, timezone.now()
    elif state == DRAFT:
        # The published record stays in history; the verdict itself is no longer out.
        verdict.published_by, verdict.published_at = None, None
    verdict.version += 1
    verdict.save()
    verdict_event(verdict, was_published=was_published, actor=user)
    return verdict


def verdict_checklist(*, verdict: Verdict | None, annotation: Annotation) -> list[rules.Check]:
    evidence = Evidence.objects.filter(annotation=annotation).only(
        "stance", "archive_status", "annotation_id"
    )
    return rules.checklist(
        annotation=annotation,
        evidence=evidence,
        verdict=verdict,
        rules=desk_rules_for(collection_id=annotation.document.collection_id),
    )


@transaction.atomic
def verdict_transition(
    *, verdict: Verdict, user, to: str, version: int | None, reason: str = ""
) -> Verdict:
    """draft -> in review -> published; back to draft (with a reason) from either."""
    current = _lock(verdict.pk)
    if version is not None and version != current.version:
        raise ClaimConflict(current)
    reason = (reason or "").strip()
    if to == IN_REVIEW and current.state == DRAFT:
        _check_writable(current, user, None)
        return _move(current, IN_REVIEW, user)
    if to == PUBLISHED and current.state == IN_REVIEW:
        if not can_publish_verdict(user):
            raise PermissionDenied("Only a lead publishes verdicts; reviewers propose them.")
        problem = rules.missing_message(
            verdict_checklist(verdict=current, annotation=current.annotation)
        )
        if problem:
            raise ValidationError(problem, code="desk_rules")
        return _move(current, PUBLISHED, user)
    if to == DRAFT and current.state in (IN_REVIEW, PUBLISHED):
        if current.state == PUBLISHED and not can_publish_verdict(user):
            raise PermissionDenied("Only a lead takes a published verdict back.")
        _check_writable(current, user, None)
        if not reason:
            raise ValidationError({"reason": "Say why the verdict goes back to draft."})
        return _move(current, DRAFT, user, reason=reason[:2000])
    labels = dict(VerdictState.choices)
    raise ValidationError(
        {"to": f"A verdict cannot go from {labels[current.state]} to {labels.get(to, to)!s}."}
    )
