"""What a user can do to a post's publishing: publish now, Retry, "It's published".

Each is one conditional UPDATE (never check-then-set) followed, where it makes the
post due, by the same claim the dispatcher uses, so fifty clicks publish once.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session, col, select

from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.content.validation import post_problems
from aigrowth.platforms import blocking
from aigrowth.publishing.claim import claim_due
from aigrowth.publishing.clock import db_now
from aigrowth.publishing.dispatch import enqueue_claimed
from aigrowth.publishing.statements import CONTENT, C


class PublishingError(Exception):
    """A user action that cannot be done; `str(exc)` is a plain-words message."""


def _owned_content(content_id: uuid.UUID | str, user_id: uuid.UUID | str, s: Session) -> Content:
    try:
        cid = uuid.UUID(str(content_id))
        uid = uuid.UUID(str(user_id))
    except ValueError as exc:
        raise PublishingError("This post does not exist.") from exc
    row = s.exec(
        select(Content)
        .join(Business, col(Business.id) == Content.business_id)
        .where(Content.id == cid, Business.user_id == uid)
    ).first()
    if row is None:
        raise PublishingError("This post does not exist.")
    return row


def _refuse_invalid(post: Content, s: Session) -> None:
    """Nothing invalid goes out, whatever path made it due (edits of a failed post too)."""
    errors = blocking(post_problems(post, session=s))
    if errors:
        raise PublishingError("Fix these first: " + " ".join(p.message for p in errors))


def _engine(s: Session) -> sa.Engine:
    bind = s.get_bind()
    return bind if isinstance(bind, sa.Engine) else bind.engine


def publish_now(content_id: uuid.UUID | str, *, user_id: uuid.UUID | str, session: Session) -> str:
    """ "Publish now": make the post due now and claim it. Safe to click many times.

    Returns "queued" (this call claimed it), or "already_publishing" /
    "already_published" / "waiting_retry" when another click or the dispatcher got
    there first or a backoff is running.
    """
    post = _owned_content(content_id, user_id, session)
    if post.status == ContentStatus.PUBLISHED:
        return "already_published"
    if post.status == ContentStatus.PUBLISHING:
        return "already_publishing"
    if post.social_account_id is None:
        raise PublishingError("Choose the account to publish to first.")
    if post.status in (ContentStatus.DRAFT, ContentStatus.SCHEDULED):
        _refuse_invalid(post, session)
    engine = _engine(session)
    now = db_now(session)
    # Conditional: only a draft or scheduled post becomes due now (never a published
    # or in-flight one), and its backoff, if any, is kept.
    session.execute(
        sa.update(CONTENT)
        .where(
            C.id == post.id,
            C.status.in_([ContentStatus.DRAFT.value, ContentStatus.SCHEDULED.value]),
        )
        .values(status=ContentStatus.SCHEDULED.value, scheduled_for=now, updated_at=now)
    )
    claimed = claim_due(session, now=now, ids=[post.id])
    session.commit()
    if not claimed:
        session.refresh(post)
        if post.status == ContentStatus.PUBLISHED:
            return "already_published"
        if post.status == ContentStatus.SCHEDULED and post.next_attempt_at:
            return "waiting_retry"
        if post.status in (ContentStatus.FAILED, ContentStatus.NEEDS_ATTENTION):
            raise PublishingError("This post needs your attention: use Retry.")
        return "already_publishing"
    enqueue_claimed(claimed, engine=engine)
    return "queued"


def retry_failed(content_id: uuid.UUID | str, *, user_id: uuid.UUID | str, session: Session) -> str:
    """The Retry action of a failed (or needs-attention) post: due now, backoff cleared.

    A needs-attention post keeps its unknown-outcome mark and is looked up again
    before any new create (see `run.run_post`), so Retry cannot duplicate a post that
    did land. A failed post is validated first: its text may have been edited since.
    """
    post = _owned_content(content_id, user_id, session)
    if post.status not in (ContentStatus.FAILED, ContentStatus.NEEDS_ATTENTION):
        raise PublishingError("Only a failed post can be retried.")
    if post.social_account_id is None:
        raise PublishingError("Choose the account to publish to first.")
    _refuse_invalid(post, session)
    engine = _engine(session)
    now = db_now(session)
    rc = session.execute(
        sa.update(CONTENT)
        .where(
            C.id == post.id,
            C.status.in_([ContentStatus.FAILED.value, ContentStatus.NEEDS_ATTENTION.value]),
        )
        .values(
            status=ContentStatus.SCHEDULED.value,
            scheduled_for=sa.case((C.scheduled_for > now, C.scheduled_for), else_=now),
            next_attempt_at=None,
            lease_until=None,
            lease_owner=None,
            last_error=None,
            updated_at=now,
        )
    ).rowcount
    if rc != 1:
        session.rollback()
        return "already_retried"
    claimed = claim_due(session, now=now, ids=[post.id])
    session.commit()
    enqueue_claimed(claimed, engine=engine)
    return "queued" if claimed else "scheduled"


def mark_published_by_user(
    content_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID | str,
    remote_url: str = "",
    session: Session,
) -> None:
    """Needs-attention answer "yes, it is on my profile": stop trying, mark published."""
    post = _owned_content(content_id, user_id, session)
    if post.status != ContentStatus.NEEDS_ATTENTION:
        raise PublishingError("Only a post waiting for your check can be marked published.")
    if remote_url and not remote_url.startswith(("https://", "http://")):
        raise PublishingError("The link must start with https://")
    now = db_now(session)
    session.execute(
        sa.update(CONTENT)
        .where(C.id == post.id, C.status == ContentStatus.NEEDS_ATTENTION.value)
        .values(
            status=ContentStatus.PUBLISHED.value,
            published_at=now,
            remote_url=remote_url or post.remote_url,
            lease_until=None,
            lease_owner=None,
            last_error=None,
            updated_at=now,
        )
    )
    session.commit()
