"""Celery tasks of the pipeline: named, small arguments, idempotent (a chunk
already done is skipped), acknowledged only once done so that a worker killed
half-way leaves its chunk to another worker."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from baobab.pipeline import runner
from baobab.pipeline.collectors.tasks import collect_due, collect_feed  # noqa: F401 - registers them


@shared_task(
    name="baobab.pipeline.process_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def process_chunk_task(chunk_id: int) -> dict[str, Any]:
    """Process one chunk of a run."""
    counts = runner.process_chunk(chunk_id)
    return {"stored": counts.stored, "skipped": counts.skipped}


@shared_task(name="baobab.pipeline.purge_events")
def purge_events_task() -> int:
    """Apply the retention policy (scheduled daily)."""
    from baobab.pipeline.services import purge_events  # noqa: PLC0415 - services import runner

    return purge_events()
