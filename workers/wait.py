"""Wait for Redis at start-up: under `make run` the embedded Redis starts alongside."""

from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

log = logging.getLogger(__name__)


def wait_for_redis(redis: Redis, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.ping()
            return
        except (RedisConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
