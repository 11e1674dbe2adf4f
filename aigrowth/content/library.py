"""The library screen's queries: one page of posts for the filters, and the pillars."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from aigrowth.content import planning
from aigrowth.content.access import active_targets, format_local, owned_business, user_timezone
from aigrowth.content.models import Content


class LibraryRow(TypedDict):
    """One post in the library list (only what the list shows)."""

    id: str
    platform: str
    status: str
    pillar: str
    preview: str  # the first 160 characters, on one line
    when: str  # published or planned time in the user's time zone, or "Not planned"
    group_id: str
    error: str
    media_count: str


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
    rows: list[LibraryRow]
    total: int
    page: int
    pages: int


def _sort_time() -> sa.ColumnElement[Any]:
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
    where: list[sa.ColumnElement[bool]] = [col(Content.business_id) == business.id]
    if filt.status:
        where.append(col(Content.status) == filt.status)
    if filt.platform:
        where.append(col(Content.platform) == filt.platform)
    if filt.pillar:
        where.append(col(Content.pillar) == filt.pillar)
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
    rows = session.execute(
        sa.select(
            col(Content.id),
            col(Content.platform),
            col(Content.status),
            col(Content.pillar),
            sa.func.substr(Content.text, 1, 160),
            col(Content.scheduled_for),
            col(Content.published_at),
            col(Content.group_id),
            col(Content.last_error),
            col(Content.media),
        )
        .where(*where)
        .order_by(_sort_time().desc(), col(Content.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    out: list[LibraryRow] = []
    for cid, platform, status, pillar, text, sched, published, group, error, media in rows:
        when = published or sched
        out.append(
            LibraryRow(
                id=str(cid),
                platform=platform,
                status=status,
                pillar=pillar or "",
                preview=(text or "").replace("\n", " "),
                when=format_local(when, tz) if when else "Not planned",
                group_id=str(group) if group else "",
                error=error or "",
                media_count=str(len(media or [])),
            )
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
