"""lexcloud: the Django project (settings, URLs, Celery app, health, the shared UI shell)."""
from .celery import app as celery_app

__all__ = ("celery_app",)
