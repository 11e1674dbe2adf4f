"""Long content runs off the request path: calendar "Fill the gaps" and bulk "Regenerate".

The web process calls `start_fill` / `start_regenerate`: ownership is checked, a
per-business lock stops a second run from a double click or another tab, a "queued"
progress record goes to Redis (aigrowth.ai.progress, the same records the strategy page
follows) and the job is enqueued on the AI queue by dotted path
(`workers.content_jobs.*`). With no worker on that queue (a bare `reflex run`) the same
body runs in a thread of the web process. Either way the page only polls the record,
so a run of many AI calls never blocks the tab; a reload or another tab finds it too.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from aigrowth.ai import progress
from aigrowth.content import access, bulk, calendar
from aigrowth.db import session_scope

log = logging.getLogger(__name__)

FILL = "fill"
REGENERATE = "regenerate"
JOB_TIMEOUT_S = 1800
MAX_REGENERATE = 200
ERROR_WORDS = "Something went wrong; the drafts written so far are kept. Please try again."


def _reporter(bid: uuid.UUID, kind: str) -> Callable[[int, int, str], None]:
    def report(done: int, total: int, message: str) -> None:
        progress.put(bid, kind, state="running", done=done, total=total, message=message)

    return report


def _run(
    bid: uuid.UUID, kind: str, body: Callable[[], tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Run a job body, leaving a final record (done/error) and the lock released."""
    progress.put(bid, kind, state="running", message="Starting")
    try:
        message, result = body()
        return progress.put(bid, kind, state="done", message=message, result=result, error="")
    except access.ContentError as exc:
        return progress.put(bid, kind, state="error", error=str(exc), message="")
    except Exception:
        log.exception("content job %s failed", kind)
        return progress.put(bid, kind, state="error", error=ERROR_WORDS, message="")
    finally:
        progress.release(bid, kind)


def run_fill(business_id: str, user_id: str, anchor: str, mode: str) -> dict[str, Any]:
    """Job body: drafts for every open slot of the period around ``anchor``."""
    bid, uid = uuid.UUID(business_id), uuid.UUID(user_id)

    def body() -> tuple[str, dict[str, Any]]:
        with session_scope() as db:
            made = calendar.fill_gaps(
                bid,
                user_id=uid,
                session=db,
                anchor=date.fromisoformat(anchor),
                mode=mode,
                progress=_reporter(bid, FILL),
            )
        if not made:
            return "No open slots left in this period.", {"made": 0}
        word = "draft" if made == 1 else "drafts"
        return f"{made} {word} written for the open slots. Review and approve them.", {"made": made}

    return _run(bid, FILL, body)


def run_regenerate(
    business_id: str, user_id: str, ids: list[str], feedback: str = ""
) -> dict[str, Any]:
    """Job body: rewrite each post with the AI layer (old texts kept as versions)."""
    bid, uid = uuid.UUID(business_id), uuid.UUID(user_id)

    def body() -> tuple[str, dict[str, Any]]:
        with session_scope() as db:
            result = bulk.bulk_regenerate(
                ids, user_id=uid, session=db, feedback=feedback, progress=_reporter(bid, REGENERATE)
            )
        return result.summary("Rewrote"), {"done": result.done, "failed": len(result.failed)}

    return _run(bid, REGENERATE, body)


def _ai_workers_listening() -> bool:
    try:
        from rq import Worker

        from aigrowth.queues import AI, get_queue
        from aigrowth.redis_client import get_redis

        return bool(Worker.all(connection=get_redis(), queue=get_queue(AI)))
    except Exception:
        return False


def _launch(
    bid: uuid.UUID,
    kind: str,
    total: int,
    label: str,
    func: str,
    local: Callable[..., object],
    args: tuple[Any, ...],
) -> str:
    """Lock, write the "queued" record, enqueue (or run in a thread). "" when started."""
    try:
        if not progress.acquire(bid, kind):
            return "This is already running for this business; it will finish shortly."
    except Exception:
        return "The job queue (Redis) is not reachable right now. Please try again shortly."
    progress.start(bid, kind, total=total, message=label)
    if _ai_workers_listening():
        try:
            from aigrowth.queues import AI, enqueue

            enqueue(
                func,
                *args,
                queue=AI,
                job_id=f"content-{kind}-{bid.hex}-{uuid.uuid4().hex[:8]}",
                job_timeout=JOB_TIMEOUT_S,
                result_ttl=3600,
                failure_ttl=86400,
            )
            return ""
        except Exception:
            log.exception("Could not enqueue the content job; running it in-process")
    threading.Thread(target=local, args=args, daemon=True, name=f"content-{kind}").start()
    return ""


def start_fill(business_id: uuid.UUID | str, *, user_id: uuid.UUID, anchor: date, mode: str) -> str:
    """Queue "Fill the gaps" for the visible period; "" when started, else a message."""
    with session_scope() as db:
        try:
            bid = access.owned_business(business_id, user_id=user_id, session=db).id
        except access.ContentError as exc:
            return str(exc)
        if not access.active_targets(bid, session=db).cadence:
            return (
                "Your strategy has no posting cadence yet. Create a strategy first (Strategy page)."
            )
    mode = mode if mode in ("month", "week") else "month"
    return _launch(
        bid,
        FILL,
        0,
        "Queued: finding the open slots…",
        "workers.content_jobs.fill_gaps",
        run_fill,
        (str(bid), str(user_id), anchor.isoformat(), mode),
    )


def start_regenerate(
    business_id: uuid.UUID | str, ids: list[str], *, user_id: uuid.UUID, feedback: str = ""
) -> str:
    """Queue a bulk rewrite of the ticked posts; "" when started, else a message."""
    ids = [str(i) for i in ids][:MAX_REGENERATE]
    if not ids:
        return "Select posts first (tick the boxes on the left)."
    with session_scope() as db:
        try:
            bid = access.owned_business(business_id, user_id=user_id, session=db).id
        except access.ContentError as exc:
            return str(exc)
    return _launch(
        bid,
        REGENERATE,
        len(ids),
        f"Queued: {len(ids)} posts to rewrite with AI…",
        "workers.content_jobs.regenerate",
        run_regenerate,
        (str(bid), str(user_id), ids, feedback),
    )


def status(business_id: uuid.UUID | str, kind: str) -> dict[str, Any]:
    """The latest progress record of a run ({} when none)."""
    return progress.get(business_id, kind)
