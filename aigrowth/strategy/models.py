"""Versioned marketing strategies: regenerating makes version n+1 the active one."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import created_at_field, json_field, ts_field, uuid_pk


class Strategy(SQLModel, table=True):
    __tablename__ = "strategies"
    __table_args__ = (
        sa.UniqueConstraint("business_id", "version", name="uq_strategy_business_version"),
    )

    id: uuid.UUID = uuid_pk()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True, ondelete="CASCADE")
    version: int = Field(default=1)
    is_active: bool = Field(default=True)
    # Structured strategy: platforms, pillars (with target share), cadence, tone, KPIs.
    content: dict = json_field()
    text: str = Field(default="", sa_type=sa.Text)
    # "ai", "offline" or "manual"
    source: str = Field(default="ai", max_length=20)
    model: str = Field(default="", max_length=120)
    created_at: datetime = created_at_field()


class StrategyProposal(SQLModel, table=True):
    """A re-plan from results: strategy version n+1 proposed as a diff, with reasons.

    Accepting it creates the new active version; dismissing changes nothing else.
    """

    __tablename__ = "strategy_proposals"

    id: uuid.UUID = uuid_pk()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True, ondelete="CASCADE")
    base_version: int
    # The full proposed strategy (StrategyOut shape) and the list of changes with reasons.
    content: dict = json_field()
    changes: list = json_field(list)
    summary: str = Field(default="", sa_type=sa.Text)
    # "pending", "accepted" or "dismissed"
    status: str = Field(default="pending", max_length=20)
    source: str = Field(default="offline", max_length=20)
    created_at: datetime = created_at_field()
    decided_at: datetime | None = ts_field()
