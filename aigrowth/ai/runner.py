"""Run generations off the request path and report progress through Redis.

The web process calls `start_generation`: it checks ownership, takes a per-business
lock (no double runs from a double click or two tabs), writes a "queued" progress
record and enqueues `workers.ai_jobs.run_generation` on the AI queue by dotted path.
When no worker listens on that queue (a bare `reflex run`), the same function runs in
a background thread of the web process instead, so the product still works; either way
the page only polls the progress record and stays responsive.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from aigrowth.ai import progress
from aigrowth.ai.errors import AIError
from aigrowth.db import session_scope

log = logging.getLogger(__name__)

KINDS = ("strategy", "posts")
JOB_TIMEOUT_S = 900


def run_generation(kind: str, business_id: str, user_id: str, count: int = 0) -> dict[str, Any]:
    """The job body (RQ or thread). Never raises for a user-facing error."""
    from aigrowth.ai.service import generate_posts, generate_strategy

    bid, uid = uuid.UUID(business_id), uuid.UUID(user_id)

    def report(done: int, total: int, message: str) -> None:
        progress.put(bid, kind, state="running", done=done, total=total, message=message)

    progress.put(bid, kind, state="running", message="Starting")
    try:
        with session_scope() as session:
            if kind == "strategy":
                row = generate_strategy(bid, user_id=uid, session=session, progress=report)
                result = {"version": row.version, "source": row.source}
                message = f"Strategy version {row.version} is ready."
            else:
                summary: dict[str, str] = {}
                rows = generate_posts(
                    bid, count, user_id=uid, session=session, progress=report, summary=summary
                )
                result = {"count": len(rows), "offline": any(r.offline_draft for r in rows)}
                message = f"{len(rows)} drafts are ready in Content."
                if summary.get("weighting"):
                    message += " " + summary["weighting"]
        record = progress.put(bid, kind, state="done", message=message, result=result, error="")
    except AIError as err:
        record = progress.put(bid, kind, state="error", error=err.message, message="")
    except Exception:
        log.exception("AI generation failed (%s)", kind)
        record = progress.put(
            bid,
            kind,
            state="error",
            error="Something went wrong while generating; nothing was saved. Please try again.",
            message="",
        )
    finally:
        progress.release(bid, kind)
    return record


def _ai_workers_listening() -> bool:
    try:
        from rq import Worker

        from aigrowth.queues import AI, get_queue
        from aigrowth.redis_client import get_redis

        return bool(Worker.all(connection=get_redis(), queue=get_queue(AI)))
    except Exception:
        return False


def start_generation(
    kind: str, business_id: uuid.UUID | str, *, user_id: uuid.UUID, count: int = 0
) -> str:
    """Queue a generation; returns "" when started, else a message for the user."""
    from aigrowth.ai.planning import MAX_BATCH, MIN_BATCH
    from aigrowth.businesses.service import get_business
    from aigrowth.strategy.service import active_strategy

    if kind not in KINDS:
        return "Unknown generation."
    with session_scope() as session:
        business = get_business(business_id, user_id=user_id, session=session)
        if business is None:
            return "That business was not found."
        bid = business.id
        if kind == "posts":
            if not MIN_BATCH <= int(count) <= MAX_BATCH:
                return f"Choose between {MIN_BATCH} and {MAX_BATCH} posts."
            if active_strategy(bid, user_id=user_id, session=session) is None:
                return "Create a strategy first: posts follow its pillars and cadence."
    try:
        if not progress.acquire(bid, kind):
            return "A generation is already running for this business; it will finish shortly."
    except Exception:
        return "The job queue (Redis) is not reachable right now. Please try again shortly."
    total = int(count) if kind == "posts" else 3
    label = f"Queued: {total} posts" if kind == "posts" else "Queued: your strategy"
    progress.start(bid, kind, total=total, message=label)
    args = (kind, str(bid), str(user_id), int(count))
    if _ai_workers_listening():
        try:
            from aigrowth.queues import AI, enqueue

            enqueue(
                "workers.ai_jobs.run_generation",
                *args,
                queue=AI,
                job_id=f"ai-{kind}-{bid.hex}-{uuid.uuid4().hex[:8]}",
                job_timeout=JOB_TIMEOUT_S,
                result_ttl=3600,
                failure_ttl=86400,
            )
            return ""
        except Exception:
            log.exception("Could not enqueue the AI job; running it in-process")
    threading.Thread(target=run_generation, args=args, daemon=True, name=f"ai-{kind}").start()
    return ""
