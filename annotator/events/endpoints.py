"""Leads manage webhook endpoints: the checks shared by the admin and the API."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from annotator.enqueue import WEBHOOK_DELIVERY_SEND_AGAIN, WEBHOOK_TEST_SEND, task
from annotator.events.services import EventType
from annotator.models import Event, WebhookDelivery, WebhookEndpoint
from annotator.permissions import can_manage_webhooks
from corpus import fetching

SUBSCRIBABLE = sorted(set(EventType.values) - {EventType.TEST})


def secret_new() -> str:
    """A Standard Webhooks secret: whsec_ and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def endpoint_url_check(url: str) -> str:
    """Refused unless http(s) to public addresses (FETCH_ALLOW_PRIVATE=1 allows local ones)."""
    try:
        fetching.url_check(url)
    except fetching.FetchError as exc:
        raise ValidationError({"url": str(exc)}) from None
    return url


def event_types_check(types: Any) -> list[str]:
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise ValidationError({"event_types": "Must be a list of event types."})
    unknown = sorted(set(types) - set(SUBSCRIBABLE))
    if unknown:
        raise ValidationError(
            {"event_types": f"Unknown: {', '.join(unknown)}. Known: {', '.join(SUBSCRIBABLE)}."}
        )
    return sorted(set(types))


def secret_check(secret: str) -> str:
    from standardwebhooks import Webhook

    try:
        Webhook(secret)
    except Exception:
        raise ValidationError({"secret": "Must be whsec_ followed by base64."}) from None
    return secret


def _require_lead(user) -> None:
    if not can_manage_webhooks(user):
        raise PermissionDenied("Only leads manage webhooks.")


@transaction.atomic
def endpoint_create(
    *, user, url: str, event_types: list | None = None, **fields
) -> WebhookEndpoint:
    """A new endpoint receives the events recorded from now on."""
    _require_lead(user)
    endpoint = WebhookEndpoint(
        url=endpoint_url_check(url),
        event_types=event_types_check(event_types or []),
        secret=secret_check(fields.pop("secret", None) or secret_new()),
        created_by=user,
        cursor=Event.objects.aggregate(last=Max("id"))["last"] or 0,
        **fields,
    )
    endpoint.save()
    return endpoint


EDITABLE = {"url", "event_types", "collection", "secret", "active", "description"}


@transaction.atomic
def endpoint_update(*, user, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    _require_lead(user)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    if "url" in changes:
        changes["url"] = endpoint_url_check(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = event_types_check(changes["event_types"])
    if "secret" in changes:
        changes["secret"] = secret_check(changes["secret"])
    resumed = changes.get("active") and not endpoint.active
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if resumed:  # enabled again: from where it stopped, trying at once
        endpoint.disabled_at = endpoint.failing_since = endpoint.next_attempt_at = None
        endpoint.disabled_reason = ""
        endpoint.failures = 0
    endpoint.save()
    return endpoint


def endpoint_test_request(*, user, endpoint: WebhookEndpoint) -> None:
    """Queue a test message to the endpoint (see its deliveries for the answer)."""
    _require_lead(user)
    task(WEBHOOK_TEST_SEND).apply_async(args=[endpoint.pk], retry=False)


def delivery_send_again_request(*, user, delivery: WebhookDelivery) -> None:
    _require_lead(user)
    task(WEBHOOK_DELIVERY_SEND_AGAIN).apply_async(args=[delivery.pk], retry=False)
