"""Daily metrics pull: one row per post per day, engagement rate computed.

Run at 03:00 UTC by the scheduler (`workers.analytics_jobs.pull_all`). Accounts are
independent: a revoked token or a platform outage on one account is logged and the
others carry on. Posts of one account are fetched one after another (platform rate
limits are per account); a 429 waits out a short Retry-After once, else the account is
skipped until tomorrow. Accounts run in parallel threads, since waiting on platforms
is the cost.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from aigrowth.analytics.models import AccountMetricsDaily, AnalyticsSnapshot
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.social.models import platform_label

log = logging.getLogger(__name__)

C = Content.__table__.c
SNAP = AnalyticsSnapshot.__table__
ACC = AccountMetricsDaily.__table__

WINDOW_DAYS = 30
# A Retry-After up to this long is waited out; longer skips the account for today.
MAX_INLINE_WAIT_S = 60.0
THREADS = 8


def engagement_rate(
    *,
    impressions: int | None,
    reach: int | None = None,
    likes: int | None = None,
    comments: int | None = None,
    shares: int | None = None,
    saves: int | None = None,
    clicks: int | None = None,
) -> float | None:
    """Interactions ÷ impressions (or reach when the platform has no impressions).

    None when there is no denominator (Bluesky and Mastodon give no views): a missing
    figure is unknown, not zero. Interactions the platform does not report count as 0
    only when at least one is reported.
    """
    denominator = impressions if impressions else reach
    parts = [likes, comments, shares, saves, clicks]
    if not denominator or all(p is None for p in parts):
        return None
    return round(sum(p or 0 for p in parts) / denominator, 6)


@dataclass
class PullStats:
    posts: int = 0
    rows: int = 0
    failed_accounts: int = 0
    skipped_accounts: int = 0
    account_rows: int = 0
    account_failures: int = 0


_SNAP_FIGURES = (
    "impressions", "reach", "likes", "comments", "shares", "clicks", "saves", "engagement_rate",
)  # fmt: skip
_ACCOUNT_FIGURES = ("followers", "following", "posts", "profile_views", "reach", "impressions")


def _upsert(
    s: Session,
    values: dict[str, Any],
    *,
    table: sa.Table = SNAP,
    key: tuple[str, str] = ("content_id", "day"),
    figures: tuple[str, ...] = _SNAP_FIGURES,
) -> None:
    """Insert the day's row or overwrite its figures (a second pull the same day)."""
    dialect = s.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(**values)
    update = {k: stmt.excluded[k] for k in (*figures, "fetched_at")}
    s.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=update))


def _ref(engine: Engine, account_id: uuid.UUID) -> Any:
    """Decrypted account, refreshed first when about to expire (social service)."""
    from aigrowth.social import service as social

    with Session(engine, expire_on_commit=False) as s:
        ref = social.ensure_fresh_token(account_id, session=s)
        s.commit()
        return ref


def _pull_account_metrics(engine: Engine, account: Any, day: date) -> None:
    """Today's account figures for one account (raises on a platform error)."""
    from aigrowth.social.connectors.base import get_connector

    ref = _ref(engine, account.id)
    figures = get_connector(account.platform).fetch_account_metrics(ref)
    values = {
        "id": uuid.uuid4(),
        "social_account_id": account.id,
        "business_id": account.business_id,
        "platform": account.platform,
        "day": day,
        **{name: getattr(figures, name) for name in _ACCOUNT_FIGURES},
        "fetched_at": utcnow(),
    }
    with Session(engine) as s:
        _upsert(s, values, table=ACC, key=("social_account_id", "day"), figures=_ACCOUNT_FIGURES)
        s.commit()


def pull_account_metrics(
    *, engine: Engine, day: date, business_id: uuid.UUID | None = None
) -> tuple[int, int]:
    """One row per connected account for `day`; returns (rows, failed accounts).

    An account that needs reconnecting is skipped; a platform error on one account is
    logged and never stops the others.
    """
    from aigrowth.social.models import AccountStatus, SocialAccount

    A = SocialAccount.__table__.c
    query = sa.select(A.id, A.platform, A.business_id).where(
        A.status != AccountStatus.NEEDS_RECONNECT.value
    )
    if business_id is not None:
        query = query.where(A.business_id == business_id)
    with Session(engine) as s:
        accounts = s.execute(query).all()

    def run(account: Any) -> bool:
        try:
            _pull_account_metrics(engine, account, day)
            return True
        except Exception as exc:  # one account never stops the others
            log.warning(
                "Account metrics of %s account %s failed: %s",
                platform_label(account.platform),
                account.id,
                exc,
            )
            return False

    if not accounts:
        return 0, 0
    with ThreadPoolExecutor(max_workers=min(THREADS, len(accounts))) as pool:
        results = list(pool.map(run, accounts))
    return sum(results), len(results) - sum(results)


