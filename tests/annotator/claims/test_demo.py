"""The demo ships desk rules, so the demo's claims show a checklist; a desk's own are kept."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from annotator.claims import rules
from annotator.claims.selectors import desk_rules_for
from annotator.models import DeskRule, Evidence
from corpus.models import Collection
from tests.factories import AnnotationFactory, DocumentFactory, label

pytestmark = pytest.mark.django_db


def test_demo_setup_ships_the_desk_rules_once(settings):
    settings.SUGGEST_ON_IMPORT = False
    out = StringIO()
    call_command("demo_setup", stdout=out)
    call_command("demo_setup", stdout=StringIO())
    demo = Collection.objects.get(slug="demo")
    assert "Desk rules for the demo collection: 3" in out.getvalue()
    assert list(DeskRule.objects.filter(collection=demo).values_list("kind", "label__slug")) == [
        ("min_sources", "disputed"),
        ("all_archived", None),
        ("field_filled", None),
    ]
    claim = AnnotationFactory(document=DocumentFactory(collection=demo), label=label("disputed"))
    Evidence.objects.create(
        annotation=claim, created_by=claim.created_by, url="https://e.org/", stance="origin"
    )
    checks = rules.checklist(
        annotation=claim,
        evidence=claim.evidence.all(),
        verdict=None,
        rules=desk_rules_for(collection_id=demo.pk),
    )
    assert rules.missing_message(checks) == (
        "Cannot publish yet: A disputed claim needs at least one refuting or context source "
        "(0 of 1 context or refutes source(s)); Every source has an archived copy (0 of 1 "
        "archived); A published verdict needs an explanation (explanation is empty)."
    )


def test_a_desks_own_rules_are_kept(settings):
    settings.SUGGEST_ON_IMPORT = False
    demo = Collection.objects.create(slug="demo", name="Demo")
    DeskRule.objects.create(collection=demo, kind="all_archived", message="Ours")
    call_command("demo_setup", stdout=StringIO())
    assert list(DeskRule.objects.values_list("message", flat=True)) == ["Ours"]
