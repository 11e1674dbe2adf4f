"""One row per publish try, so every attempt and its outcome can be audited."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import created_at_field, ts_field, uuid_pk


class PublishAttempt(SQLModel, table=True):
    __tablename__ = "publish_attempts"
    __table_args__ = (
        sa.UniqueConstraint("content_id", "attempt_no", name="uq_publish_attempt_no"),
    )

    id: uuid.UUID = uuid_pk()
    content_id: uuid.UUID = Field(foreign_key="content.id", index=True, ondelete="CASCADE")
    attempt_no: int
    started_at: datetime = created_at_field()
    finished_at: datetime | None = ts_field()
    # published | retry | failed | unknown | auth | reconciled_found | reconciled_absent
    outcome: str | None = Field(default=None, max_length=30)
    http_status: int | None = Field(default=None)
    error: str | None = Field(default=None, sa_type=sa.Text)
    remote_id: str | None = Field(default=None, max_length=255)
