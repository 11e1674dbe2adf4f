"""Posts (one row per platform variant), their versions and media.

The status column follows the publishing state machine of DESIGN.md §6; the publishing
columns (attempts, lease_until, idempotency_key, remote_*) belong to that machine.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import (
    UTCDateTime,
    created_at_field,
    json_field,
    ts_field,
    utcnow,
    uuid_pk,
)


class ContentStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"


class ContentType(enum.StrEnum):
    POST = "post"
    THREAD = "thread"
    ARTICLE = "article"


class Content(SQLModel, table=True):
    __tablename__ = "content"
    __table_args__ = (
        sa.Index("ix_content_business_status", "business_id", "status"),
        sa.Index("ix_content_business_scheduled", "business_id", "scheduled_for"),
        sa.Index("ix_content_status_scheduled", "status", "scheduled_for"),
    )

    id: uuid.UUID = uuid_pk()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True, ondelete="CASCADE")
    strategy_id: uuid.UUID | None = Field(
        default=None, foreign_key="strategies.id", ondelete="SET NULL"
    )
    social_account_id: uuid.UUID | None = Field(
        default=None, foreign_key="social_accounts.id", index=True, ondelete="SET NULL"
    )
    # Variants of one idea across platforms share a group id; each keeps its own status.
    group_id: uuid.UUID | None = Field(default=None, index=True)
    platform: str = Field(max_length=20)
    pillar: str = Field(default="", max_length=120)
    content_type: str = Field(default=ContentType.POST, max_length=20)
    title: str = Field(default="", max_length=300)
    text: str = Field(default="", sa_type=sa.Text)
    hashtags: list = json_field(list)
    # List of {media_id, url, alt} dicts.
    media: list = json_field(list)
    # Extra parts of a thread (X reply chain), in order.
    thread_parts: list = json_field(list)
    status: str = Field(default=ContentStatus.DRAFT, max_length=20)
    scheduled_for: datetime | None = ts_field()
    published_at: datetime | None = ts_field()
    remote_id: str | None = Field(default=None, max_length=255)
    remote_url: str | None = Field(default=None, max_length=1000)
    attempts: int = Field(default=0)
    lease_until: datetime | None = ts_field()
    # Who holds the lease (host:pid:job): the reconciler takes a post over only when
    # the lease expired AND this holder's heartbeat in Redis is gone.
    lease_owner: str | None = Field(default=None, max_length=120)
    next_attempt_at: datetime | None = ts_field()
    idempotency_key: str | None = Field(default=None, max_length=255)
    # Provider-side state kept across attempts (e.g. Instagram/Threads container id).
    publish_state: dict = json_field()
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    ai_generated: bool = Field(default=False)
    offline_draft: bool = Field(default=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ContentVersion(SQLModel, table=True):
    """A previous text of a post (kept on edit and on AI optimisation)."""

    __tablename__ = "content_versions"

    id: uuid.UUID = uuid_pk()
    content_id: uuid.UUID = Field(foreign_key="content.id", index=True, ondelete="CASCADE")
    text: str = Field(default="", sa_type=sa.Text)
    hashtags: list = json_field(list)
    reason: str = Field(default="edit", max_length=50)
    created_at: datetime = created_at_field()


class MediaAsset(SQLModel, table=True):
    __tablename__ = "media_assets"

    id: uuid.UUID = uuid_pk()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True, ondelete="CASCADE")
    filename: str = Field(max_length=255)
    stored_name: str = Field(max_length=255, sa_column_kwargs={"unique": True})
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(default=0)
    width: int | None = Field(default=None)
    height: int | None = Field(default=None)
    alt_text: str = Field(default="", max_length=1500)
    created_at: datetime = created_at_field()
