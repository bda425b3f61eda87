from django.apps import AppConfig


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = "Annotations"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
