"""API keys: created (shown once), listed by prefix, revoked; authenticated by hash.

A key is ``agm_`` + 32 random bytes (URL-safe base64, 256 bits). Only its SHA-256 is
stored (a fast hash is right for a high-entropy secret: there is nothing to guess); the
first 12 characters stay visible so the user can tell keys apart. Revocation takes
effect on the next request: every request looks the hash up in the database.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from aigrowth.accounts.models import User
from aigrowth.api.models import READ, SCOPES, WRITE, ApiKey
from aigrowth.dbtypes import utcnow

KEY_PREFIX = "agm_"
PREFIX_CHARS = 12
MAX_ACTIVE_KEYS = 20
NAME_MAX = 100
# last_used_at is written at most this often per key (no write on every read request).
LAST_USED_RESOLUTION = timedelta(seconds=60)


class ApiKeyError(Exception):
    """Bad input for a key operation, with a message for the user; nothing changed."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's owner and what the key may do."""

    user_id: uuid.UUID
    key_id: uuid.UUID
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == WRITE


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(
    user_id: uuid.UUID, name: str, scope: str, *, session: Session
) -> tuple[ApiKey, str]:
    """A new key for the user; returns (row, the key itself — shown once, never stored)."""
    name = " ".join((name or "").split())
    if not name:
        raise ApiKeyError("Give the key a name, e.g. “Zapier” or “CSV import”.")
    if len(name) > NAME_MAX:
        raise ApiKeyError(f"Keep the name under {NAME_MAX} characters.")
    if scope not in SCOPES:
        raise ApiKeyError("Choose what the key may do: read only, or read and write.")
    active = session.exec(
        select(sa.func.count())
        .select_from(ApiKey)
        .where(ApiKey.user_id == user_id, col(ApiKey.revoked_at).is_(None))
    ).one()
    if int(active) >= MAX_ACTIVE_KEYS:
        raise ApiKeyError(f"You can have up to {MAX_ACTIVE_KEYS} active keys. Revoke one first.")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        user_id=user_id, name=name, prefix=raw[:PREFIX_CHARS], key_hash=hash_key(raw), scope=scope
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, raw


def list_keys(user_id: uuid.UUID, *, session: Session) -> list[ApiKey]:
    """The user's keys, active first, newest first."""
    return list(
        session.exec(
            select(ApiKey)
            .where(ApiKey.user_id == user_id)
            .order_by(col(ApiKey.revoked_at).is_not(None), col(ApiKey.created_at).desc())
        ).all()
    )


def revoke_key(key_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> ApiKey:
    """Revoke one of the user's keys (idempotent); another user's key is not found."""
    try:
        kid = key_id if isinstance(key_id, uuid.UUID) else uuid.UUID(str(key_id))
    except ValueError:
        raise ApiKeyError("That key was not found.") from None
    row = session.exec(select(ApiKey).where(ApiKey.id == kid, ApiKey.user_id == user_id)).first()
    if row is None:
        raise ApiKeyError("That key was not found.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def lookup(raw: str, *, session: Session) -> ApiKey | None:
    """The active key with this value whose owner is active, or None. No writes."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    return session.exec(
        select(ApiKey)
        .join(User, User.id == ApiKey.user_id)
        .where(
            ApiKey.key_hash == hash_key(raw),
            col(ApiKey.revoked_at).is_(None),
            User.is_active == True,  # noqa: E712
        )
    ).first()


def authenticate(raw: str, *, session: Session, now: datetime | None = None) -> Principal | None:
    """Check a bearer key; records its last use (at most once a minute).

    Runs on every API request: four columns through Core, no ORM objects."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    row = session.execute(
        sa.select(ApiKey.id, ApiKey.user_id, ApiKey.scope, ApiKey.last_used_at)
        .join(User, User.id == ApiKey.user_id)
        .where(
            ApiKey.key_hash == hash_key(raw),
            col(ApiKey.revoked_at).is_(None),
            User.is_active == True,  # noqa: E712
        )
    ).first()
    if row is None:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        session.execute(
            sa.update(ApiKey)
            .where(
                col(ApiKey.id) == row.id,
                sa.or_(
                    col(ApiKey.last_used_at).is_(None),
                    col(ApiKey.last_used_at) < now - LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
        )
        session.commit()
    return Principal(user_id=row.user_id, key_id=row.id, scope=row.scope or READ)
