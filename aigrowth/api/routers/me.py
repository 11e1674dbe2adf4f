"""GET /auth/me: who the key belongs to."""

from __future__ import annotations

from aigrowth.accounts.models import User
from aigrowth.api.deps import Db, Reader
from aigrowth.api.problems import ApiProblem
from aigrowth.api.routing import api_router
from aigrowth.api.schemas import Me
from aigrowth.billing.plans import effective_plan

router = api_router(tags=["auth"])


@router.get("/auth/me", response_model=Me, summary="The key's owner")
def me(who: Reader, db: Db) -> Me:
    user = db.get(User, who.user_id)
    if user is None:
        raise ApiProblem("unauthorized", "This API key is not valid or was revoked.")
    return Me(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        timezone=user.timezone or "UTC",
        plan=effective_plan(user.id, session=db),
        key_scope="write" if who.can_write else "read",
    )
