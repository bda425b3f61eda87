import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

app = Celery("annotator")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each capability keeps its tasks in its own tasks module (annotator/enqueue.py names them).
app.autodiscover_tasks(["annotator.suggestions", "annotator.review"])
