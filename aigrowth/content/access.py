"""Who may touch which post, in which state: the content studio's guards.

Ownership (content → business → user: another user's id simply is not found), the
refusals with a message for the user (:class:`ContentError`), the status sets of
DESIGN §6 and the guarded write every change of a post goes through. Nothing is
changed when a refusal is raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypedDict, TypeVar, cast

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from aigrowth import errors
from aigrowth.ai.errors import AIError
from aigrowth.businesses.models import Business
from aigrowth.businesses.service import resolve_current
from aigrowth.content import planning
from aigrowth.content.models import Content, ContentStatus, MediaAsset
from aigrowth.content.validation import post_problems
from aigrowth.dbtypes import utcnow
from aigrowth.errors import UserError
from aigrowth.ids import parse_uuid
from aigrowth.platforms import PLATFORM_RULES, Problem, blocking
from aigrowth.social.models import AccountStatus
from aigrowth.strategy.models import Strategy
from aigrowth.timezones import user_timezone as user_timezone  # re-exported

S = ContentStatus
# States in which the text, media and time may still change (DESIGN §6).
EDITABLE = frozenset({S.DRAFT, S.SCHEDULED, S.FAILED})
SCHEDULABLE = frozenset({S.DRAFT, S.SCHEDULED, S.FAILED})
UNSCHEDULABLE = frozenset({S.SCHEDULED, S.FAILED})
DELETABLE = frozenset({S.DRAFT, S.SCHEDULED, S.FAILED, S.PUBLISHED})
USABLE_ACCOUNT = frozenset({AccountStatus.ACTIVE, AccountStatus.EXPIRING})

STATUS_WORDS: dict[str, str] = {
    S.PUBLISHING: "is being published right now",
    S.PUBLISHED: "is already published",
    S.NEEDS_ATTENTION: "needs attention: we could not confirm whether it was published, so it "
    "is being checked before anything else happens to it",
}


class ContentError(UserError):
    """A refusal with a message for the user; nothing was changed."""


class NotFound(ContentError, errors.NotFound):
    pass


class AccountChoice(TypedDict):
    """A connected account offered when the user must pick which one publishes."""

    id: str
    name: str
    handle: str
    type: str


class NeedsAccount(ContentError):
    """Scheduling needs a connected account: none exists, or the user must pick one."""

    def __init__(self, message: str, accounts: list[AccountChoice] | None = None):
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
    business = session.get(Business, parse_uuid(business_id))
    if business is None or business.user_id != user_id:
        raise NotFound("That business was not found.")
    return business


def current_business_id(
    *, user_id: uuid.UUID, session: Session, preferred: str | None = None
) -> uuid.UUID | None:
    """The business the user works on: ``preferred`` when it is theirs, else their latest
    (the header switcher's rule, owned by the businesses capability)."""
    business = resolve_current(preferred or None, user_id=user_id, session=session)
    return business.id if business is not None else None


RowT = TypeVar("RowT", Content, MediaAsset)


def owned_row(
    model: type[RowT],
    row_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    what: str,
    lock: bool = False,
) -> RowT:
    """A row of a business-owned table, found only when its business is the user's."""
    try:
        rid = parse_uuid(row_id)
    except ValueError:
        raise NotFound(f"That {what} was not found.") from None
    stmt = (
        select(model)
        .join(Business, col(Business.id) == model.business_id)
        .where(col(model.id) == rid, col(Business.user_id) == user_id)
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
    return owned_row(Content, content_id, user_id=user_id, session=session, what="post", lock=lock)


def refuse_unless(content: Content, allowed: Iterable[str], action: str) -> None:
    if content.status not in allowed:
        why = STATUS_WORDS.get(content.status, f"is {content.status.replace('_', ' ')}")
        raise ContentError(f"You cannot {action} this post: it {why}.")


def known_platform(platform: str) -> str:
    if platform not in PLATFORM_RULES:
        raise ContentError(f"“{platform}” is not a platform we publish to.")
    return platform


def refuse_invalid(content: Content, *, session: Session) -> None:
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
CONTENT_TABLE: sa.Table = Content.__table__  # type: ignore[attr-defined]  # set by SQLModel
C = CONTENT_TABLE.c


def rows_hit(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE hit (execute() is typed as a plain Result)."""
    return cast("sa.CursorResult[Any]", result).rowcount


def status_values(allowed: Iterable[str]) -> list[str]:
    return [str(a) for a in allowed]  # ContentStatus is a StrEnum: str() is the value


def changed_meanwhile(content_id: uuid.UUID, action: str, *, session: Session) -> ContentError:
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


def write_if(
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
        refuse_invalid(after, session=session)
    values["updated_at"] = utcnow()
    hit = rows_hit(
        session.execute(
            sa.update(CONTENT_TABLE)
            .where(C.id == content.id, C.status.in_(status_values(allowed)))
            .values(**values)
        )
    )
    if hit != 1:
        session.rollback()
        raise changed_meanwhile(content.id, action, session=session)
    session.add_all(list(also))
    session.commit()
    session.refresh(content)
    return content


def format_local(instant: datetime, tz: str) -> str:
    local = planning.utc_to_local(instant, tz)
    return local.strftime("%a %d %b %Y, %H:%M")


@contextmanager
def ai_errors(session: Session) -> Iterator[None]:
    """The AI layer's errors carry a message for the user: pass it on, change nothing."""
    try:
        yield
    except AIError as exc:
        session.rollback()
        raise ContentError(str(exc)) from exc


def active_targets(business_id: uuid.UUID, *, session: Session) -> planning.Targets:
    content = session.exec(
        select(Strategy.content)
        .where(Strategy.business_id == business_id, Strategy.is_active == True)  # noqa: E712
        .order_by(col(Strategy.version).desc())
    ).first()
    return planning.parse_targets(content)
