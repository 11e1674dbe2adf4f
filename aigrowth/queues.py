"""Queue names and enqueue helpers, shared by the web process and the workers.

They live in `aigrowth` so that `aigrowth` never imports `workers` (DESIGN.md §10):
jobs are enqueued by dotted path, so the web process does not import job code.
"""

from __future__ import annotations

from typing import Any

from rq import Queue

from aigrowth.redis_client import get_redis

PUBLISH = "publish"
DEFAULT = "default"
AI = "ai"
ANALYTICS = "analytics"

# Order matters: a worker takes publishing work before anything else.
ALL_QUEUES = [PUBLISH, DEFAULT, AI, ANALYTICS]


def get_queue(name: str = DEFAULT) -> Queue:
    return Queue(name, connection=get_redis())


def enqueue(path: str, *args: Any, queue: str = DEFAULT, **kwargs: Any) -> Any:
    """Enqueue `path` (e.g. "workers.jobs.heartbeat") without importing it here."""
    return get_queue(queue).enqueue(path, *args, **kwargs)
