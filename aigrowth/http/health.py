"""GET /health: what an operator or a load balancer needs to know at a glance."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from rq import Worker
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from aigrowth.db import get_engine, session_scope
from aigrowth.ops.metrics import publish_backlog
from aigrowth.redis_client import SCHEDULER_HEARTBEAT_KEY, get_redis
from aigrowth.settings import VERSION

# The scheduler enqueues a heartbeat every 15 s; older than this means it is not running.
HEARTBEAT_STALE_S = 90


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        extra = check() or {}
        return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1), **extra}
    except Exception as exc:  # a health check reports failures, it never raises
        return {"ok": False, "error": type(exc).__name__}


def _check_database() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def _backlog() -> dict[str, Any] | None:
    """Posts due and not yet published, and how long the oldest has waited."""
    try:
        with session_scope() as session:
            backlog = publish_backlog(session=session)
    except Exception:  # reported as unknown; the database check says why
        return None
    return {"due": backlog.due, "oldest_age_s": backlog.oldest_age_s}


def health_report() -> tuple[dict[str, Any], int]:
    database = _timed(_check_database)
    redis_info: dict[str, Any] = _timed(lambda: get_redis().ping() and None)
    workers: int | None = None
    heartbeat_age: float | None = None
    if redis_info["ok"]:
        try:
            redis = get_redis()
            workers = Worker.count(connection=redis)
            raw = redis.get(SCHEDULER_HEARTBEAT_KEY)
            if raw is not None:
                heartbeat_age = round(max(0.0, time.time() - float(raw)), 1)
        except Exception:
            redis_info = {"ok": False, "error": "RedisError"}
    scheduler_ok = heartbeat_age is not None and heartbeat_age <= HEARTBEAT_STALE_S
    core_ok = database["ok"] and redis_info["ok"]
    if not core_ok:
        status = "down"
    elif workers and scheduler_ok:
        status = "ok"
    else:
        status = "degraded"
    body = {
        "status": status,
        "database": database,
        "redis": redis_info,
        "workers": workers,
        "scheduler": {"ok": scheduler_ok, "heartbeat_age_s": heartbeat_age},
        "publish_backlog": _backlog() if database["ok"] else None,
        "version": VERSION,
        "timestamp": datetime.now(UTC).isoformat(),
    }
    return body, (200 if core_ok else 503)


async def health(_request: Request) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    body, status = await run_in_threadpool(health_report)
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
