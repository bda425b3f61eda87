"""Loading the promoted learned model: handed to the learned suggester (annotator/apps.py),
which reads no database itself."""

from __future__ import annotations

from annotator.models import SuggesterModel


def promoted_model(name: str = "learned") -> tuple[int, bytes] | None:
    row = (
        SuggesterModel.objects.filter(name=name, promoted=True)
        .order_by("-version")
        .values_list("version", "artifact")
        .first()
    )
    return None if row is None else (row[0], bytes(row[1]))


def promoted_version(name: str = "learned") -> int | None:
    return (
        SuggesterModel.objects.filter(name=name, promoted=True)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
