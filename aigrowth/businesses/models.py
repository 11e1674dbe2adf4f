"""A founder's business profile: the input every strategy and post is built from."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import UTCDateTime, created_at_field, json_field, utcnow, uuid_pk


class Business(SQLModel, table=True):
    __tablename__ = "businesses"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    industry: str = Field(default="", max_length=120)
    description: str = Field(default="", sa_type=sa.Text)
    website: str = Field(default="", max_length=500)
    target_audience: str = Field(default="", sa_type=sa.Text)
    # Structured audience details (demographics, pains, where they hang out).
    audience: dict = json_field()
    goals: list = json_field(list)
    brand_voice: str = Field(default="", sa_type=sa.Text)
    platforms: list = json_field(list)
    topics: list = json_field(list)
    # Onboarding progress, so a reload in the middle of the wizard loses nothing.
    onboarding_step: int = Field(default=1)
    onboarding_completed: bool = Field(default=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
