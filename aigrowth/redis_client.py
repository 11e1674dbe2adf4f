"""Redis connections for every process (RQ needs raw bytes, caches want str)."""

from __future__ import annotations

from functools import lru_cache

from redis import Redis

from aigrowth.settings import get_settings


@lru_cache(maxsize=1)
def get_redis() -> Redis:
    """Connection for RQ and locks (bytes responses, as RQ requires)."""
    return Redis.from_url(
        get_settings().effective_redis_url, socket_timeout=5, socket_connect_timeout=3
    )


def reset_redis_cache() -> None:
    get_redis.cache_clear()


# Written by the scheduler's heartbeat job, read by /health.
SCHEDULER_HEARTBEAT_KEY = "aigrowth:scheduler:heartbeat"
