"""Posts: list (filters + cursor), get, create, update, schedule, publish now,
unschedule, retry, delete — each through the content studio's own service
(aigrowth.content.service), so the same rules, validation, plan limits and publishing
state machine apply as in the editor and on the calendar."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from fastapi import Query, Response, status
from sqlmodel import col

from aigrowth.api.deps import Db, Reader, Writer
from aigrowth.api.problems import ApiProblem
from aigrowth.api.routing import api_router
from aigrowth.api.schemas import (
    ActionResult,
    Platform,
    Post,
    PostCreate,
    PostPage,
    PostUpdate,
    PublishRequest,
    ScheduleRequest,
    Status,
    post_out,
    sane_instant,
)
from aigrowth.businesses.models import Business
from aigrowth.content import planning
from aigrowth.content import service as content
from aigrowth.content.models import Content

router = api_router(prefix="/content", tags=["content"])
# What a Post shows (publish_state, thread_parts… are not read for a list page).
POST_COLUMNS = (
    "id", "business_id", "platform", "status", "text", "hashtags", "pillar", "group_id",
    "social_account_id", "scheduled_for", "published_at", "remote_url", "last_error",
    "media", "ai_generated", "created_at", "updated_at",
)  # fmt: skip


def _sort_time():
    return sa.func.coalesce(Content.scheduled_for, Content.published_at, Content.created_at)


def _encode(at: datetime, cid: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), str(cid)]).encode()).decode()


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, cid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed, uuid.UUID(cid)
    except (ValueError, TypeError):
        raise ApiProblem(
            "invalid-request", "That cursor is not valid: pass next_cursor back as is."
        ) from None


def _aware(value: datetime | None, name: str) -> datetime | None:
    try:
        sane_instant(value)
    except ValueError as exc:
        raise ApiProblem("invalid-request", f"{name}: {exc}.") from None
    if value is not None and value.tzinfo is None:
        raise ApiProblem(
            "invalid-request", f"{name}: give the time with an offset, e.g. 2026-12-01T00:00:00Z."
        )
    return value


@router.get("", response_model=PostPage, summary="List posts (filters, cursor pagination)")
def list_posts(
    who: Reader,
    db: Db,
    business_id: uuid.UUID | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    platform: Platform | None = None,
    pillar: Annotated[str | None, Query(max_length=120)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text search")] = None,
    from_: Annotated[
        datetime | None,
        Query(alias="from", description="Planned/published/created at or after (with offset)"),
    ] = None,
    to: Annotated[datetime | None, Query(description="... and before (with offset)")] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PostPage:
    """Newest planned first (planned, else published, else created time)."""
    if any("\x00" in (v or "") for v in (pillar, q, cursor)):
        raise ApiProblem("invalid-request", "Query text may not contain NUL characters.")
    where = [Business.user_id == who.user_id]
    if business_id is not None:
        where.append(Content.business_id == business_id)
    if status_:
        where.append(Content.status == status_)
    if platform:
        where.append(Content.platform == platform)
    if pillar:
        where.append(Content.pillar == pillar)
    if q and q.strip():
        term = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            sa.or_(
                col(Content.text).ilike(term, escape="\\"),
                col(Content.pillar).ilike(term, escape="\\"),
            )
        )
    when = _sort_time()
    if _aware(from_, "from"):
        where.append(when >= from_)
    if _aware(to, "to"):
        where.append(when < to)
    if cursor:
        at, cid = _decode(cursor)
        where.append(sa.or_(when < at, sa.and_(when == at, col(Content.id) < cid)))
    # Plain rows (Core), not ORM objects: a page is read-only and this is the hot path.
    rows = db.execute(
        sa.select(*(Content.__table__.c[name] for name in POST_COLUMNS))
        .join(Business, Business.id == Content.business_id)
        .where(*where)
        .order_by(when.desc(), col(Content.id).desc())
        .limit(limit + 1)
    ).all()
    items = [post_out(c) for c in rows[:limit]]
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = _encode(last.scheduled_for or last.published_at or last.created_at, last.id)
    return PostPage(items=items, next_cursor=nxt)


@router.post("", response_model=Post, status_code=status.HTTP_201_CREATED, summary="Create a draft")
def create_post(body: PostCreate, who: Writer, db: Db, response: Response) -> Post:
    row = content.create_draft(
        body.business_id,
        body.platform,
        body.text,
        user_id=who.user_id,
        session=db,
        pillar=body.pillar.strip(),
        hashtags=[h.strip().lstrip("#") for h in body.hashtags if h.strip().lstrip("#")],
    )
    response.headers["Location"] = f"/api/v1/content/{row.id}"
    return post_out(row)


@router.get("/{content_id}", response_model=Post, summary="One post")
def get_post(content_id: uuid.UUID, who: Reader, db: Db) -> Post:
    return post_out(content.get_owned(content_id, user_id=who.user_id, session=db))


@router.patch("/{content_id}", response_model=Post, summary="Edit text, hashtags or pillar")
def update_post(content_id: uuid.UUID, body: PostUpdate, who: Writer, db: Db) -> Post:
    row = content.get_owned(content_id, user_id=who.user_id, session=db)
    if body.text is not None or body.hashtags is not None:
        row = content.save_text(
            content_id,
            row.text if body.text is None else body.text,
            body.hashtags,
            user_id=who.user_id,
            session=db,
        )
    if body.pillar is not None:
        row = content.set_pillar(content_id, body.pillar, user_id=who.user_id, session=db)
    return post_out(row)


@router.post("/{content_id}/schedule", response_model=Post, summary="Schedule at a time")
def schedule_post(content_id: uuid.UUID, body: ScheduleRequest, who: Writer, db: Db) -> Post:
    when = body.at
    if when.tzinfo is None:
        tz = body.time_zone or content.user_timezone(who.user_id, session=db)
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ApiProblem(
                "invalid-request", f"“{tz}” is not a known time zone (use an IANA name)."
            ) from None
        when = planning.local_to_utc(when.date(), when.strftime("%H:%M"), tz)
    elif body.time_zone:
        raise ApiProblem(
            "invalid-request", "Give either an offset in `at` or a `time_zone`, not both."
        )
    row = content.schedule(
        content_id,
        when,
        user_id=who.user_id,
        session=db,
        account_id=str(body.account_id) if body.account_id else None,
    )
    return post_out(row)


@router.post("/{content_id}/publish", response_model=Post, summary="Publish now")
def publish_post(
    content_id: uuid.UUID, who: Writer, db: Db, body: PublishRequest | None = None
) -> Post:
    account = body.account_id if body else None
    row = content.publish_now(
        content_id, user_id=who.user_id, session=db, account_id=str(account) if account else None
    )
    return post_out(row)


@router.post("/{content_id}/unschedule", response_model=Post, summary="Back to draft")
def unschedule_post(content_id: uuid.UUID, who: Writer, db: Db) -> Post:
    return post_out(content.unschedule(content_id, user_id=who.user_id, session=db))


@router.post(
    "/{content_id}/retry",
    response_model=ActionResult,
    summary="Retry a failed post (or check a needs-attention one again)",
)
def retry_post(content_id: uuid.UUID, who: Writer, db: Db) -> ActionResult:
    message = content.retry_publish(content_id, user_id=who.user_id, session=db)
    row = content.get_owned(content_id, user_id=who.user_id, session=db)
    return ActionResult(message=message, post=post_out(row))


@router.delete(
    "/{content_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a post",
    response_class=Response,
)
def delete_post(content_id: uuid.UUID, who: Writer, db: Db) -> Response:
    content.delete_content(content_id, user_id=who.user_id, session=db)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
