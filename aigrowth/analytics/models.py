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


class AccountMetricsDaily(SQLModel, table=True):
    """Account-level figures (followers...) per connected account per day: what goals
    are measured against. NULL = the platform does not report the figure."""

    __tablename__ = "account_metrics"
    __table_args__ = (
        sa.UniqueConstraint("social_account_id", "day", name="uq_account_metrics_account_day"),
        sa.Index("ix_account_metrics_business_day", "business_id", "day"),
    )

    id: uuid.UUID = uuid_pk()
    social_account_id: uuid.UUID = Field(foreign_key="social_accounts.id", ondelete="CASCADE")
    # The account's business when pulled (NULL for an account not tied to a business).
    business_id: uuid.UUID | None = Field(
        default=None, foreign_key="businesses.id", ondelete="CASCADE"
    )
    platform: str = Field(max_length=20)
    day: date
    followers: int | None = Field(default=None)
    following: int | None = Field(default=None)
    posts: int | None = Field(default=None)
    profile_views: int | None = Field(default=None)
    reach: int | None = Field(default=None)
    impressions: int | None = Field(default=None)
    fetched_at: datetime = created_at_field()


class GoalValue(SQLModel, table=True):
    """A hand-entered current value of a KPI the platforms cannot measure (leads, sales)."""

    __tablename__ = "goal_values"
    __table_args__ = (sa.UniqueConstraint("business_id", "kpi", name="uq_goal_value_kpi"),)

    id: uuid.UUID = uuid_pk()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True, ondelete="CASCADE")
    kpi: str = Field(max_length=120)
    value: float
    updated_at: datetime = created_at_field()
