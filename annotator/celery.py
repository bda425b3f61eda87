import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

app = Celery("annotator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Review workflow tasks (agreement) live beside the suggestion tasks in their own module.
app.autodiscover_tasks(["annotator"], related_name="review_tasks")
