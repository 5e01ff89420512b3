"""The Celery application; tasks live in each app's tasks.py as thin wrappers around services."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexcloud.settings")

app = Celery("lexcloud")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
