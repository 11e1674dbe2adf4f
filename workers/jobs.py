"""Job functions: thin wrappers that call aigrowth services."""

from __future__ import annotations

import time

from aigrowth.redis_client import SCHEDULER_HEARTBEAT_KEY, get_redis


def heartbeat() -> float:
    """Enqueued by the scheduler; /health reads its age to see scheduler + workers alive."""
    now = time.time()
    get_redis().set(SCHEDULER_HEARTBEAT_KEY, str(now))
    return now
