"""Connected social accounts and per-instance OAuth app registrations."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import UTCDateTime, created_at_field, json_field, ts_field, utcnow, uuid_pk
from aigrowth.platforms import PLATFORM_LABELS as PLATFORM_LABELS  # re-exported
from aigrowth.platforms import Platform as Platform  # re-exported
from aigrowth.platforms import platform_label as platform_label  # re-exported


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRING = "expiring"
    NEEDS_RECONNECT = "needs_reconnect"


class SocialAccount(SQLModel, table=True):
    __tablename__ = "social_accounts"
    __table_args__ = (
        sa.UniqueConstraint(
            "user_id", "platform", "instance_url", "account_id", name="uq_social_account"
        ),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    business_id: uuid.UUID | None = Field(
        default=None, foreign_key="businesses.id", index=True, ondelete="SET NULL"
    )
    platform: str = Field(max_length=20)
    # "profile" or "page" (LinkedIn organization, Facebook Page).
    account_type: str = Field(default="profile", max_length=20)
    account_id: str = Field(max_length=255)
    handle: str = Field(default="", max_length=255)
    display_name: str = Field(default="", max_length=255)
    avatar_url: str = Field(default="", max_length=1000)
    # Mastodon instance or Bluesky PDS; "" for centralised platforms.
    instance_url: str = Field(default="", max_length=500)
    # Fernet tokens (MultiFernet), plaintext bound to this row's id.
    access_token_enc: str | None = Field(default=None, sa_type=sa.Text)
    refresh_token_enc: str | None = Field(default=None, sa_type=sa.Text)
    token_expires_at: datetime | None = ts_field()
    refresh_expires_at: datetime | None = ts_field()
    scopes: str = Field(default="", max_length=1000)
    status: str = Field(default=AccountStatus.ACTIVE, max_length=20)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    last_published_at: datetime | None = ts_field()
    last_refreshed_at: datetime | None = ts_field()
    # Platform-specific details (e.g. instance character limit, page ids).
    meta: dict = json_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class MastodonApp(SQLModel, table=True):
    """Our app registration on one Mastodon instance, cached so we register once."""

    __tablename__ = "mastodon_apps"

    id: uuid.UUID = uuid_pk()
    instance_url: str = Field(max_length=500, sa_column_kwargs={"unique": True})
    redirect_uri: str = Field(max_length=1000)
    client_id: str = Field(max_length=255)
    client_secret_enc: str = Field(sa_type=sa.Text)
    created_at: datetime = created_at_field()
