"""The in-app notifications table (the bell); the service beside it creates and reads them."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import created_at_field, ts_field, uuid_pk


class Notification(SQLModel, table=True):
    """In-app notification (bell). `dedupe_key` makes "one per failure" a DB guarantee."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=50)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_type=sa.Text)
    link: str = Field(default="", max_length=500)
    dedupe_key: str | None = Field(default=None, max_length=200, sa_column_kwargs={"unique": True})
    created_at: datetime = created_at_field()
    read_at: datetime | None = ts_field()
    emailed_at: datetime | None = ts_field()
