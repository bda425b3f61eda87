"""Pluggable suggesters: modules named in settings.SUGGESTERS.

Each module has `name`, `version` and `suggest(text) -> list[SpanSuggestion]`, touches no
database (the learned one loads its model through `model_store`), and is tested on strings.
Adding one means copying a neighbour and listing its dotted path in SUGGESTERS.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from django.conf import settings
from django.core.exceptions import ValidationError

from annotator.suggestions.suggesters.base import SpanSuggestion, SuggesterError

__all__ = ["SpanSuggestion", "SuggesterError", "suggester_get", "suggester_list"]

# The rule suggesters: fast, no configuration, always on.
RULE_SUGGESTERS = ("sourced", "disputed", "propaganda")


# Suggesters lived in annotator.suggesters before the layout by capability; a SUGGESTERS
# setting written then still names them there.
LEGACY_PREFIX = "annotator.suggesters."


def _current_path(path: str) -> str:
    if path.startswith(LEGACY_PREFIX):
        return __name__ + "." + path.removeprefix(LEGACY_PREFIX)
    return path


def suggester_list() -> list[ModuleType]:
    modules = []
    for path in settings.SUGGESTERS:
        module = importlib.import_module(_current_path(path))
        for attribute in ("name", "version", "suggest"):
            if not hasattr(module, attribute):
                raise ValidationError(f"Suggester module {path} has no {attribute!r}.")
        modules.append(module)
    return modules


def suggester_get(name: str) -> ModuleType:
    modules = suggester_list()
    for module in modules:
        if module.name == name:
            return module
    known = ", ".join(module.name for module in modules)
    raise ValidationError({"suggester": f"Unknown suggester {name!r} (known: {known})."})
