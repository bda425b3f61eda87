from django.apps import AppConfig


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = "Annotations"

    def ready(self) -> None:
        # Register every task, so services can queue by name (annotator/enqueue.py).
        from annotator import checks  # noqa: F401  (registers the system checks)
        from annotator.review import tasks as review_tasks  # noqa: F401
        from annotator.suggestions import model_store, receivers
        from annotator.suggestions import tasks as suggestion_tasks  # noqa: F401
        from annotator.suggestions.suggesters import learned

        receivers.connect()
        # The learned suggester reads no database itself: it is handed the model loader.
        learned.loader = model_store.promoted_model
