"""The one place a suggester touches the database: loading the promoted learned model."""

from __future__ import annotations


def promoted_model(name: str = "learned") -> tuple[int, bytes] | None:
    from annotator.models import SuggesterModel

    row = (
        SuggesterModel.objects.filter(name=name, promoted=True)
        .order_by("-version")
        .values_list("version", "artifact")
        .first()
    )
    return None if row is None else (row[0], bytes(row[1]))


def promoted_version(name: str = "learned") -> int | None:
    from annotator.models import SuggesterModel

    return (
        SuggesterModel.objects.filter(name=name, promoted=True)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
