"""A founder for AI, strategy and job tests: a user whose business went through the
wizard's own `save_step` (so the profile is one the product really accepts)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from aigrowth.accounts.models import User
from aigrowth.businesses.models import Business
from aigrowth.businesses.service import save_step


def make_founder(
    session: Session, steps: dict[int, dict[str, Any]], *, timezone: str = "UTC"
) -> tuple[User, Business]:
    """``steps`` maps a wizard step to its form data; every step must validate."""
    user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", timezone=timezone)
    session.add(user)
    session.commit()
    business: Business | None = None
    for step, data in steps.items():
        business, errors = save_step(
            business.id if business else None, step, data, user_id=user.id, session=session
        )
        assert not errors, errors
    assert business is not None
    return user, business
