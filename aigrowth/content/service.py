"""Content studio domain: library queries, editing with versions, variants, media,
scheduling and the calendar view model.

Every function takes ``user_id`` and scopes by ownership (content → business → user):
another user's id simply is not found. Errors are :class:`ContentError` with a message
meant for the user; nothing is changed when one is raised.
"""

from __future__ import annotations

import importlib
import logging
import secrets
import struct
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from aigrowth.accounts.models import User
from aigrowth.ai.errors import AIError
from aigrowth.ai.planning import MAX_BATCH
from aigrowth.ai.service import generate_for_slots, rewrite_post
from aigrowth.businesses.models import Business
from aigrowth.content import planning
from aigrowth.content.models import Content, ContentStatus, ContentVersion, MediaAsset
from aigrowth.content.rules import PLATFORM_RULES, Problem, blocking
from aigrowth.content.validation import post_problems
from aigrowth.dbtypes import utcnow
from aigrowth.settings import get_settings
from aigrowth.social.models import AccountStatus, SocialAccount
from aigrowth.strategy.models import Strategy

log = logging.getLogger(__name__)

S = ContentStatus
# States in which the text, media and time may still change (DESIGN §6).
EDITABLE = frozenset({S.DRAFT, S.SCHEDULED, S.FAILED})
SCHEDULABLE = frozenset({S.DRAFT, S.SCHEDULED, S.FAILED})
UNSCHEDULABLE = frozenset({S.SCHEDULED, S.FAILED})
DELETABLE = frozenset({S.DRAFT, S.SCHEDULED, S.FAILED, S.PUBLISHED})
USABLE_ACCOUNT = frozenset({AccountStatus.ACTIVE, AccountStatus.EXPIRING})

# 8 MB: Instagram's JPEG limit, the strictest platform we publish images to.
MEDIA_MAX_BYTES = 8 * 1024 * 1024
ALLOWED_IMAGE_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}
STATUS_WORDS = {
    S.PUBLISHING: "is being published right now",
    S.PUBLISHED: "is already published",
    S.NEEDS_ATTENTION: "needs attention: we could not confirm whether it was published, so it "
    "is being checked before anything else happens to it",
}


class ContentError(Exception):
    """A refusal with a message for the user; nothing was changed."""


class NotFound(ContentError):
    pass


