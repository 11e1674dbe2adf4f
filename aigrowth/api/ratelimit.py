"""Per-key rate limit in Redis: one fixed window per minute shared by every web process.

``INCR`` + ``EXPIRE`` in one MULTI/EXEC on ``aigrowth:api:rl:<key id>:<window>``: the
count is the same for every process that serves the key. Answers carry the
``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` headers (IETF
draft) and ``RateLimit-Policy``; an exceeded window answers 429 with ``Retry-After``.
When Redis cannot be reached the request is let through (and logged): the limit
protects the service, it must not take the API down with Redis.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from aigrowth.redis_client import get_redis
from aigrowth.settings import get_settings

log = logging.getLogger(__name__)

WINDOW_S = 60
KEY = "aigrowth:api:rl:{key_id}:{window}"


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset_s: int  # seconds until the window ends
    allowed: bool

    def headers(self) -> dict[str, str]:
        out = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": f"{self.limit};w={WINDOW_S}",
        }
        if not self.allowed:
            out["Retry-After"] = str(self.reset_s)
        return out


def hit(key_id: uuid.UUID, *, now: float | None = None, limit: int | None = None) -> Window:
    """Count one request of this key in the current window."""
    limit = limit or get_settings().api_rate_limit_per_minute
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    reset_s = max(1, int((window + 1) * WINDOW_S - now + 0.999))
    try:
        pipe = get_redis().pipeline(transaction=True)
        name = KEY.format(key_id=key_id.hex, window=window)
        pipe.incr(name)
        pipe.expire(name, WINDOW_S + 5)
        count = int(pipe.execute()[0])
    except Exception:
        log.warning("rate limit store unreachable; request let through", exc_info=True)
        return Window(limit=limit, remaining=limit, reset_s=reset_s, allowed=True)
    return Window(
        limit=limit, remaining=max(0, limit - count), reset_s=reset_s, allowed=count <= limit
    )
