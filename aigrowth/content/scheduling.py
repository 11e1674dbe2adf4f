"""Scheduling a post and following it through publishing: the account that publishes
it, schedule / move / unschedule / publish now, the editor's live status, Retry and
"It's published" (which hand over to the publishing capability)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from aigrowth.billing.plans import LimitExceededError, require_schedulable
from aigrowth.businesses.models import Business
from aigrowth.content import planning
from aigrowth.content.access import (
    EDITABLE,
    SCHEDULABLE,
    UNSCHEDULABLE,
    USABLE_ACCOUNT,
    AccountChoice,
    ContentError,
    NeedsAccount,
    get_owned,
    refuse_unless,
    user_timezone,
    write_if,
)
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.ids import parse_uuid
from aigrowth.platforms import PLATFORM_RULES
from aigrowth.publishing import actions as publishing
from aigrowth.social.models import SocialAccount

log = logging.getLogger(__name__)

S = ContentStatus


class LiveStatus(TypedDict):
    """What the editor refreshes while it watches a post being published."""

    status: str
    published_at: str  # ISO 8601, or ""
    remote_url: str
    last_error: str
    watch: str  # "1" while the publisher is about to move it


def usable_accounts(
    user_id: uuid.UUID, platform: str, *, session: Session, business_id: uuid.UUID | None = None
) -> list[SocialAccount]:
    stmt = select(SocialAccount).where(
        SocialAccount.user_id == user_id,
        SocialAccount.platform == platform,
        col(SocialAccount.status).in_(list(USABLE_ACCOUNT)),
    )
    accounts = list(session.exec(stmt).all())
    if business_id is not None:
        # Accounts tied to another business of the same user are not offered.
        accounts = [a for a in accounts if a.business_id in (None, business_id)]
    return accounts


def account_choice(account: SocialAccount) -> AccountChoice:
    name = account.display_name or account.handle or account.account_id
    handle = account.handle
    if account.instance_url:
        handle = f"{handle} ({account.instance_url.removeprefix('https://')})"
    return AccountChoice(id=str(account.id), name=name, handle=handle, type=account.account_type)


def _pick_account(
    content: Content, *, user_id: uuid.UUID, session: Session, account_id: str | None
) -> SocialAccount:
    label = (
        PLATFORM_RULES[content.platform].label
        if content.platform in PLATFORM_RULES
        else content.platform
    )
    accounts = usable_accounts(
        user_id, content.platform, session=session, business_id=content.business_id
    )
    if account_id:
        for account in accounts:
            if str(account.id) == str(account_id):
                return account
        raise NeedsAccount(
            f"That {label} account is not connected (or needs reconnecting). Pick another one.",
            [account_choice(a) for a in accounts],
        )
    if content.social_account_id:
        for account in accounts:
            if account.id == content.social_account_id:
                return account
    if not accounts:
        raise NeedsAccount(
            f"Connect a {label} account first: open Accounts (/accounts), choose {label} and "
            "sign in. Your post stays a draft until then."
        )
    if len(accounts) > 1:
        raise NeedsAccount(
            f"You have {len(accounts)} {label} accounts connected. "
            "Which one should publish this post?",
            [account_choice(a) for a in accounts],
        )
    return accounts[0]


def schedule(
    content_id: uuid.UUID | str,
    when: datetime,
    *,
    user_id: uuid.UUID,
    session: Session,
    account_id: str | None = None,
    now: datetime | None = None,
) -> Content:
    """Schedule (or reschedule) a post for the aware instant ``when``.

    Requires a connected account of the post's platform (asks which one when several),
    a post valid for its platform, and a time not in the past.
    """
    if when.tzinfo is None:
        raise ValueError("schedule() needs an aware datetime")
    now = now or utcnow()
    content = get_owned(content_id, user_id=user_id, session=session)
    refuse_unless(content, SCHEDULABLE, "schedule")
    if when < now - timedelta(minutes=1):
        raise ContentError("That time is in the past. Pick a later time, or use “Publish now”.")
    try:  # the plan's posts a month (moving a post within its month is not a new one)
        counted = None if content.status == S.DRAFT else content.scheduled_for
        require_schedulable(user_id, when, session=session, counted_at=counted)
    except LimitExceededError as exc:
        raise ContentError(str(exc)) from exc
    account = _pick_account(content, user_id=user_id, session=session, account_id=account_id)
    return write_if(  # refuses a post invalid for its platform
        content,
        SCHEDULABLE,
        "schedule",
        session=session,
        social_account_id=account.id,
        scheduled_for=when.astimezone(UTC),
        status=S.SCHEDULED.value,
        last_error=None,
        next_attempt_at=None,
    )


def schedule_local(
    content_id: uuid.UUID | str,
    day: date,
    at: time | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    account_id: str | None = None,
    now: datetime | None = None,
) -> Content:
    """Schedule at a wall-clock time in the user's time zone (DST-safe)."""
    tz = user_timezone(user_id, session=session)
    return schedule(
        content_id,
        planning.local_to_utc(day, at, tz),
        user_id=user_id,
        session=session,
        account_id=account_id,
        now=now,
    )