class NeedsAccount(ContentError):
    """Scheduling needs a connected account: none exists, or the user must pick one."""

    def __init__(self, message: str, accounts: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.accounts = accounts or []


class InvalidPost(ContentError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("Fix these first: " + " ".join(p.message for p in problems))


# --------------------------------------------------------------------------- ownership
def owned_business(
    business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> Business:
    business = session.get(Business, _uuid(business_id))
    if business is None or business.user_id != user_id:
        raise NotFound("That business was not found.")
    return business


def current_business_id(
    *, user_id: uuid.UUID, session: Session, preferred: str | None = None
) -> uuid.UUID | None:
    """The business the user works on: ``preferred`` when it is theirs, else their latest.

    Delegates to the businesses capability (the switcher's rule) when it is installed.
    """
    resolve = _optional("aigrowth.businesses.service", "resolve_current")
    if resolve is not None:
        business = resolve(preferred or None, user_id=user_id, session=session)
        return business.id if business is not None else None
    if preferred:
        try:
            return owned_business(preferred, user_id=user_id, session=session).id
        except (ContentError, ValueError):
            pass
    return session.exec(
        select(Business.id)
        .where(Business.user_id == user_id)
        .order_by(col(Business.created_at).desc())
    ).first()


def _owned_row(
    model: type[Content] | type[MediaAsset],
    row_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    what: str,
    lock: bool = False,
) -> Content | MediaAsset:
    """A row of a business-owned table, found only when its business is the user's."""
    try:
        rid = _uuid(row_id)
    except ValueError:
        raise NotFound(f"That {what} was not found.") from None
    stmt = (
        select(model)
        .join(Business, Business.id == model.business_id)
        .where(model.id == rid, Business.user_id == user_id)
    )
    if lock:
        stmt = stmt.with_for_update()
    row = session.exec(stmt).first()
    if row is None:
        raise NotFound(f"That {what} was not found. It may have been deleted.")
    return row


def get_owned(
    content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session, lock: bool = False
) -> Content:
    return _owned_row(Content, content_id, user_id=user_id, session=session, what="post", lock=lock)


def user_timezone(user_id: uuid.UUID, *, session: Session) -> str:
    user = session.get(User, user_id)
    return (user.timezone if user else "") or "UTC"


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _refuse_unless(content: Content, allowed: Iterable[str], action: str) -> None:
    if content.status not in allowed:
        why = STATUS_WORDS.get(content.status, f"is {content.status.replace('_', ' ')}")
        raise ContentError(f"You cannot {action} this post: it {why}.")


def _known_platform(platform: str) -> str:
    if platform not in PLATFORM_RULES:
        raise ContentError(f"“{platform}” is not a platform we publish to.")
    return platform


def _refuse_invalid(content: Content, *, session: Session) -> None:
    """A post that would fail on its platform is refused (and the change rolled back)."""
    errors = blocking(post_problems(content, session=session))
    if errors:
        session.rollback()
        raise InvalidPost(errors)


# Every write of a post's status, time, text or media below is ONE conditional UPDATE
# (… WHERE id = :id AND status IN (:allowed)), never "read the status, then write the
# row": the publisher claims due posts with its own conditional UPDATE (scheduled →
# publishing), and a row read here may be claimed before our write lands (SQLite takes
# no row locks). The WHERE clause makes such a write hit 0 rows instead of overwriting
# the claim; the user is told the post just started publishing, and nothing changed.
CONTENT_TABLE = Content.__table__
C = CONTENT_TABLE.c


def _statuses(allowed: Iterable[str]) -> list[str]:
    return [str(getattr(a, "value", a)) for a in allowed]


def _changed_meanwhile(content_id: uuid.UUID, action: str, *, session: Session) -> ContentError:
    """Why a conditional write hit no row: what the post became since we read it."""
    status = session.exec(select(Content.status).where(Content.id == content_id)).first()
    if status is None:
        return NotFound("That post was not found. It may have been deleted.")
    if status == S.PUBLISHING:
        return ContentError(f"This post just started publishing: you cannot {action} it now.")
    if status == S.PUBLISHED:
        return ContentError(f"This post was just published: you cannot {action} it now.")
    words = STATUS_WORDS.get(status, f"is {status.replace('_', ' ')}")
    return ContentError(f"This post changed meanwhile (it {words}). Reload it and try again.")


def _write_if(
    content: Content,
    allowed: Iterable[str],
    action: str,
    *,
    session: Session,
    also: Sequence[SQLModel] = (),
    **values: object,
) -> Content:
    """Store ``values`` on the post only while its status is still in ``allowed``.

    ``content`` itself is never modified before the write (so the ORM cannot flush an
    unconditional UPDATE of it); the new version is checked on a copy: a post that is
    (or becomes) scheduled must be valid for its platform. ``also`` (e.g. the version
    row of an edit) is added only once the UPDATE hit, so nothing is written before
    that check. Commits and returns ``content`` re-read, or rolls back and raises."""
    after = Content(**{c.key: getattr(content, c.key) for c in CONTENT_TABLE.columns})
    for key, value in values.items():
        setattr(after, key, value)
    if after.status == S.SCHEDULED:
        _refuse_invalid(after, session=session)
    values["updated_at"] = utcnow()
    hit = session.execute(
        sa.update(CONTENT_TABLE)
        .where(C.id == content.id, C.status.in_(_statuses(allowed)))
        .values(**values)
    ).rowcount
    if hit != 1:
        session.rollback()
        raise _changed_meanwhile(content.id, action, session=session)
    session.add_all(list(also))
    session.commit()
    session.refresh(content)
    return content


# --------------------------------------------------------------------------- library
@dataclass
class LibraryFilter:
    status: str = ""
    platform: str = ""
    pillar: str = ""
    search: str = ""
    date_from: date | None = None  # local dates, inclusive, on the planned/created time
    date_to: date | None = None


@dataclass
class LibraryPage:
    rows: list[dict[str, str]]
    total: int
    page: int
    pages: int


def _sort_time():
    return sa.func.coalesce(Content.scheduled_for, Content.published_at, Content.created_at)


def list_library(
    business_id: uuid.UUID | str,
    filt: LibraryFilter,
    *,
    user_id: uuid.UUID,
    session: Session,
    page: int = 1,
    page_size: int = 20,
) -> LibraryPage:
    """One page of posts (only the columns the list shows), newest planned first."""
    business = owned_business(business_id, user_id=user_id, session=session)
    tz = user_timezone(user_id, session=session)
    where = [Content.business_id == business.id]
    if filt.status:
        where.append(Content.status == filt.status)
    if filt.platform:
        where.append(Content.platform == filt.platform)
    if filt.pillar:
        where.append(Content.pillar == filt.pillar)
    if filt.search.strip():
        term = (
            "%"
            + filt.search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        where.append(
            sa.or_(
                col(Content.text).ilike(term, escape="\\"),
                col(Content.title).ilike(term, escape="\\"),
                col(Content.pillar).ilike(term, escape="\\"),
            )
        )
    if filt.date_from or filt.date_to:
        first = filt.date_from or date(1970, 1, 1)
        last = filt.date_to or date(9999, 12, 30)
        start, end = planning.local_day_bounds_utc(first, last, tz)
        where.append(_sort_time() >= start)
        where.append(_sort_time() < end)
    total = session.exec(select(sa.func.count()).select_from(Content).where(*where)).one()
    pages = max(1, -(-int(total) // page_size))
    page = min(max(1, page), pages)
    rows = session.exec(
        select(
            Content.id,
            Content.platform,
            Content.status,
            Content.pillar,
            sa.func.substr(Content.text, 1, 160),
            Content.scheduled_for,
            Content.published_at,
            Content.group_id,
            Content.last_error,
            Content.media,
        )
        .where(*where)
        .order_by(_sort_time().desc(), col(Content.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    out = []
    for cid, platform, status, pillar, text, sched, published, group, error, media in rows:
        when = published or sched
        out.append(
            {
                "id": str(cid),
                "platform": platform,
                "status": status,
                "pillar": pillar or "",
                "preview": (text or "").replace("\n", " "),
                "when": format_local(when, tz) if when else "Not planned",
                "group_id": str(group) if group else "",
                "error": error or "",
                "media_count": str(len(media or [])),
            }
        )
    return LibraryPage(rows=out, total=int(total), page=page, pages=pages)


def pillars_of(business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> list[str]:
    business = owned_business(business_id, user_id=user_id, session=session)
    names = set(
        session.exec(
            select(Content.pillar)
            .where(Content.business_id == business.id, Content.pillar != "")
            .distinct()
        ).all()
    )
    names.update(active_targets(business.id, session=session).pillars)
    return sorted(names)


def format_local(instant: datetime, tz: str) -> str:
    local = planning.utc_to_local(instant, tz)
    return local.strftime("%a %d %b %Y, %H:%M")


# --------------------------------------------------------------------------- editing
def _version_of(content: Content, reason: str) -> ContentVersion:
    """The post's current text as a version row (kept when the text changes)."""
    return ContentVersion(
        content_id=content.id,
        text=content.text,
        hashtags=list(content.hashtags or []),
        reason=reason,
    )


def save_text(
    content_id: uuid.UUID | str,
    text: str,
    hashtags: Sequence[str] | None = None,
    *,
    user_id: uuid.UUID,
    session: Session,
    reason: str = "edit",
) -> Content:
    """Save new text (and hashtags); the previous text is kept as a version.

    Saving unchanged text is a no-op (no empty versions). A scheduled post stays
    scheduled only while it is still valid for its platform.
    """
    content = get_owned(content_id, user_id=user_id, session=session)
    _refuse_unless(content, EDITABLE, "edit")
    from aigrowth.content.rules import normalise_hashtag

    new_tags = (
        content.hashtags
        if hashtags is None
        else [t for t in (normalise_hashtag(h) for h in hashtags) if t]
    )
    if text == content.text and list(new_tags or []) == list(content.hashtags or []):
        return content
    return _write_if(
        content,
        EDITABLE,
        "edit",
        session=session,
        also=[_version_of(content, reason)],
        text=text,
        hashtags=list(new_tags or []),
    )


def list_versions(
    content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session, tz: str = "UTC"
) -> list[dict[str, str]]:
    content = get_owned(content_id, user_id=user_id, session=session)
    versions = session.exec(
        select(ContentVersion)
        .where(ContentVersion.content_id == content.id)
        .order_by(col(ContentVersion.created_at).desc())
        .limit(50)
    ).all()
    return [
        {
            "id": str(v.id),
            "text": v.text,
            "hashtags": " ".join("#" + h for h in v.hashtags or []),
            "reason": v.reason,
            "when": format_local(v.created_at, tz),
        }
        for v in versions
    ]


def restore_version(
    content_id: uuid.UUID | str,
    version_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
) -> Content:
    content = get_owned(content_id, user_id=user_id, session=session)
    version = session.get(ContentVersion, _uuid(version_id))
    if version is None or version.content_id != content.id:
        raise NotFound("That version was not found.")
    return save_text(
        content.id,
        version.text,
        version.hashtags,
        user_id=user_id,
        session=session,
        reason="restore",
    )


def set_pillar(
    content_id: uuid.UUID | str, pillar: str, *, user_id: uuid.UUID, session: Session
) -> Content:
    content = get_owned(content_id, user_id=user_id, session=session)
    _refuse_unless(content, EDITABLE, "edit")
    return _write_if(content, EDITABLE, "edit", session=session, pillar=pillar.strip()[:120])


def delete_content(content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> None:
    """Delete a post from the studio (a published post stays on the platform)."""
    content = get_owned(content_id, user_id=user_id, session=session)
    _refuse_unless(content, DELETABLE, "delete")
    hit = session.execute(
        sa.delete(CONTENT_TABLE).where(C.id == content.id, C.status.in_(_statuses(DELETABLE)))
    ).rowcount
    if hit != 1:
        session.rollback()
        raise _changed_meanwhile(content.id, "delete", session=session)
    session.commit()
    session.expunge(content)  # its row is gone


def create_draft(
    business_id: uuid.UUID | str,
    platform: str,
    text: str = "",
    *,
    user_id: uuid.UUID,
    session: Session,
    pillar: str = "",
    hashtags: Sequence[str] = (),
    planned_for: datetime | None = None,
) -> Content:
    business = owned_business(business_id, user_id=user_id, session=session)
    _known_platform(platform)
    strategy_id = session.exec(
        select(Strategy.id).where(Strategy.business_id == business.id, Strategy.is_active == True)  # noqa: E712
    ).first()
    content = Content(
        business_id=business.id,
        strategy_id=strategy_id,
        platform=platform,
        text=text,
        pillar=pillar,
        hashtags=list(hashtags),
        scheduled_for=planned_for,
    )
    session.add(content)
    session.commit()
    return content


# --------------------------------------------------------------------------- variants
def create_variant(
    content_id: uuid.UUID | str, platform: str, *, user_id: uuid.UUID, session: Session
) -> Content:
    """Adapt the same idea to another platform: a new row in the same group, a draft."""
    source = get_owned(content_id, user_id=user_id, session=session)
    _known_platform(platform)
    if source.group_id is None:
        source.group_id = uuid.uuid4()
        session.add(source)
    existing = session.exec(
        select(Content.id).where(Content.group_id == source.group_id, Content.platform == platform)
    ).first()
    if existing is not None:
        raise ContentError(f"This idea already has a {PLATFORM_RULES[platform].label} version.")
    variant = Content(
        business_id=source.business_id,
        strategy_id=source.strategy_id,
        group_id=source.group_id,
        platform=platform,
        pillar=source.pillar,
        content_type=source.content_type,
        title=source.title,
        text=source.text,
        hashtags=list(source.hashtags or []),
        media=[dict(m) for m in source.media or []],
        ai_generated=source.ai_generated,
        offline_draft=source.offline_draft,
    )
    session.add(variant)
    session.commit()
    return variant


def list_variants(
    content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> list[dict[str, str]]:
    content = get_owned(content_id, user_id=user_id, session=session)
    if content.group_id is None:
        return []
    rows = session.exec(
        select(Content.id, Content.platform, Content.status)
        .where(Content.group_id == content.group_id, Content.business_id == content.business_id)
        .order_by(Content.platform)
    ).all()
    return [
        {"id": str(i), "platform": p, "status": s, "current": "1" if i == content.id else ""}
        for i, p, s in rows
    ]


# --------------------------------------------------------------------------- accounts & scheduling
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


def account_choice(account: SocialAccount) -> dict[str, str]:
    name = account.display_name or account.handle or account.account_id
    handle = account.handle
    if account.instance_url:
        handle = f"{handle} ({account.instance_url.removeprefix('https://')})"
    return {"id": str(account.id), "name": name, "handle": handle, "type": account.account_type}


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
    _refuse_unless(content, SCHEDULABLE, "schedule")
    if when < now - timedelta(minutes=1):
        raise ContentError("That time is in the past. Pick a later time, or use “Publish now”.")
    account = _pick_account(content, user_id=user_id, session=session, account_id=account_id)
    return _write_if(  # refuses a post invalid for its platform
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
    _refuse_unless(content, EDITABLE, "move")
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
    return _write_if(content, EDITABLE - {S.SCHEDULED}, "move", session=session, scheduled_for=when)


def unschedule(content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> Content:
    """Back to draft; the post leaves the publishing queue (and the calendar)."""
    content = get_owned(content_id, user_id=user_id, session=session)
    if content.status == S.DRAFT:
        raise ContentError("This post is not scheduled.")
    _refuse_unless(content, UNSCHEDULABLE, "unschedule")
    return _write_if(
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
    hook = _optional("aigrowth.publishing.service", "publish_now")
    if hook is not None:
        try:
            hook(content.id, user_id=user_id, session=session)
        except ContentError:
            raise
        except Exception as exc:  # the dispatcher still finds the due post
            if type(exc).__name__ == "PublishingError":
                session.rollback()
                raise ContentError(str(exc)) from exc
            log.exception(
                "publishing.publish_now failed for %s; the dispatcher will pick it up", content.id
            )
        content = get_owned(content.id, user_id=user_id, session=session)
    return content


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
) -> dict[str, str] | None:
    """The few columns the editor refreshes while it watches a post (one light query).

    None when the post is gone (deleted, or not the user's)."""
    try:
        cid = _uuid(content_id)
    except ValueError:
        return None
    row = session.exec(
        select(
            Content.status,
            Content.scheduled_for,
            Content.next_attempt_at,
            Content.published_at,
            Content.remote_url,
            Content.last_error,
        )
        .join(Business, Business.id == Content.business_id)
        .where(Content.id == cid, Business.user_id == user_id)
    ).first()
    if row is None:
        return None
    status, sched, retry_at, published, remote_url, error = row
    return {
        "status": status,
        "published_at": published.isoformat() if published else "",
        "remote_url": remote_url or "",
        "last_error": error or "",
        "watch": "1" if should_watch(status, sched, retry_at, now=now) else "",
    }


def status_message(status: str, last_error: str) -> str:
    """What the editor says about a failed or unconfirmed post, in plain words."""
    if status == S.NEEDS_ATTENTION:
        return last_error or NEEDS_CHECK_WORDS
    if status == S.FAILED:
        return last_error or "The platform did not accept this post. Fix it, then press Retry."
    return last_error


def _publishing_call(name: str, *args, **kwargs):
    """Call the publishing service; its refusals (PublishingError) become ContentError."""
    from aigrowth.publishing import service as publishing

    try:
        return getattr(publishing, name)(*args, **kwargs)
    except publishing.PublishingError as exc:
        kwargs["session"].rollback()
        raise ContentError(str(exc)) from exc


def retry_publish(content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> str:
    """Retry a failed post, or check a needs-attention one again (the publisher looks it
    up on the platform before any new create, so this cannot post it twice).

    Returns the message for the user."""
    status = get_owned(content_id, user_id=user_id, session=session).status
    outcome = _publishing_call("retry_failed", content_id, user_id=user_id, session=session)
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
    _publishing_call(
        "mark_published_by_user",
        content_id,
        user_id=user_id,
        remote_url=remote_url.strip(),
        session=session,
    )


# --------------------------------------------------------------------------- figures
# The editor's "Latest figures" for a published post: the newest daily snapshot.
FIGURES = (
    ("impressions", "Impressions"),
    ("reach", "Reach"),
    ("likes", "Likes"),
    ("comments", "Comments"),
    ("shares", "Shares"),
    ("clicks", "Clicks"),
    ("saves", "Saves"),
    ("engagement_rate", "Engagement rate"),
)


@dataclass
class Figures:
    day: str  # the day the figures are for, e.g. "Tue 24 Mar 2026"
    fetched: str  # when they were pulled, in the user's time zone
    metrics: list[dict[str, str]]  # {key, label, value, tip}; value "—" when not reported


def latest_figures(
    content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> Figures | None:
    """The post's latest analytics snapshot as the strings the editor shows.

    None when there is none yet (the pull runs daily at 03:00 UTC). A figure the
    platform does not report is NULL in the table and "—" here, with a tooltip saying
    so: it is unknown, not zero."""
    from aigrowth.analytics.models import AnalyticsSnapshot

    content = get_owned(content_id, user_id=user_id, session=session)
    snap = session.exec(
        select(AnalyticsSnapshot)
        .where(AnalyticsSnapshot.content_id == content.id)
        .order_by(col(AnalyticsSnapshot.day).desc(), col(AnalyticsSnapshot.fetched_at).desc())
    ).first()
    if snap is None:
        return None
    label = PLATFORM_RULES[content.platform].label if content.platform in PLATFORM_RULES else ""
    label = label or content.platform
    metrics = []
    for key, name in FIGURES:
        value = getattr(snap, key)
        tip = ""
        if value is None:
            shown = "—"
            tip = (
                f"No engagement rate: {label} reports neither impressions nor reach"
                if key == "engagement_rate"
                else f"{label} does not report {name.lower()}"
            )
        elif key == "engagement_rate":
            shown = f"{value:.1%}"
        else:
            shown = f"{int(value):,}"
        metrics.append({"key": key, "label": name, "value": shown, "tip": tip})
    return Figures(
        day=snap.day.strftime("%a %d %b %Y"),
        fetched=format_local(snap.fetched_at, user_timezone(user_id, session=session)),
        metrics=metrics,
    )


def _optional(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


# --------------------------------------------------------------------------- bulk
@dataclass
class BulkResult:
    done: int = 0
    failed: list[str] = field(default_factory=list)  # plain-words reasons

    def summary(self, verb: str) -> str:
        text = f"{verb} {self.done} post{'s' if self.done != 1 else ''}."
        if self.failed:
            text += f" {len(self.failed)} could not be: " + " ".join(self.failed[:3])
        return text


def _bulk(
    ids: Iterable[str],
    fn,
    *,
    session: Session,
    progress: Callable[[int, int, str], None] | None = None,
    **kwargs,
) -> BulkResult:
    """Run ``fn(id, session=..., **kwargs)`` per post; one refusal does not stop the rest.

    ``progress(done, total, message)`` is told after each post."""
    result = BulkResult()
    ids = list(ids)
    for n, cid in enumerate(ids, start=1):
        try:
            fn(cid, session=session, **kwargs)
            result.done += 1
        except ContentError as exc:
            session.rollback()
            result.failed.append(str(exc))
        if progress is not None:
            progress(n, len(ids), "Working through the posts")
    return result


def bulk_delete(ids: Iterable[str], *, user_id: uuid.UUID, session: Session) -> BulkResult:
    return _bulk(ids, delete_content, user_id=user_id, session=session)


def bulk_unschedule(ids: Iterable[str], *, user_id: uuid.UUID, session: Session) -> BulkResult:
    return _bulk(ids, unschedule, user_id=user_id, session=session)


def bulk_approve_schedule(
    ids: Iterable[str], *, user_id: uuid.UUID, session: Session, now: datetime | None = None
) -> BulkResult:
    """Approve and schedule: each post at its planned time, or the next free cadence slot.

    Posts without a planned time go to the next day at the platform's best time (from
    the strategy), one per day per platform, so a batch does not land all at once.
    """
    now = now or utcnow()
    tz = user_timezone(user_id, session=session)
    taken: Counter[tuple[date, str]] = Counter()

    def one(cid: str, *, session: Session) -> None:
        content = get_owned(cid, user_id=user_id, session=session)
        when = content.scheduled_for
        if when is None or when < now:
            targets = active_targets(content.business_id, session=session)
            cad = targets.cadence.get(content.platform)
            at = cad.best_times[0] if cad and cad.best_times else planning.DEFAULT_TIME
            day = planning.utc_to_local(now, tz).date() + timedelta(days=1)
            while taken[(day, content.platform)] or _has_post_on(content, day, tz, session=session):
                day += timedelta(days=1)
            taken[(day, content.platform)] += 1
            when = planning.local_to_utc(day, at, tz)
        schedule(content.id, when, user_id=user_id, session=session, now=now)

    return _bulk(ids, one, session=session)


def _has_post_on(content: Content, day: date, tz: str, *, session: Session) -> bool:
    start, end = planning.local_day_bounds_utc(day, day, tz)
    return (
        session.exec(
            select(Content.id).where(
                Content.business_id == content.business_id,
                Content.platform == content.platform,
                Content.id != content.id,
                col(Content.scheduled_for) >= start,
                col(Content.scheduled_for) < end,
            )
        ).first()
        is not None
    )


# --------------------------------------------------------------------------- AI
def optimise_with_ai(
    content_id: uuid.UUID | str, feedback: str, *, user_id: uuid.UUID, session: Session
) -> Content:
    """Rewrite a post with the AI layer (the LLM when a key is set, else the offline
    writer); the old text is kept as a version. AI refusals become ContentError."""
    content = get_owned(content_id, user_id=user_id, session=session)
    _refuse_unless(content, EDITABLE, "rewrite")
    with _ai_errors(session):
        rewrite_post(content.id, feedback.strip(), user_id=user_id, session=session)
    session.expire_all()
    return get_owned(content_id, user_id=user_id, session=session)


@contextmanager
def _ai_errors(session: Session) -> Iterator[None]:
    """The AI layer's errors carry a message for the user: pass it on, change nothing."""
    try:
        yield
    except AIError as exc:
        session.rollback()
        raise ContentError(str(exc)) from exc


def bulk_regenerate(
    ids: Iterable[str],
    *,
    user_id: uuid.UUID,
    session: Session,
    feedback: str = "",
    progress: Callable[[int, int, str], None] | None = None,
) -> BulkResult:
    return _bulk(
        ids,
        optimise_with_ai,
        feedback=feedback or "Write a fresh version of this post.",
        user_id=user_id,
        session=session,
        progress=(lambda done, total, _m: progress(done, total, "Rewriting posts"))
        if progress
        else None,
    )


# --------------------------------------------------------------------------- strategy targets
def active_targets(business_id: uuid.UUID, *, session: Session) -> planning.Targets:
    content = session.exec(
        select(Strategy.content)
        .where(Strategy.business_id == business_id, Strategy.is_active == True)  # noqa: E712
        .order_by(col(Strategy.version).desc())
    ).first()
    return planning.parse_targets(content)


# --------------------------------------------------------------------------- calendar
@dataclass
class CalendarModel:
    """Everything the calendar page shows for one period, as plain strings."""

    title: str
    days: list[dict]  # {date, label, day_num, in_month, is_today, weekday, posts[], slots[]}
    coverage_pillars: list[dict[str, str]]
    coverage_platforms: list[dict[str, str]]
    slots_total: int
    posts_total: int
    list_days: list[dict]  # only days with posts or slots, for the phone list view


def calendar_rows(
    business_id: uuid.UUID, start: datetime, end: datetime, *, session: Session
) -> list[tuple]:
    """Only what the calendar draws: one light row per post in [start, end)."""
    return list(
        session.exec(
            select(
                Content.id,
                Content.platform,
                Content.status,
                Content.pillar,
                Content.scheduled_for,
                sa.func.substr(Content.text, 1, 60),
            )
            .where(
                Content.business_id == business_id,
                col(Content.scheduled_for) >= start,
                col(Content.scheduled_for) < end,
            )
            .order_by(col(Content.scheduled_for))
        ).all()
    )


def build_calendar(
    rows: Sequence[tuple],
    days: list[date],
    *,
    tz: str,
    targets: planning.Targets,
    today: date,
    month: int | None,
    title: str,
) -> CalendarModel:
    """Place rows on local days, find open cadence slots and compute coverage."""
    zone = planning.get_zone(tz)
    by_day: dict[date, list[dict[str, str]]] = {d: [] for d in days}
    planned: Counter[tuple[date, str]] = Counter()
    pillar_counts: Counter[str] = Counter()
    platform_counts: Counter[str] = Counter()
    for cid, platform, status, pillar, when, snippet in rows:
        local = when.astimezone(zone)
        day = local.date()
        if day not in by_day:
            continue
        by_day[day].append(
            {
                "id": str(cid),
                "platform": platform,
                "status": status,
                "time": local.strftime("%H:%M"),
                "hour": str(local.hour),
                "snippet": (snippet or "").replace("\n", " "),
                "pillar": pillar or "",
            }
        )
        if status != S.FAILED:
            planned[(day, platform)] += 1
            pillar_counts[pillar or ""] += 1
            platform_counts[platform] += 1
    slots = planning.open_slots(days, targets.cadence, planned, today=today)
    slots_by_day: dict[date, list[dict[str, str]]] = {}
    for slot in slots:
        slots_by_day.setdefault(slot.day, []).append(
            {"platform": slot.platform, "time": slot.at, "key": slot.key}
        )
    out_days = []
    for d in days:
        out_days.append(
            {
                "date": d.isoformat(),
                "label": d.strftime("%a %d %b"),
                "weekday": d.strftime("%a"),
                "day_num": str(d.day),
                "in_month": month is None or d.month == month,
                "is_today": d == today,
                "is_past": d < today,
                "posts": by_day[d],
                "slots": slots_by_day.get(d, []),
            }
        )
    pillars = _coverage_rows(pillar_counts, targets.pillars)
    platforms = [
        {
            **row,
            "name": PLATFORM_RULES[row["name"]].label
            if row["name"] in PLATFORM_RULES
            else row["name"],
            "platform": row["name"],
        }
        for row in _coverage_rows(platform_counts, planning.cadence_shares(targets.cadence))
        if row["name"] != "No pillar"
    ]
    list_days = [d for d in out_days if d["posts"] or d["slots"]]
    return CalendarModel(
        title=title,
        days=out_days,
        coverage_pillars=pillars,
        coverage_platforms=platforms,
        slots_total=len(slots),
        posts_total=sum(len(v) for v in by_day.values()),
        list_days=list_days,
    )


def _coverage_rows(counts: Counter[str], targets: dict[str, float]) -> list[dict[str, str]]:
    """Planned vs target share per name, as the strings the coverage panel shows."""
    has_target = bool(targets)
    return [
        {
            "name": r.name,
            "planned": str(r.planned),
            "planned_pct": f"{round(r.planned_share * 100)}",
            "target_pct": f"{round(r.target_share * 100)}",
            "delta": _delta_words(r.delta, has_target),
            "tone": _delta_tone(r.delta, has_target),
        }
        for r in planning.coverage(counts, targets)
    ]


def _delta_words(delta: float, has_target: bool) -> str:
    if not has_target:
        return "no target"
    pts = round(delta * 100)
    if abs(pts) <= 5:
        return "on target"
    return f"{pts:+d} pts"


def _delta_tone(delta: float, has_target: bool) -> str:
    if not has_target or abs(delta) <= 0.05:
        return "green" if has_target else "gray"
    return "orange" if delta < 0 else "blue"


def calendar_view(
    business_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    anchor: date,
    mode: str = "month",
    now: datetime | None = None,
) -> CalendarModel:
    """The month (or week) around ``anchor`` in the user's time zone."""
    business = owned_business(business_id, user_id=user_id, session=session)
    tz = user_timezone(user_id, session=session)
    today = planning.utc_to_local(now or utcnow(), tz).date()
    if mode == "week":
        days = planning.week_grid(anchor)
        month = None
        title = f"Week of {days[0].strftime('%d %b')} to {days[-1].strftime('%d %b %Y')}"
    else:
        days = [d for week in planning.month_grid(anchor.year, anchor.month) for d in week]
        month = anchor.month
        title = anchor.strftime("%B %Y")
    start, end = planning.local_day_bounds_utc(days[0], days[-1], tz)
    rows = calendar_rows(business.id, start, end, session=session)
    return build_calendar(
        rows,
        days,
        tz=tz,
        targets=active_targets(business.id, session=session),
        today=today,
        month=month,
        title=title,
    )


def fill_gaps(
    business_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    anchor: date,
    mode: str = "month",
    now: datetime | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Create a draft for every open slot in the visible period; returns how many.

    The AI layer writes them (with the LLM when a key is set, else its offline writer),
    validated for their platform. Drafts carry their planned time (status draft).
    ``progress(done, total, message)`` is told after each AI batch (see content/jobs.py).
    """
    business = owned_business(business_id, user_id=user_id, session=session)
    tz = user_timezone(user_id, session=session)
    model = calendar_view(
        business.id, user_id=user_id, session=session, anchor=anchor, mode=mode, now=now
    )
    targets = active_targets(business.id, session=session)
    if not targets.cadence:
        raise ContentError(
            "Your strategy has no posting cadence yet. Create a strategy first (Strategy page)."
        )
    pillar_counts: Counter[str] = Counter(
        {r["name"]: int(r["planned"]) for r in model.coverage_pillars}
    )
    slots: list[dict[str, str]] = []
    current = now or utcnow()
    for day in model.days:
        for slot in day["slots"]:
            when = planning.local_to_utc(date.fromisoformat(day["date"]), slot["time"], tz)
            if when <= current:
                continue
            pillar = planning.most_needed_pillar(pillar_counts, targets.pillars)
            pillar_counts[pillar] += 1
            slots.append({"platform": slot["platform"], "when": when.isoformat(), "pillar": pillar})
    if not slots:
        return 0
    made = 0
    report = progress or (lambda done, total, message: None)
    report(0, len(slots), "Writing drafts")
    with _ai_errors(session):
        for first in range(0, len(slots), MAX_BATCH):  # one AI batch per MAX_BATCH slots
            made += len(
                generate_for_slots(
                    business.id, slots[first : first + MAX_BATCH], user_id=user_id, session=session
                )
            )
            report(min(first + MAX_BATCH, len(slots)), len(slots), "Writing drafts")
    return made


# --------------------------------------------------------------------------- media
def _image_size(data: bytes, kind: str) -> tuple[int | None, int | None]:
    """Width/height from the file header (no image library needed); None when unknown."""
    try:
        if kind == "png" and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return w, h
        if kind == "gif":
            w, h = struct.unpack("<HH", data[6:10])
            return w, h
        if kind == "jpg":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                length = struct.unpack(">H", data[i + 2 : i + 4])[0]
                if marker in (
                    0xC0,
                    0xC1,
                    0xC2,
                    0xC3,
                    0xC5,
                    0xC6,
                    0xC7,
                    0xC9,
                    0xCA,
                    0xCB,
                    0xCD,
                    0xCE,
                    0xCF,
                ):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return w, h
                i += 2 + length
        if kind == "webp" and data[12:16] == b"VP8X":
            w = int.from_bytes(data[24:27], "little") + 1
            h = int.from_bytes(data[27:30], "little") + 1
            return w, h
    except struct.error:
        pass
    return None, None


def sniff_image(data: bytes) -> str | None:
    """The real image type from the first bytes (the browser's claim is not trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def media_url(stored_name: str) -> str:
    return f"{get_settings().effective_api_url}/media/{stored_name}"


def save_upload(
    business_id: uuid.UUID | str,
    filename: str,
    data: bytes,
    *,
    user_id: uuid.UUID,
    session: Session,
    max_bytes: int | None = None,
) -> MediaAsset:
    """Check and store an uploaded image under DATA_DIR/media; returns the asset row."""
    business = owned_business(business_id, user_id=user_id, session=session)
    settings = get_settings()
    limit = max_bytes or MEDIA_MAX_BYTES
    if not data:
        raise ContentError("That file is empty.")
    if len(data) > limit:
        raise ContentError(
            f"That image is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{limit / 1_048_576:.0f} MB. Make it smaller and try again."
        )
    mime = sniff_image(data)
    if mime is None:
        raise ContentError(
            "That file is not an image we can publish. Upload a JPEG, PNG, GIF or WebP."
        )
    ext = ALLOWED_IMAGE_TYPES[mime]
    width, height = _image_size(data, ext)
    stored = f"{secrets.token_hex(16)}.{ext}"
    media_dir = Path(settings.media_dir)
    media_dir.mkdir(parents=True, exist_ok=True)
    tmp = media_dir / (stored + ".part")
    tmp.write_bytes(data)
    tmp.replace(media_dir / stored)
    asset = MediaAsset(
        business_id=business.id,
        filename=Path(filename or "image").name[:255],
        stored_name=stored,
        content_type=mime,
        size_bytes=len(data),
        width=width,
        height=height,
    )
    session.add(asset)
    session.commit()
    return asset


def _owned_asset(media_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> MediaAsset:
    return _owned_row(MediaAsset, media_id, user_id=user_id, session=session, what="image")


def list_media(
    business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session, limit: int = 24
) -> list[dict[str, str]]:
    business = owned_business(business_id, user_id=user_id, session=session)
    assets = session.exec(
        select(MediaAsset)
        .where(MediaAsset.business_id == business.id)
        .order_by(col(MediaAsset.created_at).desc())
        .limit(limit)
    ).all()
    return [
        {"id": str(a.id), "url": media_url(a.stored_name), "alt": a.alt_text, "name": a.filename}
        for a in assets
    ]


def attach_media(
    content_id: uuid.UUID | str, media_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> Content:
    content = get_owned(content_id, user_id=user_id, session=session)
    _refuse_unless(content, EDITABLE, "change the images of")
    asset = _owned_asset(media_id, user_id=user_id, session=session)
    if asset.business_id != content.business_id:
        raise NotFound("That image was not found.")
    media = [dict(m) for m in content.media or []]
    if any(m.get("media_id") == str(asset.id) for m in media):
        raise ContentError("That image is already attached.")
    rules = PLATFORM_RULES.get(content.platform)
    if rules and rules.max_images is not None and len(media) >= rules.max_images:
        raise ContentError(
            f"{rules.label} takes at most {rules.max_images} images; detach one first."
        )
    media.append(
        {
            "media_id": str(asset.id),
            "url": media_url(asset.stored_name),
            "alt": asset.alt_text,
            "stored_name": asset.stored_name,
            "content_type": asset.content_type,
        }
    )
    return _write_if(content, EDITABLE, "change the images of", session=session, media=media)


def detach_media(
    content_id: uuid.UUID | str, media_id: str, *, user_id: uuid.UUID, session: Session
) -> Content:
    content = get_owned(content_id, user_id=user_id, session=session)
    _refuse_unless(content, EDITABLE, "change the images of")
    media = [dict(m) for m in content.media or [] if m.get("media_id") != str(media_id)]
    if len(media) == len(content.media or []):
        raise NotFound("That image is not attached to this post.")
    return _write_if(content, EDITABLE, "change the images of", session=session, media=media)


def set_alt_text(
    media_id: uuid.UUID | str,
    alt: str,
    *,
    user_id: uuid.UUID,
    session: Session,
    content_id: uuid.UUID | str | None = None,
) -> MediaAsset:
    asset = _owned_asset(media_id, user_id=user_id, session=session)
    alt = alt.strip()
    if len(alt) > 1500:
        raise ContentError("Alt text is limited to 1500 characters.")
    asset.alt_text = alt
    session.add(asset)
    if content_id is not None:
        content = get_owned(content_id, user_id=user_id, session=session)
        if content.status in EDITABLE:
            media = [
                {**m, "alt": alt} if m.get("media_id") == str(asset.id) else dict(m)
                for m in content.media or []
            ]
            # The post's copy changes only while it is editable (a post claimed by the
            # publisher meanwhile keeps what it is being published with).
            session.execute(
                sa.update(CONTENT_TABLE)
                .where(C.id == content.id, C.status.in_(_statuses(EDITABLE)))
                .values(media=media, updated_at=utcnow())
            )
            session.expire(content)
    session.commit()
    return asset
