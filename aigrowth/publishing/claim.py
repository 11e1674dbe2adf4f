"""Claiming due posts: scheduled → publishing, with ONE conditional UPDATE.

Never check-then-set: the WHERE clause is the check, so two dispatchers (or fifty
"publish now" clicks) racing for a row cannot both hit it. Only the rows the UPDATE
returns are published, by whoever ran it. Due times and leases use the database clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from aigrowth.content.models import ContentStatus
from aigrowth.publishing.clock import db_now
from aigrowth.publishing.config import get_publishing_settings
from aigrowth.publishing.statements import CONTENT, A, C


def due_condition(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        C.status == ContentStatus.SCHEDULED.value,
        C.scheduled_for.is_not(None),
        C.scheduled_for <= now,
        sa.or_(C.next_attempt_at.is_(None), C.next_attempt_at <= now),
    )


def claim_due(
    session: Session,
    now: datetime | None = None,
    ids: Iterable[uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[tuple[uuid.UUID, int]]:
    """Claim due posts; returns (id, attempt) of the rows hit. The caller commits.

    `now`: the database's clock (`clock.db_now`) unless a test replays an instant.
    """
    now = now or db_now(session)
    cfg = get_publishing_settings()
    due = due_condition(now)
    stmt = sa.update(CONTENT).where(due)
    if ids is not None:
        id_list = list(ids)
        if not id_list:
            return []
        stmt = stmt.where(C.id.in_(id_list))
    else:
        sub = (
            sa.select(C.id).where(due).order_by(C.scheduled_for).limit(limit or cfg.dispatch_limit)
        )
        stmt = stmt.where(C.id.in_(sub.scalar_subquery()))
    stmt = stmt.values(
        status=ContentStatus.PUBLISHING.value,
        lease_until=now + timedelta(seconds=cfg.lease_s),
        lease_owner=None,
        attempts=C.attempts + 1,
        updated_at=now,
    ).returning(C.id, C.attempts)
    return [(row[0], int(row[1])) for row in session.execute(stmt).all()]


def release_unstarted(
    s: Session, cid: uuid.UUID, n: int, *, now: datetime, require_expired: bool
) -> bool:
    """publishing → scheduled for a claim whose attempt never started (no attempt row,
    so nothing can have reached the platform)."""
    started = sa.exists().where(A.content_id == C.id, A.attempt_no == n)
    stmt = sa.update(CONTENT).where(
        C.id == cid,
        C.status == ContentStatus.PUBLISHING.value,
        C.attempts == n,
        ~started,
    )
    if require_expired:
        stmt = stmt.where(C.lease_until < now)
    rc = s.execute(
        stmt.values(
            status=ContentStatus.SCHEDULED.value, lease_until=None, lease_owner=None, updated_at=now
        )
    ).rowcount
    return rc == 1
