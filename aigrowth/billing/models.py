"""Subscriptions, AI usage and processed Stripe events."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import UTCDateTime, created_at_field, json_field, ts_field, utcnow, uuid_pk


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(
        foreign_key="users.id", ondelete="CASCADE", sa_column_kwargs={"unique": True}
    )
    plan: str = Field(default="free", max_length=30)
    # Stripe's status: active, trialing, past_due, canceled, incomplete, ...
    status: str = Field(default="active", max_length=30)
    stripe_customer_id: str | None = Field(default=None, max_length=255, index=True)
    stripe_subscription_id: str | None = Field(default=None, max_length=255, index=True)
    current_period_end: datetime | None = ts_field()
    cancel_at_period_end: bool = Field(default=False)
    # When the subscription ends if it was cancelled (period end, or a chosen date).
    cancel_at: datetime | None = ts_field()
    stripe_price_id: str | None = Field(default=None, max_length=255)
    # First time Stripe reported past_due for this run of failed payments (grace period).
    past_due_since: datetime | None = ts_field()
    # The last Checkout Session whose completion a webhook confirmed (return page).
    checkout_session_id: str | None = Field(default=None, max_length=255)
    # When the row was last re-read from Stripe's API.
    synced_at: datetime | None = ts_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class UsageLog(SQLModel, table=True):
    """One metered action (an AI call, a generated post...), with tokens and cost."""

    __tablename__ = "usage_logs"
    __table_args__ = (sa.Index("ix_usage_logs_user_created", "user_id", "created_at"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    business_id: uuid.UUID | None = Field(
        default=None, foreign_key="businesses.id", ondelete="SET NULL"
    )
    # e.g. ai_strategy, ai_posts, ai_rewrite, post_published
    kind: str = Field(max_length=50)
    quantity: int = Field(default=1)
    model: str = Field(default="", max_length=120)
    tokens_in: int = Field(default=0)
    tokens_out: int = Field(default=0)
    cost_usd: float = Field(default=0.0)
    cache_hit: bool = Field(default=False)
    meta: dict = json_field()
    created_at: datetime = created_at_field()


class StripeEvent(SQLModel, table=True):
    """Processed Stripe event ids: a webhook delivered twice is handled once."""

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
