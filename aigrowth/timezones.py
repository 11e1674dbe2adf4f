"""The user's time zone: every local date and time the app shows or reads is in it."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from aigrowth.accounts.models import User


def user_timezone(user_id: uuid.UUID, *, session: Session) -> str:
    """The user's IANA time zone; "UTC" when they have none (or are gone)."""
    user = session.get(User, user_id)
    return (user.timezone if user else "") or "UTC"
