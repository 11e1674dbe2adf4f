"""Editing a post: text with versions, pillar, variants for other platforms, AI rewrites,
drafts and deletion. Every change goes through the guarded write (content/access.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from aigrowth.ai.service import rewrite_post
from aigrowth.content import planning
from aigrowth.content.access import (
    CONTENT_TABLE,
    DELETABLE,
    EDITABLE,
    C,
    ContentError,
    NotFound,
    ai_errors,
    changed_meanwhile,
    format_local,
    get_owned,
    known_platform,
    owned_business,
    refuse_unless,
    rows_hit,
    status_values,
    user_timezone,
    write_if,
)
from aigrowth.content.figures import Figure, latest_figures
from aigrowth.content.library import pillars_of
from aigrowth.content.media import MediaItem, list_media
from aigrowth.content.models import Content, ContentStatus, ContentVersion
from aigrowth.content.scheduling import should_watch, status_message
from aigrowth.dbtypes import utcnow
from aigrowth.ids import parse_uuid
from aigrowth.platforms import PLATFORM_RULES, normalise_hashtag
from aigrowth.social.models import SocialAccount
from aigrowth.strategy.models import Strategy


class VersionRow(TypedDict):
    id: str
    text: str
    hashtags: str  # "#a #b"
    reason: str  # edit | restore | ai
    when: str  # in the user's time zone


class VariantRow(TypedDict):
    id: str
    platform: str
    status: str
    current: str  # "1" for the post being edited


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
    refuse_unless(content, EDITABLE, "edit")
    new_tags = (
        content.hashtags
        if hashtags is None
        else [t for t in (normalise_hashtag(h) for h in hashtags) if t]
    )
    if text == content.text and list(new_tags or []) == list(content.hashtags or []):
        return content
    return write_if(
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
) -> list[VersionRow]:
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
    version = session.get(ContentVersion, parse_uuid(version_id))
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
    refuse_unless(content, EDITABLE, "edit")
    return write_if(content, EDITABLE, "edit", session=session, pillar=pillar.strip()[:120])


def delete_content(content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> None:
    """Delete a post from the studio (a published post stays on the platform)."""
    content = get_owned(content_id, user_id=user_id, session=session)
    refuse_unless(content, DELETABLE, "delete")
    hit = rows_hit(
        session.execute(
            sa.delete(CONTENT_TABLE).where(
                C.id == content.id, C.status.in_(status_values(DELETABLE))
            )
        )
    )
    if hit != 1:
        session.rollback()
        raise changed_meanwhile(content.id, "delete", session=session)
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
    known_platform(platform)
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
    known_platform(platform)
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
) -> list[VariantRow]:
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


# --------------------------------------------------------------------------- AI
def optimise_with_ai(
    content_id: uuid.UUID | str, feedback: str, *, user_id: uuid.UUID, session: Session
) -> Content:
    """Rewrite a post with the AI layer (the LLM when a key is set, else the offline
    writer); the old text is kept as a version. AI refusals become ContentError."""
    content = get_owned(content_id, user_id=user_id, session=session)
    refuse_unless(content, EDITABLE, "rewrite")
    with ai_errors(session):
        rewrite_post(content.id, feedback.strip(), user_id=user_id, session=session)
    session.expire_all()
    return get_owned(content_id, user_id=user_id, session=session)


# --------------------------------------------------------------------------- the editor screen
class AttachedImage(TypedDict):
    media_id: str
    url: str
    alt: str


@dataclass
class EditorView:
    """Everything the editor shows about one post when it opens (or re-reads) it."""

    content_id: str
    platform: str
    status: str
    pillar: str
    text: str
    hashtags: list[str]
    last_error: str
    status_note: str  # the failure / needs-attention message in plain words
    remote_url: str
    published_label: str
    due_soon: bool  # the publisher will move it soon: the editor watches it
    media: list[AttachedImage]
    business_id: str
    business_name: str
    author_name: str  # the preview's author: the publishing account, else the business
    author_handle: str
    instance_limit: int  # a Mastodon instance's own character limit (0: the platform's)
    tz: str
    sched_date: str  # the date/time pickers: the planned time, else tomorrow 09:00
    sched_time: str
    when_label: str
    figures: list[Figure] = field(default_factory=list)
    figures_day: str = ""
    figures_fetched: str = ""
    versions: list[VersionRow] = field(default_factory=list)
    variants: list[VariantRow] = field(default_factory=list)
    library_media: list[MediaItem] = field(default_factory=list)
    pillar_options: list[str] = field(default_factory=list)


def editor_view(
    content_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    now: datetime | None = None,
) -> EditorView:
    """The editor's view model of a post; NotFound when it is not the user's."""
    content = get_owned(content_id, user_id=user_id, session=session)
    tz = user_timezone(user_id, session=session)
    business = owned_business(content.business_id, user_id=user_id, session=session)
    author_name = business.name
    author_handle = "@" + "".join(ch for ch in business.name.lower() if ch.isalnum())
    instance_limit = 0
    if content.social_account_id:
        account = session.get(SocialAccount, content.social_account_id)
        if account is not None:
            author_name = account.display_name or business.name
            author_handle = "@" + (account.handle or "").lstrip("@")
            instance_limit = int((account.meta or {}).get("max_characters") or 0)
    published_label = format_local(content.published_at, tz) if content.published_at else ""
    if content.scheduled_for:
        local = planning.utc_to_local(content.scheduled_for, tz)
        sched_date, sched_time = local.date().isoformat(), local.strftime("%H:%M")
        word = "Scheduled for" if content.status == "scheduled" else "Planned for"
        when_label = f"{word} {format_local(content.scheduled_for, tz)}"
    else:
        tomorrow = planning.utc_to_local(now or utcnow(), tz).date() + timedelta(days=1)
        sched_date, sched_time = tomorrow.isoformat(), "09:00"
        when_label = "Not scheduled"
    if published_label:
        when_label = f"Published {published_label}"
    figures = (
        latest_figures(content.id, user_id=user_id, session=session)
        if content.status == ContentStatus.PUBLISHED
        else None
    )
    return EditorView(
        content_id=str(content.id),
        platform=content.platform,
        status=content.status,
        pillar=content.pillar,
        text=content.text,
        hashtags=list(content.hashtags or []),
        last_error=content.last_error or "",
        status_note=status_message(content.status, content.last_error or ""),
        remote_url=content.remote_url or "",
        published_label=published_label,
        due_soon=should_watch(content.status, content.scheduled_for, content.next_attempt_at),
        media=[
            AttachedImage(
                media_id=m.get("media_id", ""), url=m.get("url", ""), alt=m.get("alt", "")
            )
            for m in content.media or []
        ],
        business_id=str(business.id),
        business_name=business.name,
        author_name=author_name,
        author_handle=author_handle,
        instance_limit=instance_limit,
        tz=tz,
        sched_date=sched_date,
        sched_time=sched_time,
        when_label=when_label,
        figures=figures.metrics if figures else [],
        figures_day=figures.day if figures else "",
        figures_fetched=figures.fetched if figures else "",
        versions=list_versions(content.id, user_id=user_id, session=session, tz=tz),
        variants=list_variants(content.id, user_id=user_id, session=session),
        library_media=list_media(content.business_id, user_id=user_id, session=session),
        pillar_options=pillars_of(content.business_id, user_id=user_id, session=session),
    )