def _store(engine: Engine, post: Any, metrics: Any, day: date) -> None:
    values = {
        "id": uuid.uuid4(),
        "content_id": post.id,
        "business_id": post.business_id,
        "platform": post.platform,
        "day": day,
        "impressions": metrics.impressions,
        "reach": metrics.reach,
        "likes": metrics.likes,
        "comments": metrics.comments,
        "shares": metrics.shares,
        "clicks": metrics.clicks,
        "saves": metrics.saves,
        "engagement_rate": engagement_rate(
            impressions=metrics.impressions,
            reach=metrics.reach,
            likes=metrics.likes,
            comments=metrics.comments,
            shares=metrics.shares,
            saves=metrics.saves,
            clicks=metrics.clicks,
        ),
        "fetched_at": utcnow(),
    }
    with Session(engine) as s:
        _upsert(s, values)
        s.commit()


def _pull_account(engine: Engine, account_id: uuid.UUID, posts: list[Any], day: date) -> int:
    from aigrowth.social.connectors.base import (
        AuthError,
        PublishContext,
        RetryableError,
        get_connector,
    )

    platform = posts[0].platform
    connector = get_connector(platform)
    try:
        ref = _ref(engine, account_id)
    except AuthError as exc:
        log.warning("Analytics: %s account %s needs reconnecting: %s", platform, account_id, exc)
        raise
    rows = 0
    for post in posts:
        ctx = PublishContext(account=ref, text=post.text or "", publish_state=post.publish_state)
        waited = False
        while True:
            try:
                metrics = connector.fetch_metrics(ctx, post.remote_id)
                break
            except RetryableError as exc:
                wait = float(exc.retry_after or 5.0)
                if waited or wait > MAX_INLINE_WAIT_S:
                    log.warning(
                        "Analytics: %s rate limited for %s; rest of the account tomorrow",
                        platform_label(platform),
                        account_id,
                    )
                    return rows
                waited = True
                time.sleep(wait)
            except AuthError:
                raise
            except Exception as exc:  # one post (e.g. deleted on the platform) is skipped
                log.info("Analytics: metrics of %s unavailable: %s", post.id, exc)
                metrics = None
                break
        if metrics is not None:
            _store(engine, post, metrics, day)
            rows += 1
    return rows


def pull_all(
    *,
    engine: Engine | None = None,
    day: date | None = None,
    now: datetime | None = None,
    business_id: uuid.UUID | None = None,
) -> PullStats:
    """Fetch today's counters for every post published in the last 30 days and today's
    figures of every connected account (of one business when `business_id` is given)."""
    if engine is None:
        from aigrowth.db import get_engine

        engine = get_engine()
    now = now or utcnow()
    day = day or now.date()
    since = now - timedelta(days=WINDOW_DAYS)
    with Session(engine) as s:
        posts = s.execute(
            sa.select(
                C.id,
                C.business_id,
                C.platform,
                C.social_account_id,
                C.remote_id,
                C.text,
                C.publish_state,
            ).where(
                C.status == ContentStatus.PUBLISHED.value,
                C.published_at >= since,
                C.remote_id.is_not(None),
                C.social_account_id.is_not(None),
                *([C.business_id == business_id] if business_id is not None else []),
            )
        ).all()
    by_account: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for p in posts:
        by_account[p.social_account_id].append(p)
    stats = PullStats(posts=len(posts))

    def run(item: tuple[uuid.UUID, list[Any]]) -> int | None:
        account_id, account_posts = item
        try:
            return _pull_account(engine, account_id, account_posts, day)
        except Exception as exc:  # one account never stops the others
            log.warning("Analytics pull failed for account %s: %s", account_id, exc)
            return None

    if by_account:
        with ThreadPoolExecutor(max_workers=min(THREADS, len(by_account))) as pool:
            for result in pool.map(run, by_account.items()):
                if result is None:
                    stats.failed_accounts += 1
                else:
                    stats.rows += result
    stats.account_rows, stats.account_failures = pull_account_metrics(
        engine=engine, day=day, business_id=business_id
    )
    log.info(
        "Analytics pull: %d posts, %d rows, %d accounts failed; %d account rows, %d failed",
        stats.posts,
        stats.rows,
        stats.failed_accounts,
        stats.account_rows,
        stats.account_failures,
    )
    return stats
