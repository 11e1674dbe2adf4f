"""Queue names and helpers. The web process enqueues by dotted path only."""

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
