"""Versioned marketing strategies: regenerating makes version n+1 the active one."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import created_at_field, json_field, uuid_pk


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
