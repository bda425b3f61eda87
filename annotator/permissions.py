"""One permission layer for the UI, the API and the admin.

Roles are Django groups created by a data migration: reviewer, lead, admin.
A reviewer changes only their own work; a lead (and an admin) may change anyone's.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

REVIEWER = "reviewer"
LEAD = "lead"
ADMIN = "admin"
ROLES = (REVIEWER, LEAD, ADMIN)


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_annotator_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(ADMIN)
        user._annotator_roles = cached
    return cached


def is_lead(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Leads and admins see everyone's work, assign documents and adjudicate."""
    return bool(user_roles(user) & {LEAD, ADMIN})


def can_change_annotation(user: AbstractBaseUser | AnonymousUser, annotation) -> bool:
    if not user.is_authenticated:
        return False
    if annotation.is_final:
        return is_lead(user)
    return annotation.created_by_id == user.pk or is_lead(user)


def can_request_suggestions(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Anyone with a role may queue suggestions and see their precision."""
    return bool(user_roles(user))


def can_assign(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Leads (and admins) assign documents to reviewers."""
    return is_lead(user)


def can_upload_documents(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Leads (and admins) add documents to a collection from the browser."""
    return is_lead(user)


def can_adjudicate(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Leads (and admins) decide the final set of annotations."""
    return is_lead(user)


def can_be_assigned(user: AbstractBaseUser) -> bool:
    """Only people with a role annotate: reviewers, and leads who review too."""
    return bool(user_roles(user) & {REVIEWER, LEAD})


def can_view_reviewer_stats(user: AbstractBaseUser | AnonymousUser, reviewer) -> bool:
    """A reviewer sees their own dashboard; leads see everyone's."""
    return user.is_authenticated and (user.pk == reviewer.pk or is_lead(user))


def can_annotate(user: AbstractBaseUser | AnonymousUser) -> bool:
    """The reviewer UI (reading documents, annotating, deciding suggestions) needs a role."""
    return bool(user_roles(user))


def can_manage_webhooks(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Leads (and admins) register webhook endpoints and see their deliveries."""
    return is_lead(user)


def can_change_evidence(user: AbstractBaseUser | AnonymousUser, evidence) -> bool:
    """Evidence is changed by whoever added it, or a lead."""
    return user.is_authenticated and (evidence.created_by_id == user.pk or is_lead(user))


def can_publish_verdict(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Reviewers propose verdicts; leads (and admins) publish them or send them back."""
    return is_lead(user)


def can_change_verdict(user: AbstractBaseUser | AnonymousUser, verdict) -> bool:
    """A draft or proposed verdict is changed by its proposer or a lead; a published one by a
    lead only (after sending it back to draft)."""
    if not user.is_authenticated:
        return False
    if is_lead(user):
        return True
    return verdict.state != "published" and verdict.proposed_by_id == user.pk
