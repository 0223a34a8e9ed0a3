"""Settings of the processes the real-worker tests start (``baobab`` commands
and Celery workers): Baobab's own settings, with the Celery queue the test
names, so that tests sharing a broker (or sharing it with a running Baobab)
never take each other's tasks."""

from __future__ import annotations

import os

from baobab.settings import *  # noqa: F403 - these are Baobab's settings, one value changed

CELERY_TASK_DEFAULT_QUEUE = os.environ["BAOBAB_TEST_QUEUE"]
