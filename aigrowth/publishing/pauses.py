"""Accounts a platform told us to leave alone for a while (429 with a reset time).

Kept in Redis so every worker and the dispatcher respect it, and in this process so
the rest of a job's posts for that account wait without asking Redis before each post.
"""

from __future__ import annotations

import logging
import time
import uuid

from redis.exceptions import RedisError

from aigrowth.redis_client import get_redis

log = logging.getLogger(__name__)

PAUSE_KEY = "aigrowth:publish:pause:{account}"
_LOCAL: dict[uuid.UUID, float] = {}  # account id -> epoch seconds


def paused_accounts(account_ids: set[uuid.UUID]) -> dict[uuid.UUID, float]:
    """account id -> epoch second until which the platform asked us to wait."""
    if not account_ids:
        return {}
    ids = list(account_ids)
    try:
        values = get_redis().mget([PAUSE_KEY.format(account=a.hex) for a in ids])
    except RedisError:  # Redis down: what this process knows; the platform tells us again
        values = [None] * len(ids)
    now = time.time()
    out = {}
    for aid, raw in zip(ids, values, strict=True):
        if raw is not None and float(raw) > now:
            out[aid] = float(raw)
        elif _LOCAL.get(aid, 0.0) > now:
            out[aid] = _LOCAL[aid]
    return out


def local_pause(account_id: uuid.UUID | None) -> float | None:
    """When this process already knows the account is paused: until when."""
    until = _LOCAL.get(account_id) if account_id else None
    return until if until is not None and until > time.time() else None


def pause_account(account_id: uuid.UUID | None, seconds: float) -> None:
    if account_id is None or seconds <= 0:
        return
    _LOCAL[account_id] = time.time() + seconds
    try:
        get_redis().set(
            PAUSE_KEY.format(account=account_id.hex),
            str(time.time() + seconds),
            px=int(seconds * 1000) + 1,
        )
    except RedisError:
        log.warning("Could not record the rate-limit pause of account %s", account_id)