def move_to_day(
    content_id: uuid.UUID | str,
    day: date,
    *,
    user_id: uuid.UUID,
    session: Session,
    at: str | None = None,
    now: datetime | None = None,
) -> Content:
    """Calendar drag and drop: same local time of day (or ``at``) on another local day.

    A scheduled post is rescheduled; a draft keeps being a draft with a new planned time.
    """
    tz = user_timezone(user_id, session=session)
    content = get_owned(content_id, user_id=user_id, session=session)
    refuse_unless(content, EDITABLE, "move")
    if at is None:
        at = (
            planning.utc_to_local(content.scheduled_for, tz).strftime("%H:%M")
            if content.scheduled_for
            else planning.DEFAULT_TIME
        )
    when = planning.local_to_utc(day, at, tz)
    if content.status == S.SCHEDULED:
        return schedule(content.id, when, user_id=user_id, session=session, now=now)
    if when < (now or utcnow()) - timedelta(minutes=1):
        raise ContentError("That time is in the past. Pick a later day.")
    # Only as the unscheduled post we read: a post scheduled meanwhile goes through
    # schedule() (account, validation), not this shortcut.
    return write_if(content, EDITABLE - {S.SCHEDULED}, "move", session=session, scheduled_for=when)


def unschedule(content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> Content:
    """Back to draft; the post leaves the publishing queue (and the calendar)."""
    content = get_owned(content_id, user_id=user_id, session=session)
    if content.status == S.DRAFT:
        raise ContentError("This post is not scheduled.")
    refuse_unless(content, UNSCHEDULABLE, "unschedule")
    return write_if(
        content,
        UNSCHEDULABLE,
        "unschedule",
        session=session,
        status=S.DRAFT.value,
        scheduled_for=None,
        next_attempt_at=None,
    )


def publish_now(
    content_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    account_id: str | None = None,
) -> Content:
    """Schedule for now; the publishing dispatcher sends it (immediately when it offers to)."""
    now = utcnow()
    content = schedule(
        content_id, now, user_id=user_id, session=session, account_id=account_id, now=now
    )
    try:
        publishing.publish_now(content.id, user_id=user_id, session=session)
    except ContentError:
        raise
    except publishing.PublishingError as exc:
        session.rollback()
        raise ContentError(str(exc)) from exc
    except Exception:  # the dispatcher still finds the due post
        log.exception(
            "publishing.publish_now failed for %s; the dispatcher will pick it up", content.id
        )
    return get_owned(content.id, user_id=user_id, session=session)


# --------------------------------------------------------------------------- live status
# The editor follows a post while the publisher works on it (see EditorState.watch).
WATCH_AHEAD = timedelta(minutes=1)


NEEDS_CHECK_WORDS = (
    "We could not confirm whether this post went out. Check your profile: if it is "
    "there, press “It's published”; if not, press “Check again”."
)


def should_watch(
    status: str,
    scheduled_for: datetime | None,
    next_attempt_at: datetime | None,
    *,
    now: datetime | None = None,
) -> bool:
    """Is the post about to change without the user doing anything?

    True while it is publishing, or scheduled and due (or retried) within a minute:
    the publisher will move it soon, so the editor keeps asking."""
    if status == S.PUBLISHING:
        return True
    if status != S.SCHEDULED or scheduled_for is None:
        return False
    due = max(scheduled_for, next_attempt_at or scheduled_for)
    return due <= (now or utcnow()) + WATCH_AHEAD


def live_status(
    content_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    now: datetime | None = None,
) -> LiveStatus | None:
    """The few columns the editor refreshes while it watches a post (one light query).

    None when the post is gone (deleted, or not the user's)."""
    try:
        cid = parse_uuid(content_id)
    except ValueError:
        return None
    row = session.execute(
        sa.select(
            col(Content.status),
            col(Content.scheduled_for),
            col(Content.next_attempt_at),
            col(Content.published_at),
            col(Content.remote_url),
            col(Content.last_error),
        )
        .join(Business, col(Business.id) == Content.business_id)
        .where(col(Content.id) == cid, col(Business.user_id) == user_id)
    ).first()
    if row is None:
        return None
    status, sched, retry_at, published, remote_url, error = row
    return LiveStatus(
        status=status,
        published_at=published.isoformat() if published else "",
        remote_url=remote_url or "",
        last_error=error or "",
        watch="1" if should_watch(status, sched, retry_at, now=now) else "",
    )


def status_message(status: str, last_error: str) -> str:
    """What the editor says about a failed or unconfirmed post, in plain words."""
    if status == S.NEEDS_ATTENTION:
        return last_error or NEEDS_CHECK_WORDS
    if status == S.FAILED:
        return last_error or "The platform did not accept this post. Fix it, then press Retry."
    return last_error


@contextmanager
def _publishing_refusals(session: Session) -> Iterator[None]:
    """The publishing capability's refusals (PublishingError) become ContentError."""
    try:
        yield
    except publishing.PublishingError as exc:
        session.rollback()
        raise ContentError(str(exc)) from exc


def retry_publish(content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> str:
    """Retry a failed post, or check a needs-attention one again (the publisher looks it
    up on the platform before any new create, so this cannot post it twice).

    Returns the message for the user."""
    status = get_owned(content_id, user_id=user_id, session=session).status
    with _publishing_refusals(session):
        outcome = publishing.retry_failed(content_id, user_id=user_id, session=session)
    if outcome == "already_retried":
        return "This post is already being retried."
    if status == S.NEEDS_ATTENTION:
        return "Checking again. We look on the platform before posting anything."
    if outcome == "scheduled":
        return "It goes out at its planned time."
    return "Publishing again. The status updates when the platform confirms."


def mark_published(
    content_id: uuid.UUID | str,
    remote_url: str = "",
    *,
    user_id: uuid.UUID,
    session: Session,
) -> None:
    """The user saw a needs-attention post on their profile: it is published."""
    get_owned(content_id, user_id=user_id, session=session)
    with _publishing_refusals(session):
        publishing.mark_published_by_user(
            content_id, user_id=user_id, remote_url=remote_url.strip(), session=session
        )
