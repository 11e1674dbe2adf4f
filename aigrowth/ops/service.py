"""What an operator needs to see: queues, failed jobs, workers, scheduler, stuck posts."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from aigrowth.accounts.models import User
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow

C = Content.__table__.c
HEARTBEAT_STALE_S = 90


@dataclass
class QueueRow:
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int


@dataclass
class OpsOverview:
    redis_ok: bool = True
    workers: int = 0
    scheduler_ok: bool = False
    heartbeat_age_s: float | None = None
    queues: list[QueueRow] = field(default_factory=list)
    failed_total: int = 0
    posts_by_status: dict[str, int] = field(default_factory=dict)
    due_unclaimed: int = 0
    oldest_due_s: float | None = None
    error: str = ""


def is_admin(user_id: uuid.UUID | None, *, session: Session) -> bool:
    if user_id is None:
        return False
    user = session.get(User, user_id)
    return bool(user and user.is_active and user.is_admin)


def overview(*, session: Session) -> OpsOverview:
    out = OpsOverview()
    now = utcnow()
    counts = session.execute(sa.select(C.status, sa.func.count()).group_by(C.status)).all()
    out.posts_by_status = {str(status): int(n) for status, n in counts}
    due = sa.and_(
        C.status == ContentStatus.SCHEDULED.value,
        C.scheduled_for <= now,
        sa.or_(C.next_attempt_at.is_(None), C.next_attempt_at <= now),
    )
    n_due, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(C.scheduled_for)).where(due)
    ).one()
    out.due_unclaimed = int(n_due)
    if oldest is not None:
        if oldest.tzinfo is None:  # aggregate results bypass the column type on SQLite
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC) if not isinstance(oldest, str) else None
        if oldest is not None:
            out.oldest_due_s = round((now - oldest).total_seconds(), 1)
    redis_figures(out)
    return out


def redis_figures(out: OpsOverview) -> None:
    """Fill the Redis side of ``out`` (workers, scheduler, queues); never raises."""
    try:
        from rq import Queue, Worker
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        from aigrowth.queues import ALL_QUEUES
        from aigrowth.redis_client import SCHEDULER_HEARTBEAT_KEY, get_redis

        redis = get_redis()
        out.workers = Worker.count(connection=redis)
        raw = redis.get(SCHEDULER_HEARTBEAT_KEY)
        if raw is not None:
            out.heartbeat_age_s = round(max(0.0, time.time() - float(raw)), 1)
        out.scheduler_ok = (
            out.heartbeat_age_s is not None and out.heartbeat_age_s <= HEARTBEAT_STALE_S
        )
        for name in ALL_QUEUES:
            queue = Queue(name, connection=redis)
            row = QueueRow(
                name=name,
                queued=queue.count,
                started=StartedJobRegistry(name, connection=redis).count,
                failed=FailedJobRegistry(name, connection=redis).count,
                scheduled=ScheduledJobRegistry(name, connection=redis).count,
            )
            out.failed_total += row.failed
            out.queues.append(row)
    except Exception as exc:  # the page still shows the database side
        out.redis_ok = False
        out.error = f"Redis is not reachable ({type(exc).__name__})."
