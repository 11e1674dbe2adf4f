"""Bulk actions of the library screen: each post on its own, one refusal does not stop
the rest, and the result says how many went through and why the others did not."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from aigrowth.content import planning
from aigrowth.content.access import ContentError, active_targets, get_owned, user_timezone
from aigrowth.content.editing import delete_content, optimise_with_ai
from aigrowth.content.models import Content
from aigrowth.content.scheduling import schedule, unschedule
from aigrowth.dbtypes import utcnow


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
    fn: Callable[..., object],
    *,
    session: Session,
    progress: Callable[[int, int, str], None] | None = None,
    **kwargs: Any,
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
