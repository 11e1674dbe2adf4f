"""Periodic token refresh: every 6 h, tokens expiring within 12 h are refreshed.

Platforms that renew a long-lived token with the token itself (Threads) have no refresh
token and must not be left to expire while an account is idle: they are renewed when
less than RENEWABLE_HORIZON is left.

Refresh itself (serialised per account, rotated refresh tokens saved before use,
`invalid_grant` → needs_reconnect + one notification) is the social service's
`ensure_fresh_token`; this loop only picks the accounts and isolates failures.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from aigrowth.db import get_engine
from aigrowth.dbtypes import utcnow
from aigrowth.platforms import PLATFORMS
from aigrowth.social import service as social
from aigrowth.social.connectors.base import get_connector
from aigrowth.social.models import AccountStatus, SocialAccount

log = logging.getLogger(__name__)

S = SocialAccount.__table__.c
HORIZON = timedelta(hours=12)
RENEWABLE_HORIZON = timedelta(days=7)


def _renewable_platforms() -> list[str]:
    return [p for p in PLATFORMS if get_connector(p).refresh_with_access_token]


def refresh_expiring(*, engine: Engine | None = None, horizon: timedelta = HORIZON) -> dict:
    engine = engine or get_engine()
    now = utcnow()
    with Session(engine) as s:
        ids = (
            s.execute(
                sa.select(S.id).where(
                    S.status != AccountStatus.NEEDS_RECONNECT.value,
                    S.token_expires_at.is_not(None),
                    sa.or_(
                        sa.and_(
                            S.refresh_token_enc.is_not(None),
                            S.token_expires_at < now + horizon,
                        ),
                        sa.and_(
                            S.platform.in_(_renewable_platforms()),
                            S.access_token_enc.is_not(None),
                            S.token_expires_at < now + max(horizon, RENEWABLE_HORIZON),
                        ),
                    ),
                )
            )
            .scalars()
            .all()
        )
    stats = {"accounts": len(ids), "refreshed": 0, "failed": 0}
    if not ids:
        return stats
    for account_id in ids:
        try:
            with Session(engine, expire_on_commit=False) as s:
                current = social.account_ref(account_id, session=s)
                # force: the connector's own margin is minutes; ours is hours. The
                # stale token makes a concurrent refresh (publish path) count as done.
                social.ensure_fresh_token(
                    account_id, session=s, force=True, stale_access_token=current.access_token
                )
                s.commit()
            stats["refreshed"] += 1
        except Exception as exc:  # one account never stops the others
            stats["failed"] += 1
            log.warning("Token refresh failed for account %s: %s", account_id, exc)
    return stats
