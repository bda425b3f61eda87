from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(using: str = "default", **kwargs) -> None:
    """The database cache's table (settings.CACHES) is made by every migrate: run, serve, tests."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = "Annotations"

    def ready(self) -> None:
        # Register every task, so services can queue by name (annotator/enqueue.py).
        from annotator import checks  # noqa: F401  (registers the system checks)
        from annotator.anchoring import receivers as anchoring_receivers
        from annotator.anchoring import tasks as anchoring_tasks  # noqa: F401
        from annotator.claims import tasks as claim_tasks  # noqa: F401
        from annotator.events import receivers as event_receivers
        from annotator.events import tasks as event_tasks  # noqa: F401
        from annotator.review import tasks as review_tasks  # noqa: F401
        from annotator.suggestions import model_store, receivers
        from annotator.suggestions import tasks as suggestion_tasks  # noqa: F401
        from annotator.suggestions.suggesters import learned

        receivers.connect()
        event_receivers.connect()
        anchoring_receivers.connect()
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="annotator-cache-table")
        # The learned suggester reads no database itself: it is handed the model loader.
        learned.loader = model_store.promoted_model
