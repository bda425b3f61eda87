"""The demo's desk rules (the run command's seed data; demo_setup never runs in production).

Rules are data: these rows are what a desk would enter in the admin, so the demo's claim
panel and the lead's queue show a checklist from the first claim on.
"""

from __future__ import annotations

from annotator.models import DeskRule, Label, RuleKind
from corpus.models import Collection

DEMO_DESK_RULES = [
    {
        "label": "disputed",
        "kind": RuleKind.MIN_SOURCES,
        "stances": ["refutes", "context"],
        "min_count": 1,
        "message": "A disputed claim needs at least one refuting or context source",
    },
    {"kind": RuleKind.ALL_ARCHIVED, "message": "Every source has an archived copy"},
    {
        "kind": RuleKind.FIELD_FILLED,
        "field": "explanation",
        "message": "A published verdict needs an explanation",
    },
]


def demo_desk_rules_ensure(*, collection: Collection) -> int:
    """Give the collection the demo's rules unless it has rules already (a desk's edits in
    the admin are kept); returns how many were created."""
    if DeskRule.objects.filter(collection=collection).exists():
        return 0
    labels = {label.slug: label for label in Label.objects.all()}
    rules = []
    for order, spec in enumerate(DEMO_DESK_RULES):
        fields = dict(spec)
        slug = fields.pop("label", "")
        label = labels.get(slug)
        if slug and label is None:
            continue  # the label was removed: the rule would otherwise apply to every claim
        rule = DeskRule(collection=collection, label=label, order=order, **fields)
        rule.full_clean()
        rules.append(rule)
    for rule in rules:
        rule.save()  # one by one: history keeps who made each rule (here: the demo)
    return len(rules)
