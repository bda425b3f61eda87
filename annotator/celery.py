import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

# sqla+ / sqlalchemy+ broker URLs (the embedded default) use kombu's SQLAlchemy transport
# with the safeguards of annotator/broker.py.
TRANSPORT_ALIASES["sqla"] = TRANSPORT_ALIASES["sqlalchemy"] = "annotator.broker:Transport"

app = Celery("annotator")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each capability keeps its tasks in its own tasks module (annotator/enqueue.py names them).
app.autodiscover_tasks(["annotator.suggestions", "annotator.review", "annotator.events"])
