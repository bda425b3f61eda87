import logging
import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

# sqla+ / sqlalchemy+ broker URLs (the embedded default, sqla+sqlite:///) use the SQLite
# transport of annotator/broker.py (another database: kombu's SQLAlchemy one, hardened).
TRANSPORT_ALIASES["sqla"] = TRANSPORT_ALIASES["sqlalchemy"] = "annotator.broker:Transport"


class _DefaultHostnameFilter(logging.Filter):
    """kombu says "No hostname was supplied" whenever a broker URL has no host (filesystem://,
    sqla+sqlite:///): expected here, so it is not a warning worth a console line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No hostname was supplied")


logging.getLogger("kombu.connection").addFilter(_DefaultHostnameFilter())

app = Celery("annotator")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each capability keeps its tasks in its own tasks module (annotator/enqueue.py names them).
app.autodiscover_tasks(["annotator.suggestions", "annotator.review", "annotator.events"])
