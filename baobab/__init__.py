"""Baobab: an open platform for communities of incident response teams."""

from baobab.celery import app as celery_app

__all__ = ["celery_app"]
