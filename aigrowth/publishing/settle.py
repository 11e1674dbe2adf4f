"""Settling an attempt: every outcome is one fenced write (DESIGN.md §6).

Each write is conditioned on the worker's claim (`posts.Post.held_status` and the
attempt number). A write that hits no row means the claim was lost: nothing is
changed and the user is not notified; whoever holds the post now settles it.
The one exception is success: a post the platform took is recorded even after the
claim was lost (`statements.published_late`), because that is the truth and it stops
any other holder before its create.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from aigrowth.content.models import ContentStatus
from aigrowth.notifications.service import KIND_NEEDS_ATTENTION, KIND_PUBLISH_FAILED, notify
from aigrowth.publishing import statements as sql
from aigrowth.publishing.clock import db_now
from aigrowth.publishing.config import get_publishing_settings
from aigrowth.publishing.groupcommit import write
from aigrowth.publishing.pauses import pause_account
from aigrowth.publishing.posts import HAD_UNKNOWN_KEY, UNKNOWN_KEY, Post
from aigrowth.social import service as social
from aigrowth.social.connectors.base import Connector, PublishContext, PublishResult
from aigrowth.social.models import platform_label

log = logging.getLogger(__name__)
C = sql.C


def post_link(content_id: object) -> str:
    """Where a notification about a post leads: the post in the editor."""
    return f"/content/{content_id}"


def _mine(post: Post) -> Any:
    return sa.and_(C.id == post.id, C.attempts == post.attempt, C.status == post.held_status)


def finish_attempt(
    s: Session,
    post: Post,
    outcome: str,
    *,
    http_status: int | None = None,
    error: str | None = None,
    remote_id: str | None = None,
) -> None:
    s.execute(
        sql.finish(),
        {
            "p_id": post.id,
            "p_n": post.attempt,
            "p_outcome": outcome,
            "p_now": db_now(s),
            "p_status": http_status,
            "p_error": (error or None) and error[:2000],
            "p_rid": remote_id,
        },
    )


def settle_published(
    engine: Engine, post: Post, result: PublishResult, *, outcome: str = "published"
) -> None:
    """One commit: remote id/url + published. Nothing after this can re-create it."""
    remote_id = result.remote_id[:255]

    def store(s: Session) -> None:
        now = db_now(s)
        values = {
            "p_id": post.id,
            "p_n": post.attempt,
            "p_status": post.held_status,
            "p_rid": remote_id,
            "p_url": (result.url or "")[:1000] or None,
            "p_now": now,
        }
        if s.execute(sql.published(), values).rowcount != 1:
            log.warning("Post %s landed as %s after its claim moved on", post.id, remote_id)
            s.execute(sql.published_late(), values)
        finish_attempt(s, post, outcome, remote_id=remote_id)
        if post.account_id:
            s.execute(sql.account_published(), {"p_aid": post.account_id, "p_now": now})

    write(engine, store)


def _final(
    engine: Engine,
    post: Post,
    status: ContentStatus,
    message: str,
    *,
    outcome: str,
    detail: str,
    http_status: int | None = None,
    notice: tuple[str, str, str] | None = None,
) -> bool:
    """Move a held post to a state that waits for the user; notify once if it moved."""
    with Session(engine) as s:
        now = db_now(s)
        rc = s.execute(
            sa.update(sql.CONTENT)
            .where(_mine(post))
            .values(
                status=status.value,
                last_error=message,
                lease_until=None,
                lease_owner=None,
                next_attempt_at=None,
                publish_state=dict(post.publish_state),
                updated_at=now,
            )
        ).rowcount
        finish_attempt(s, post, outcome, http_status=http_status, error=detail or message)
        if rc == 1 and notice is not None:
            kind, title, key = notice
            notify(
                post.user_id,
                kind,
                title,
                f"“{post.title}”\n\n{message}",
                post_link(post.id),
                key,
                session=s,
            )
        s.commit()
    if rc != 1:
        log.info("Post %s attempt %d moved on; %s not recorded", post.id, post.attempt, outcome)
    return rc == 1


def settle_failed(
    engine: Engine,
    post: Post,
    message: str,
    *,
    outcome: str = "failed",
    http_status: int | None = None,
    detail: str | None = None,
    notify_user: bool = True,
) -> bool:
    label = platform_label(post.platform)
    notice = (
        (
            KIND_PUBLISH_FAILED,
            f"A {label} post was not published",
            f"publish_failed:{post.id.hex}:{post.attempt}",
        )
        if notify_user
        else None
    )
    return _final(
        engine,
        post,
        ContentStatus.FAILED,
        message,
        outcome=outcome,
        detail=detail or message,
        http_status=http_status,
        notice=notice,
    )


def settle_needs_attention(engine: Engine, post: Post, detail: str, message: str = "") -> bool:
    label = platform_label(post.platform)
    message = message or (
        f"We sent this post to {label} but could not confirm it went out ({label} did not "
        f"answer clearly). Please check your {label} profile: if the post is there, choose "
        "“It's published”; if it is not, press Retry. We keep checking in the background."
    )
    post.publish_state.update({UNKNOWN_KEY: True, HAD_UNKNOWN_KEY: True})
    post.publish_state["needs_attention_since"] = db_now(engine).isoformat()
    return _final(
        engine,
        post,
        ContentStatus.NEEDS_ATTENTION,
        message,
        outcome="unknown",
        detail=detail,
        notice=(
            KIND_NEEDS_ATTENTION,
            f"Please check a {label} post",
            f"needs_attention:{post.id.hex}:{post.attempt}",
        ),
    )


def backoff_s(retries: int, retry_after: float | None) -> float:
    cfg = get_publishing_settings()
    expo = min(cfg.backoff_cap_s, cfg.backoff_base_s * (2 ** max(0, retries)))
    expo *= random.uniform(0.8, 1.2)
    return max(float(retry_after or 0.0), min(expo, cfg.backoff_cap_s))


def reschedule(
    engine: Engine, post: Post, delay_s: float, message: str | None, *, outcome: str, **kw: Any
) -> bool:
    """Back to `scheduled`, due again after `delay_s` (nothing reached the platform,
    or it is confirmed absent)."""

    def store(s: Session) -> bool:
        now = db_now(s)
        rc = s.execute(
            sa.update(sql.CONTENT)
            .where(_mine(post))
            .values(
                status=ContentStatus.SCHEDULED.value,
                next_attempt_at=now + timedelta(seconds=delay_s),
                lease_until=None,
                lease_owner=None,
                last_error=message,
                publish_state=dict(post.publish_state),
                updated_at=now,
            )
        ).rowcount
        finish_attempt(s, post, outcome, **kw)
        return rc == 1

    return write(engine, store)


def settle_retry(engine: Engine, post: Post, exc: Any) -> None:
    """Provably not landed: back to scheduled after a backoff, or failed at the cap."""
    cfg = get_publishing_settings()
    retry_after = getattr(exc, "retry_after", None)
    status = getattr(exc, "status", None)
    label = platform_label(post.platform)
    reason = getattr(exc, "message", str(exc))
    if status == 429 and retry_after:
        pause_account(post.account_id, float(retry_after))
    retries = post.retries_so_far + 1
    if retry_after and retry_after > cfg.max_wait_s:
        settle_failed(
            engine,
            post,
            f"{label} asked us to wait {retry_after / 3600:.0f} hours before posting again "
            "(you have reached its limit). Press Retry later.",
            http_status=status,
            detail=reason,
        )
        return
    if retries > cfg.max_retries:
        what = "is limiting how often we can post" if status == 429 else "could not be reached"
        settle_failed(
            engine,
            post,
            f"{label} {what}; we tried {retries} times. Nothing was posted. Press Retry "
            "to try again.",
            http_status=status,
            detail=reason,
        )
        return
    delay = backoff_s(retries - 1, retry_after)
    why = "is limiting how often we can post" if status == 429 else "did not answer"
    reschedule(
        engine,
        post,
        delay,
        f"{label} {why}; nothing was posted. Trying again automatically in "
        f"{max(1, round(delay))} s.",
        outcome="retry",
        http_status=status,
        error=reason,
    )


def settle_auth(engine: Engine, post: Post, exc: Any) -> None:
    label = platform_label(post.platform)
    reason = getattr(exc, "message", str(exc)) or "access was revoked"
    if post.account_id:
        with Session(engine) as s:
            social.mark_needs_reconnect(post.account_id, reason, session=s)
    # One notification for the account (above); the post says what to do.
    settle_failed(
        engine,
        post,
        f"Your {label} account needs reconnecting, so this post was not published. "
        "Reconnect it on the Accounts page, then press Retry.",
        outcome="auth",
        http_status=getattr(exc, "status", None),
        detail=reason,
        notify_user=False,
    )


# ------------------------------------------------------------- unknown outcomes
class CannotTell(Exception):
    """The lookup itself failed: we do not know whether the post is there."""


def look_up(connector: Connector, ctx: PublishContext, *, twice: bool) -> PublishResult | None:
    """Find the post on the platform. None = absent; with `twice`, absent only when a
    second lookup after `absent_recheck_s` agrees (timelines lag behind creates)."""
    try:
        found = connector.lookup(ctx)
        if found is not None or not twice:
            return found
        time.sleep(get_publishing_settings().absent_recheck_s)
        return connector.lookup(ctx)
    except Exception as exc:
        raise CannotTell(f"{type(exc).__name__}: {getattr(exc, 'message', exc)}") from exc


def reschedule_after_absent(engine: Engine, post: Post, detail: str) -> str:
    """Confirmed absent: publishing again is safe (after a backoff), or failed at the cap."""
    cfg = get_publishing_settings()
    if post.retries_so_far + 1 > cfg.max_retries:
        settle_failed(
            engine,
            post,
            f"{platform_label(post.platform)} kept failing while we posted; nothing was "
            "posted. Press Retry to try again.",
            outcome="reconciled_absent",
            detail=detail,
        )
        return "failed"
    post.publish_state.pop(UNKNOWN_KEY, None)
    reschedule(
        engine,
        post,
        backoff_s(post.retries_so_far, None),
        None,
        outcome="reconciled_absent",
        error=detail,
    )
    return "scheduled"


def settle_unknown(
    engine: Engine, post: Post, connector: Connector, ctx: PublishContext, detail: str
) -> str:
    """After an unknown outcome: found → published; confirmed absent → scheduled again;
    cannot tell → needs_attention (the user decides; the reconciler keeps looking)."""
    post.publish_state.update({UNKNOWN_KEY: True, HAD_UNKNOWN_KEY: True})
    ctx.save_state(dict(post.publish_state))
    try:
        found = look_up(connector, ctx, twice=True)
    except CannotTell as exc:
        settle_needs_attention(engine, post, f"{detail}; lookup: {exc}")
        return "needs_attention"
    if found is not None:
        settle_published(engine, post, found, outcome="reconciled_found")
        return "published"
    return reschedule_after_absent(engine, post, detail)
