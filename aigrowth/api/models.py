"""Tables of the public API: keys, idempotency records, webhook endpoints and deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aigrowth.dbtypes import created_at_field, json_field, ts_field, uuid_pk

READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)


class ApiKey(SQLModel, table=True):
    """A personal API key: only its SHA-256 is stored; ``prefix`` identifies it in lists."""

    __tablename__ = "api_keys"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=20)
    key_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    # "read" or "write" (write includes read).
    scope: str = Field(default=READ, max_length=10)
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = ts_field()
    revoked_at: datetime | None = ts_field()


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a POST with an ``Idempotency-Key``, per API key.

    The row is inserted before the request runs (status_code NULL = in progress); the
    unique (api_key_id, key) makes concurrent duplicates wait for and replay it.
    """

    __tablename__ = "api_idempotency"
    __table_args__ = (sa.UniqueConstraint("api_key_id", "key", name="uq_api_idempotency_key"),)

    id: uuid.UUID = uuid_pk()
    api_key_id: uuid.UUID = Field(foreign_key="api_keys.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = Field(default=None)
    response_headers: dict = json_field()
    response_body: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = created_at_field()


class WebhookEndpoint(SQLModel, table=True):
    """An HTTPS URL of the user's that receives signed event notifications."""

    __tablename__ = "webhook_endpoints"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list = json_field(list)
    # The signing secret, encrypted with the app's key (the user needs it back to verify).
    secret_enc: str = Field(sa_type=sa.Text)
    active: bool = Field(default=True)
    created_at: datetime = created_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint, with its attempts (status: pending → sending →
    succeeded | retrying | failed)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_key", name="uq_webhook_delivery_event"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: uuid.UUID = uuid_pk()
    endpoint_id: uuid.UUID = Field(
        foreign_key="webhook_endpoints.id", index=True, ondelete="CASCADE"
    )
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    # What happened, once (e.g. "post.published:<id>:<attempt>"): no double deliveries.
    event_key: str = Field(max_length=200)
    event_type: str = Field(max_length=50)
    payload: dict = json_field()
    status: str = Field(default="pending", max_length=20)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = ts_field()
    lease_until: datetime | None = ts_field()
    last_status_code: int | None = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    # Each attempt: {at, status_code, error, response (first 1 KB), ms}; the last 20.
    log: list = json_field(list)
    created_at: datetime = created_at_field()
    delivered_at: datetime | None = ts_field()
