"""Celery tasks of notifications (beat runs ``baobab.notify.run`` every five
minutes; without a broker, ``baobab notify run`` from cron does the same)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from baobab.notify import delivery, outbox


@shared_task(name="baobab.notify.run")
def run_task() -> dict[str, Any]:
    """Build what is due and deliver the outbox."""
    built = outbox.run()
    delivered = delivery.deliver()
    return {
        "built": len(built.built),
        "skipped": len(built.skipped),
        "sent": delivered.sent,
        "retrying": delivered.retrying,
        "failed": delivered.failed,
    }
