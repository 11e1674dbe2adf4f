"""Progress of a generation job, kept in Redis so any process (and any tab) can read it.

One record per (business, kind) — kind is "strategy" or "posts" — so a founder who
leaves the page and comes back sees the same run. A short Redis lock stops two runs of
the same kind for one business at once. Losing this record (Redis restart) loses only
the progress display; results live in the database.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from typing import Any

from aigrowth.redis_client import get_redis

PREFIX = "aigrowth:ai:progress:"
LOCK_PREFIX = "aigrowth:ai:lock:"
TTL_S = 24 * 3600
LOCK_TTL_S = 15 * 60


def _key(business_id: uuid.UUID | str, kind: str) -> str:
    return f"{PREFIX}{business_id}:{kind}"


def _lock_key(business_id: uuid.UUID | str, kind: str) -> str:
    return f"{LOCK_PREFIX}{business_id}:{kind}"


def get(business_id: uuid.UUID | str, kind: str) -> dict[str, Any]:
    """The latest record, or {} when none. Never raises on a Redis hiccup."""
    try:
        raw = get_redis().get(_key(business_id, kind))
    except Exception:
        return {}
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {}


def put(business_id: uuid.UUID | str, kind: str, **fields: Any) -> dict[str, Any]:
    record = get(business_id, kind)
    record.update(fields)
    record["updated_at"] = time.time()
    with contextlib.suppress(Exception):
        get_redis().set(_key(business_id, kind), json.dumps(record), ex=TTL_S)
    return record


def start(business_id: uuid.UUID | str, kind: str, *, total: int, message: str) -> dict[str, Any]:
    with contextlib.suppress(Exception):
        get_redis().delete(_key(business_id, kind))
    return put(
        business_id,
        kind,
        state="queued",
        done=0,
        total=total,
        message=message,
        error="",
        started_at=time.time(),
    )


def acquire(business_id: uuid.UUID | str, kind: str) -> bool:
    """True when no other run of this kind is going on for the business."""
    return bool(get_redis().set(_lock_key(business_id, kind), "1", nx=True, ex=LOCK_TTL_S))


def release(business_id: uuid.UUID | str, kind: str) -> None:
    with contextlib.suppress(Exception):
        get_redis().delete(_lock_key(business_id, kind))


def is_running(record: dict[str, Any]) -> bool:
    return record.get("state") in ("queued", "running")
