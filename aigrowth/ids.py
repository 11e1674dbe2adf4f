"""Ids that come from outside (URLs, forms, job arguments) as UUIDs."""

from __future__ import annotations

import uuid


def parse_uuid(value: uuid.UUID | str) -> uuid.UUID:
    """The UUID ``value`` names; ValueError when it names none."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def uuid_or_none(value: uuid.UUID | str | None) -> uuid.UUID | None:
    """The UUID ``value`` names, or None when it is empty or names none."""
    if not value:
        return None
    try:
        return parse_uuid(value)
    except ValueError:
        return None
