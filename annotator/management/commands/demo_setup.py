import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from corpus.importers import import_paths
from corpus.services import collection_get_or_create

DEMO_DIR = Path(settings.BASE_DIR) / "corpus" / "fixtures" / "demo"

# (environment prefix, default username, default password, role, is_superuser)
DEMO_USERS = [
    ("DEMO_ADMIN", "admin", "admin-demo-pass", "admin", True),
    ("DEMO_LEAD", "lead", "lead-demo-pass", "lead", False),
    ("DEMO_REVIEWER", "reviewer", "reviewer-demo-pass", "reviewer", False),
    ("DEMO_REVIEWER2", "reviewer2", "reviewer2-demo-pass", "reviewer", False),
]


class Command(BaseCommand):
    help = "Load the demo corpus and create the demo users (idempotent)."

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_USERS_ALLOWED:
            # Production: the demo passwords are published, so their accounts must never exist.
            self.stdout.write("DEBUG is off: demo corpus and demo users are not created.")
            return
        collection = collection_get_or_create(slug="demo", name="Demo")
        summary = import_paths(paths=[DEMO_DIR], collection=collection, progress=False)
        self.stdout.write(
            f"Demo corpus: created {summary.created}, already there {summary.duplicates}."
        )
        for prefix, username, password, role, superuser in DEMO_USERS:
            self.stdout.write(self._ensure_user(prefix, username, password, role, superuser))
        self._desk_rules(collection)
        self._suggest_where_never_run(collection)

    def _desk_rules(self, collection) -> None:
        from annotator.claims.demo import demo_desk_rules_ensure

        created = demo_desk_rules_ensure(collection=collection)
        if created:
            self.stdout.write(f"Desk rules for the demo collection: {created} (edit in the admin).")

    def _suggest_where_never_run(self, collection) -> None:
        """Demo documents loaded before suggestions existed (or with them off) get a run once."""
        from annotator.suggestions.runs import SuggestionsUnavailable, suggestion_run_start

        if not settings.SUGGEST_ON_IMPORT:
            return
        for document in collection.documents.filter(suggestion_runs__isnull=True):
            try:
                suggestion_run_start(document=document)
            except SuggestionsUnavailable as exc:
                self.stderr.write(f"Suggestions not queued: {exc}")
                return

    def _ensure_user(
        self, prefix: str, username: str, password: str, role: str, superuser: bool
    ) -> str:
        username = os.environ.get(f"{prefix}_USERNAME", username)
        password = os.environ.get(f"{prefix}_PASSWORD", password)
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": superuser, "is_superuser": superuser}
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=role))
        shown = password if created or user.check_password(password) else "(changed since)"
        return f"  {role:<9} {username} / {shown}"
