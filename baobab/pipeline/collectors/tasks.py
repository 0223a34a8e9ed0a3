"""Celery tasks of the collectors: collect one feed, and collect every
scheduled feed that is due (run by Celery beat every minute, or by cron)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from baobab.core import audit
from baobab.core.choices import AuditChannel
from baobab.pipeline.collectors import CollectorError, FeedBusyError, collect, due_feeds
from baobab.pipeline.models import Feed

logger = logging.getLogger("baobab.pipeline.collectors")


@shared_task(name="baobab.pipeline.collect_feed", ignore_result=True)
def collect_feed(feed_id: int) -> list[int]:
    """Collect the feed ``feed_id``; the ids of the runs it started."""
    feed = Feed.objects.filter(pk=feed_id).first()
    if feed is None:
        logger.info("feed %s is gone: nothing to collect", feed_id)
        return []
    with audit.channel(AuditChannel.TASK):
        try:
            runs = collect(feed)
        except FeedBusyError:
            logger.info("feed %s is being collected already", feed.name)
            return []
        except CollectorError as exc:
            logger.warning("feed %s: %s", feed.name, exc)
            return []
    return [run.pk for run in runs]


@shared_task(name="baobab.pipeline.collect_due", ignore_result=True)
def collect_due() -> list[int]:
    """Queue a collection of every feed whose schedule says it is due; the
    ids of those feeds. Without a broker they are collected here, one by one."""
    feed_ids = [feed.pk for feed in due_feeds(timezone.now())]
    for feed_id in feed_ids:
        try:
            collect_feed.delay(feed_id)
        except Exception:  # one feed's failure must not hold back the others
            logger.exception("could not collect feed %s", feed_id)
    return feed_ids
