"""Daily metric snapshots: one row per post per day. Missing figures are NULL, not 0."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import created_at_field, uuid_pk


class AnalyticsSnapshot(SQLModel, table=True):
    __tablename__ = "analytics"
    __table_args__ = (
        sa.UniqueConstraint("content_id", "day", name="uq_analytics_content_day"),
        sa.Index("ix_analytics_business_day", "business_id", "day"),
    )

    id: uuid.UUID = uuid_pk()
    content_id: uuid.UUID = Field(foreign_key="content.id", index=True, ondelete="CASCADE")
    business_id: uuid.UUID = Field(foreign_key="businesses.id", ondelete="CASCADE")
    platform: str = Field(max_length=20)
    day: date
    impressions: int | None = Field(default=None)
    reach: int | None = Field(default=None)
    likes: int | None = Field(default=None)
    comments: int | None = Field(default=None)
    shares: int | None = Field(default=None)
    clicks: int | None = Field(default=None)
    saves: int | None = Field(default=None)
    engagement_rate: float | None = Field(default=None)
    fetched_at: datetime = created_at_field()
