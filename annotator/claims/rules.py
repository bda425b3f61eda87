"""The desk's rules, evaluated for one claim: a checklist shown beside the verdict and
enforced on publish. The rules are rows (DeskRule, admin-editable); this module only knows
the three kinds of check a row can ask for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from annotator.models import Annotation, ArchiveStatus, DeskRule, Evidence, RuleKind, Verdict


@dataclass(frozen=True)
class Check:
    rule: DeskRule
    passed: bool
    detail: str

    @property
    def message(self) -> str:
        return self.rule.message


def _applies(rule: DeskRule, annotation: Annotation) -> bool:
    return rule.label_id is None or rule.label_id == annotation.label_id


def _min_sources(rule: DeskRule, evidence: list[Evidence]) -> Check:
    stances = set(rule.stances or [])
    count = sum(1 for item in evidence if not stances or item.stance in stances)
    kinds = " or ".join(sorted(stances)) if stances else "any"
    detail = f"{count} of {rule.min_count} {kinds} source(s)"
    return Check(rule, count >= rule.min_count, detail)


def _all_archived(rule: DeskRule, evidence: list[Evidence]) -> Check:
    missing = [item for item in evidence if item.archive_status != ArchiveStatus.ARCHIVED]
    detail = f"{len(evidence) - len(missing)} of {len(evidence)} archived"
    return Check(rule, not missing, detail)


def _field_filled(rule: DeskRule, verdict: Verdict | None) -> Check:
    value = getattr(verdict, rule.field, "") if verdict is not None and rule.field else ""
    filled = bool(str(value or "").strip())
    return Check(rule, filled, "filled in" if filled else f"{rule.field or 'field'} is empty")


def checklist(
    *,
    annotation: Annotation,
    evidence: Iterable[Evidence],
    verdict: Verdict | None,
    rules: Iterable[DeskRule],
) -> list[Check]:
    """Every active rule that applies to this claim, passed or not (no queries)."""
    evidence = list(evidence)
    checks = []
    for rule in rules:
        if not _applies(rule, annotation):
            continue
        if rule.kind == RuleKind.MIN_SOURCES:
            checks.append(_min_sources(rule, evidence))
        elif rule.kind == RuleKind.ALL_ARCHIVED:
            checks.append(_all_archived(rule, evidence))
        elif rule.kind == RuleKind.FIELD_FILLED:
            checks.append(_field_filled(rule, verdict))
    return checks


def missing_message(checks: list[Check]) -> str:
    """What stops publishing, in the desk's words ("" when nothing does)."""
    failed = [f"{check.message} ({check.detail})" for check in checks if not check.passed]
    return ("Cannot publish yet: " + "; ".join(failed) + ".") if failed else ""
