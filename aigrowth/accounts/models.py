"""Users, their sign-in identities and server-side sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import UTCDateTime, created_at_field, ts_field, utcnow, uuid_pk
from aigrowth.notifications.models import Notification as Notification  # moved there


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=320, sa_column_kwargs={"unique": True}, index=True)
    full_name: str = Field(default="", max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    timezone: str = Field(default="UTC", max_length=64)
    is_admin: bool = Field(default=False)
    is_active: bool = Field(default=True)
    email_verified_at: datetime | None = ts_field()
    last_login_at: datetime | None = ts_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class UserIdentity(SQLModel, table=True):
    """An external sign-in identity, matched by (issuer, subject), never by email alone."""

    __tablename__ = "user_identities"
    __table_args__ = (sa.UniqueConstraint("issuer", "subject", name="uq_identity_issuer_subject"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    issuer: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=320)
    created_at: datetime = created_at_field()


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of the cookie token is stored."""

    __tablename__ = "sessions"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, index=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    revoked_at: datetime | None = ts_field()
    user_agent: str = Field(default="", max_length=512)
    ip_address: str = Field(default="", max_length=64)


class PasswordResetToken(SQLModel, table=True):
    """An emailed link (reset, sign-up confirmation, email change); the purpose is
    bound into `token_hash`. A link carries what it may change: a confirmation sets the
    `password_hash` chosen in *its* sign-up, an email change sets its `new_email`."""

    __tablename__ = "password_reset_tokens"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = ts_field()
    password_hash: str | None = Field(default=None, max_length=255)
    new_email: str | None = Field(default=None, max_length=320)
