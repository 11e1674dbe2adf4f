"""The dispatcher: find due posts in the database, claim them, enqueue their jobs.

Idempotent and safe to run from several processes at once (the claim is one
conditional UPDATE). A lost job or a wiped Redis only delays a post: the next run
finds it in the database, or the reconciler frees its lease.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from rq import Worker
from sqlalchemy.engine import Engine
from sqlmodel import Session

from aigrowth.content.models import ContentStatus
from aigrowth.db import get_engine
from aigrowth.publishing.claim import claim_due, due_condition, release_unstarted
from aigrowth.publishing.clock import db_now
from aigrowth.publishing.config import get_publishing_settings
from aigrowth.publishing.pauses import paused_accounts
from aigrowth.publishing.statements import CONTENT, C
from aigrowth.queues import PUBLISH, get_queue

log = logging.getLogger(__name__)

PUBLISH_FUNC = "workers.publish_jobs.publish_posts"


def job_id_for(content_id: uuid.UUID, attempt: int, batch: int = 1) -> str:
    """Unique per (post, attempt): the first post of a batch names the batch."""
    base = f"publish-{content_id.hex}-{attempt}"
    return base if batch == 1 else f"{base}-x{batch}"


def _publish_workers(queue: Any) -> int:
    """How many workers listen on the publish queue (1 when Redis cannot tell)."""
    try:
        return max(1, Worker.count(queue=queue))
    except Exception:
        return 1


def plan_batches(
    claimed: list[tuple[uuid.UUID, int]],
    accounts: dict[uuid.UUID, Any],
    *,
    workers: int,
    batch_size: int,
) -> list[list[tuple[uuid.UUID, int]]]:
    """Split claimed posts into jobs: about one per worker (so every worker process
    gets a share of a burst at once), at most `batch_size` posts each, and all posts
    of an account in the same job where possible (its posts then run in order there,
    within its rate limit). Accounts are dealt largest first to the lightest job."""
    if not claimed:
        return []
    by_account: dict[Any, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for cid, n in claimed:
        by_account[accounts.get(cid) or cid].append((cid, n))
    size = max(1, batch_size)
    jobs = max(1, min(workers, len(by_account)), -(-len(claimed) // size))
    batches: list[list[tuple[uuid.UUID, int]]] = [[] for _ in range(jobs)]
    for group in sorted(by_account.values(), key=len, reverse=True):
        for start in range(0, len(group), size):
            part = group[start : start + size]
            target = min(batches, key=len)
            if len(target) + len(part) > size:
                batches.append([])
                target = batches[-1]
            target.extend(part)
    return [b for b in batches if b]


def enqueue_claimed(
    claimed: list[tuple[uuid.UUID, int]],
    *,
    engine: Engine,
    accounts: dict[uuid.UUID, Any] | None = None,
) -> int:
    """Enqueue publish jobs for claimed posts (batched; see `plan_batches`).

    If Redis refuses, the claims are released at once (no attempt was started), so
    the next dispatcher run retries them; otherwise the reconciler would after the lease.
    """
    if not claimed:
        return 0
    cfg = get_publishing_settings()
    queue = get_queue(PUBLISH)
    jobs = 0
    workers = _publish_workers(queue) if len(claimed) > 1 else 1
    for chunk in plan_batches(claimed, accounts or {}, workers=workers, batch_size=cfg.batch_size):
        try:
            queue.enqueue(
                PUBLISH_FUNC,
                [(cid.hex, n) for cid, n in chunk],
                job_id=job_id_for(chunk[0][0], chunk[0][1], len(chunk)),
                job_timeout=cfg.job_timeout_s,
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
                description=f"publish {len(chunk)} post(s)",
            )
            jobs += 1
        except Exception:
            log.exception("Could not enqueue %d publish job(s); releasing claims", len(chunk))
            with Session(engine) as s:
                now = db_now(engine)
                for cid, n in chunk:
                    release_unstarted(s, cid, n, now=now, require_expired=False)
                s.commit()
    return jobs


def dispatch_due(*, engine: Engine | None = None, now: datetime | None = None) -> int:
    """Find due posts in the DB, claim them, enqueue their jobs. Idempotent; run often.

    `now` defaults to the database clock (tests pass an instant to replay a calendar)."""
    engine = engine or get_engine()
    now = now or db_now(engine)
    cfg = get_publishing_settings()
    with Session(engine) as s:
        rows = s.execute(
            sa.select(C.id, C.social_account_id)
            .where(due_condition(now))
            .order_by(C.scheduled_for)
            .limit(cfg.dispatch_limit)
        ).all()
        if not rows:
            return 0
        paused = paused_accounts({r[1] for r in rows if r[1] is not None})
        ids = [r[0] for r in rows if r[1] not in paused]
        for aid, until in paused.items():
            # Move their posts to after the pause, so they stop showing as due.
            s.execute(
                sa.update(CONTENT)
                .where(
                    C.social_account_id == aid,
                    C.status == ContentStatus.SCHEDULED.value,
                    C.id.in_([r[0] for r in rows if r[1] == aid]),
                )
                .values(next_attempt_at=datetime.fromtimestamp(until, UTC))
            )
        claimed = claim_due(s, now=now, ids=ids)
        s.commit()
    enqueue_claimed(claimed, engine=engine, accounts={r[0]: r[1] for r in rows})
    if claimed:
        log.info("Dispatched %d due post(s)", len(claimed))
    return len(claimed)


def next_due_at(*, engine: Engine | None = None) -> datetime | None:
    """When the next scheduled post falls due (database clock), or None."""
    engine = engine or get_engine()
    due_at = sa.case(
        (
            sa.and_(C.next_attempt_at.is_not(None), C.next_attempt_at > C.scheduled_for),
            C.next_attempt_at,
        ),
        else_=C.scheduled_for,
    )
    with Session(engine) as s:
        value = s.execute(
            sa.select(sa.func.min(due_at)).where(
                C.status == ContentStatus.SCHEDULED.value, C.scheduled_for.is_not(None)
            )
        ).scalar()
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns the aggregate's text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
