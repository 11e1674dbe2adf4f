"""The reconciler: posts whose worker is gone, and unknown outcomes. Idempotent.

- Lease expired and its holder's heartbeat gone (fence.holders_alive), no attempt
  row: the job never started, so the post goes back to `scheduled`.
- Lease expired, holder gone, attempt started: it may have landed. The reconciler
  takes the row (a fenced UPDATE), marks the attempt `unknown` and looks the post up:
  found → published; cannot tell → needs_attention; absent → `scheduled` with the
  unknown outcome kept, so the next attempt looks it up once more (after a delay,
  timelines lag) right before any create.
- A live holder's post is never taken, however late: its worker is still talking to
  the platform and renews the lease. When Redis cannot tell, nothing is taken.
- needs_attention posts are looked up again for a day.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from aigrowth.businesses.models import Business
from aigrowth.content.models import ContentStatus
from aigrowth.db import get_engine
from aigrowth.notifications.service import send_pending_emails
from aigrowth.publishing import statements as sql
from aigrowth.publishing.claim import release_unstarted
from aigrowth.publishing.clock import db_now
from aigrowth.publishing.config import get_publishing_settings
from aigrowth.publishing.fence import ClaimLost, holders_alive, new_owner
from aigrowth.publishing.posts import HAD_UNKNOWN_KEY, UNKNOWN_KEY, Post, post_from_row
from aigrowth.publishing.run import RETRY_OUTCOMES, fresh_ref, publish_context
from aigrowth.publishing.settle import (
    CannotTell,
    look_up,
    reschedule,
    settle_needs_attention,
    settle_published,
)
from aigrowth.social.connectors.base import get_connector

log = logging.getLogger(__name__)
C, A = sql.C, sql.A
B = Business.__table__.c
PUBLISHING = ContentStatus.PUBLISHING.value
ATTENTION = ContentStatus.NEEDS_ATTENTION.value


def reconcile(*, engine: Engine | None = None, now: datetime | None = None) -> dict[str, int]:
    engine = engine or get_engine()
    now = now or db_now(engine)
    stats: dict[str, int] = defaultdict(int)
    with Session(engine) as s:
        expired = s.execute(
            sa.select(C.id, C.attempts, C.lease_owner).where(
                C.status == PUBLISHING, C.lease_until < now
            )
        ).all()
        attention = s.execute(
            sa.select(C.id, C.attempts).where(
                C.status == ATTENTION,
                sa.or_(C.lease_until.is_(None), C.lease_until < now),
                C.updated_at >= now - timedelta(days=1),
            )
        ).all()
    alive = holders_alive(owner for _, _, owner in expired)
    for cid, n, owner in expired:
        if alive is None or (owner and owner in alive):
            stats["held"] += 1  # its worker lives (or Redis cannot tell): never take it
            continue
        with Session(engine) as s:
            released = release_unstarted(s, cid, n, now=now, require_expired=True)
            s.commit()
        if released:
            stats["released"] += 1
            continue
        stats[_take_over(engine, cid, n, PUBLISHING, now)] += 1
    for cid, n in attention:
        stats[f"attention_{_take_over(engine, cid, n, ATTENTION, now)}"] += 1
    try:
        stats["emails"] = send_pending_emails(engine=engine)
    except Exception:
        log.exception("Pending notification emails not sent")
    return dict(stats)


def _take(engine: Engine, cid: uuid.UUID, n: int, status: str, now: datetime) -> Post | None:
    """Take the row for this run with a fenced UPDATE (another reconciler skips it)."""
    lease = get_publishing_settings().lease_s
    owner = new_owner()
    with Session(engine, expire_on_commit=False) as s:
        rc = s.execute(
            sa.update(sql.CONTENT)
            .where(
                C.id == cid,
                C.status == status,
                C.attempts == n,
                sa.or_(C.lease_until.is_(None), C.lease_until < now),
            )
            .values(lease_until=now + timedelta(seconds=lease), lease_owner=owner)
        ).rowcount
        if rc != 1:
            s.rollback()
            return None
        row = s.execute(
            sa.select(sql.CONTENT, B.user_id)
            .join(Business.__table__, B.id == C.business_id)
            .where(C.id == cid)
        ).one()
        if status == PUBLISHING:
            s.execute(
                sa.update(sql.ATTEMPTS)
                .where(A.content_id == cid, A.attempt_no == n, A.outcome.is_(None))
                .values(outcome="unknown", finished_at=now, error="worker lost (lease expired)")
            )
        retries = s.execute(
            sa.select(sa.func.count())
            .select_from(sql.ATTEMPTS)
            .where(A.content_id == cid, A.outcome.in_(RETRY_OUTCOMES))
        ).scalar_one()
        s.commit()
    post = post_from_row(row._mapping, row[-1], retries=int(retries), held_status=status)
    return post


def _release(engine: Engine, post: Post) -> None:
    with Session(engine) as s:
        s.execute(
            sa.update(sql.CONTENT)
            .where(C.id == post.id, C.attempts == post.attempt, C.status == post.held_status)
            .values(lease_until=None, lease_owner=None)
        )
        s.commit()


def _take_over(engine: Engine, cid: uuid.UUID, n: int, status: str, now: datetime) -> str:
    post = _take(engine, cid, n, status, now)
    if post is None:
        return "busy"
    try:
        return _look(engine, post, status)
    except ClaimLost:
        return "busy"


def _look(engine: Engine, post: Post, status: str) -> str:
    try:
        if post.account_id is None:
            raise RuntimeError("no account")
        connector = get_connector(post.platform)
        ref = fresh_ref(engine, post.account_id, connector, {})
    except Exception as exc:
        if status == ATTENTION:
            _release(engine, post)
            return "needs_attention"
        settle_needs_attention(engine, post, f"worker lost; cannot look up: {exc}")
        return "needs_attention"
    ctx = publish_context(engine, post, ref)
    if status == PUBLISHING:
        post.publish_state.update({UNKNOWN_KEY: True, HAD_UNKNOWN_KEY: True})
        ctx.save_state(dict(post.publish_state))
    try:
        found = look_up(connector, ctx, twice=False)
    except CannotTell as exc:
        if status == ATTENTION:
            _release(engine, post)
            return "needs_attention"
        settle_needs_attention(engine, post, f"worker lost (lease expired); lookup: {exc}")
        return "needs_attention"
    if found is not None:
        settle_published(engine, post, found, outcome="reconciled_found")
        return "published"
    # Not seen yet. The next attempt looks again after a delay before any create.
    recheck = get_publishing_settings().absent_recheck_s
    reschedule(engine, post, recheck, None, outcome="unknown", error="not found yet; rechecking")
    return "scheduled"
