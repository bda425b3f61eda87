"""What every API view shares: errors, the exception handler, permission classes, body limits."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponseBase
from django.utils.cache import parse_etags, patch_cache_control
from rest_framework import exceptions, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotator.annotations.services import (
    AnnotationConflict,
    AnnotationDuplicate,
)
from annotator.api.auth import IsAuthenticated
from annotator.api.imports import ImportErrors
from annotator.api.serializers import (
    AnnotationSerializer,
)
from annotator.claims.services import ClaimConflict
from annotator.permissions import can_annotate, can_change_annotation, is_lead

# Errors


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The annotation changed meanwhile."
    default_code = "conflict"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        'Send the version you read: "version" in the body or an If-Match: "<version>" header.'
    )
    default_code = "precondition_required"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"


def validation_detail(exc: DjangoValidationError) -> dict | list:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"detail": exc.messages if len(exc.messages) > 1 else exc.messages[0]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Django's ValidationError → 400 with field messages, AnnotationConflict → 409."""
    if isinstance(exc, AnnotationConflict):
        current = AnnotationSerializer(exc.current).data
        return Response(
            {"detail": str(exc), "version": exc.current.version, "current": current},
            status=status.HTTP_409_CONFLICT,
            headers={"ETag": f'"{exc.current.version}"'},
        )
    if isinstance(exc, ClaimConflict):
        return Response(
            {"detail": str(exc), "version": exc.current.version},
            status=status.HTTP_409_CONFLICT,
            headers={"ETag": f'"{exc.current.version}"'},
        )
    if isinstance(exc, AnnotationDuplicate):
        existing = AnnotationSerializer(exc.existing).data
        return Response(
            {"detail": exc.messages[0], "existing": existing}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, DjangoValidationError):
        return Response(validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ImportErrors):
        return Response(
            {"detail": str(exc), "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, RequestDataTooBig):
        exc = too_large()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


def too_large() -> BodyTooLarge:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return BodyTooLarge(f"The request body is larger than the limit of {limit} bytes.")


# Permissions


class CanAnnotate(permissions.BasePermission):
    """As in the reviewer UI (permissions.can_annotate): everything here needs a role."""

    message = "You need a reviewer, lead or admin role."

    def has_permission(self, request: Request, view) -> bool:
        return can_annotate(request.user)


HAS_ROLE = [IsAuthenticated, CanAnnotate]


class IsLeadForWrites(permissions.BasePermission):
    message = "Only leads and admins add or change documents."

    def has_permission(self, request: Request, view) -> bool:
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", "") == "suggest":
            return True
        return is_lead(request.user)


class CanChangeAnnotation(permissions.BasePermission):
    """The UI's rule (annotator.permissions.can_change_annotation) for writes on one object."""

    message = "You cannot change another reviewer's annotation."

    def has_object_permission(self, request: Request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_change_annotation(request.user, obj)


class BodyLimitMixin:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE before DRF reads them."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise too_large()
        super().initial(request, *args, **kwargs)


def version_read(request: Request, body_version: int | None, what: str = "annotation") -> int:
    """The version the client read: without it a write would blindly overwrite (428)."""
    if body_version is not None:
        return body_version
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not header or header == "*":
        raise PreconditionRequired()
    try:
        return int(header)
    except ValueError:
        raise exceptions.ValidationError(
            {"If-Match": f'Send the {what}\'s version number, e.g. If-Match: "3".'}
        ) from None


def flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in {"1", "true", "yes", "on"}


def etag_matches(request: Request, etag: str) -> bool:
    """Whether the client's If-None-Match holds `etag` (weak or strong) or `*`."""
    wanted = [
        tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))
    ]
    return etag in wanted or "*" in wanted


def revalidated(response: HttpResponseBase) -> HttpResponseBase:
    """Per user (the body depends on who reads it), and always revalidated."""
    patch_cache_control(response, private=True, no_cache=True)
    return response
