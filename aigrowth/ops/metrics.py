"""Operational figures read from the database, for /metrics and /health.

Counted from tables rather than from in-process counters, so that any web process
answers for the whole installation: publishes happen in worker processes on any
machine, and a Prometheus counter kept in memory would reset at every restart and see
only its own process. The tables are the record (publish_attempts, content,
usage_logs), so the figures survive restarts and agree across scrapes of different web
processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from aigrowth.ai.usage import AI_KINDS
from aigrowth.billing.models import UsageLog
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.publishing.models import PublishAttempt

# The tables behind the SQLModel classes (set by SQLModel, unknown to type checkers).
CONTENT: sa.Table = Content.__table__  # type: ignore[attr-defined]
ATTEMPTS: sa.Table = PublishAttempt.__table__  # type: ignore[attr-defined]
USAGE: sa.Table = UsageLog.__table__  # type: ignore[attr-defined]
C, A, U = CONTENT.c, ATTEMPTS.c, USAGE.c

# Seconds after the due time; publishing aims at seconds, a minute late is worth seeing.
LATENESS_BUCKETS: tuple[float, ...] = (1, 2, 5, 10, 30, 60, 120, 300, 900, 3600)
_WAITING = (ContentStatus.SCHEDULED.value, ContentStatus.PUBLISHING.value)


@dataclass
class Backlog:
    """Posts whose time has come and that are not out yet."""

    due: int
    oldest_age_s: float | None


@dataclass
class Lateness:
    platform: str
    bucket_counts: list[int]  # cumulative, one per LATENESS_BUCKETS entry
    count: int
    total_s: float


@dataclass
class AiUsage:
    kind: str
    model: str
    cache_hit: bool
    calls: int
    cost_usd: float
    tokens_in: int
    tokens_out: int


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates skip the column type on SQLite (naive datetime or text): UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def publish_backlog(*, session: Session, now: datetime | None = None) -> Backlog:
    """Scheduled or in-flight posts whose due time has passed, and the oldest's age."""
    now = now or utcnow()
    due, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(C.scheduled_for)).where(
            C.status.in_(_WAITING), C.scheduled_for <= now
        )
    ).one()
    oldest_at = _aware(oldest)
    age = None if oldest_at is None else round(max(0.0, (now - oldest_at).total_seconds()), 1)
    return Backlog(due=int(due), oldest_age_s=age)


def publish_outcomes(*, session: Session) -> dict[tuple[str, str], int]:
    """(platform, outcome) -> number of finished publish attempts, ever."""
    rows = session.execute(
        sa.select(C.platform, A.outcome, sa.func.count())
        .select_from(ATTEMPTS.join(CONTENT, A.content_id == C.id))
        .where(A.outcome.is_not(None))
        .group_by(C.platform, A.outcome)
    ).all()
    return {(str(platform), str(outcome)): int(n) for platform, outcome, n in rows}


def _seconds_late(session: Session) -> ColumnElement[Any]:
    """published_at - scheduled_for in seconds, in the dialect's own arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", C.published_at - C.scheduled_for)
    return (sa.func.julianday(C.published_at) - sa.func.julianday(C.scheduled_for)) * 86400.0


def publish_lateness(*, session: Session) -> list[Lateness]:
    """Per platform, how late published posts went out: cumulative bucket counts."""
    late = _seconds_late(session)
    buckets = [sa.func.sum(sa.case((late <= b, 1), else_=0)) for b in LATENESS_BUCKETS]
    rows = session.execute(
        sa.select(C.platform, sa.func.count(), sa.func.coalesce(sa.func.sum(late), 0), *buckets)
        .where(
            C.status == ContentStatus.PUBLISHED.value,
            C.published_at.is_not(None),
            C.scheduled_for.is_not(None),
        )
        .group_by(C.platform)
    ).all()
    return [
        Lateness(
            platform=str(row[0]),
            count=int(row[1]),
            total_s=float(row[2] or 0.0),
            bucket_counts=[int(n or 0) for n in row[3:]],
        )
        for row in rows
    ]


def ai_usage(*, session: Session) -> list[AiUsage]:
    """AI generations by kind, model and cache hit, with their estimated cost."""
    rows = session.execute(
        sa.select(
            U.kind,
            U.model,
            U.cache_hit,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(U.cost_usd), 0.0),
            sa.func.coalesce(sa.func.sum(U.tokens_in), 0),
            sa.func.coalesce(sa.func.sum(U.tokens_out), 0),
        )
        .where(U.kind.in_(AI_KINDS))
        .group_by(U.kind, U.model, U.cache_hit)
    ).all()
    return [
        AiUsage(
            kind=str(kind),
            model=str(model or ""),
            cache_hit=bool(hit),
            calls=int(n),
            cost_usd=float(cost),
            tokens_in=int(t_in),
            tokens_out=int(t_out),
        )
        for kind, model, hit, n, cost, t_in, t_out in rows
    ]
