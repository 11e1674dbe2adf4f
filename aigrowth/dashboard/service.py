"""The dashboard's one query set: what a founder needs to see first.

Everything is scoped by (user, business); the result is a plain dataclass of strings and
numbers the Reflex state can hold as it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from aigrowth.analytics.models import AnalyticsSnapshot
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.social.models import AccountStatus, SocialAccount
from aigrowth.strategy.models import Strategy

UPCOMING_LIMIT = 5
ATTENTION_LIMIT = 5
SNIPPET_CHARS = 110


@dataclass
class PostLine:
    id: str
    platform: str
    status: str
    when: str  # local time, already formatted for the user's time zone
    snippet: str
    detail: str = ""


@dataclass
class Step:
    title: str
    done: bool
    href: str
    action: str


@dataclass
class DashboardSummary:
    business_id: str = ""
    business_name: str = ""
    drafts: int = 0
    scheduled_next_7_days: int = 0
    published_last_30_days: int = 0
    needs_attention: int = 0
    accounts_connected: int = 0
    accounts_need_reconnect: int = 0
    impressions_30d: int | None = None
    engagements_30d: int | None = None
    avg_engagement_rate: float | None = None
    upcoming: list[PostLine] = field(default_factory=list)
    attention: list[PostLine] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def setup_complete(self) -> bool:
        return all(step.done for step in self.steps)


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def _local(instant, tz: ZoneInfo) -> str:  # type: ignore[no-untyped-def]
    if instant is None:
        return ""
    return instant.astimezone(tz).strftime("%a %d %b, %H:%M")


def _count(session: Session, *conditions) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(Content).where(*conditions)).one()


def _latest_metrics(business_id: uuid.UUID, since, *, session: Session):  # type: ignore[no-untyped-def]
    """Totals over each post's latest snapshot (counters are cumulative per post)."""
    latest = (
        select(
            AnalyticsSnapshot.content_id,
            func.max(AnalyticsSnapshot.day).label("day"),
        )
        .where(AnalyticsSnapshot.business_id == business_id, AnalyticsSnapshot.day >= since)
        .group_by(AnalyticsSnapshot.content_id)
        .subquery()
    )
    snap = AnalyticsSnapshot
    engagement = (
        func.coalesce(snap.likes, 0)
        + func.coalesce(snap.comments, 0)
        + func.coalesce(snap.shares, 0)
    )
    row = session.exec(
        select(
            func.sum(snap.impressions),
            func.sum(engagement),
            func.avg(snap.engagement_rate),
            func.count(),
        ).join(
            latest,
            sa.and_(snap.content_id == latest.c.content_id, snap.day == latest.c.day),
        )
    ).one()
    impressions, engagements, rate, rows = row
    if not rows:
        return None, None, None
    return (
        int(impressions) if impressions is not None else None,
        int(engagements) if engagements is not None else None,
        float(rate) if rate is not None else None,
    )


def dashboard_summary(
    business: Business | None, *, user_id: uuid.UUID, timezone: str, session: Session
) -> DashboardSummary:
    if business is None:
        return DashboardSummary(steps=_steps(None, False, False, False, False))
    if business.user_id != user_id:
        raise PermissionError("business does not belong to the user")
    tz = ZoneInfo(timezone or "UTC")
    now = utcnow()
    bid = business.id
    in_business = Content.business_id == bid
    summary = DashboardSummary(business_id=str(bid), business_name=business.name)
    summary.drafts = _count(session, in_business, Content.status == ContentStatus.DRAFT)
    summary.scheduled_next_7_days = _count(
        session,
        in_business,
        Content.status == ContentStatus.SCHEDULED,
        col(Content.scheduled_for) <= now + timedelta(days=7),
    )
    summary.published_last_30_days = _count(
        session,
        in_business,
        Content.status == ContentStatus.PUBLISHED,
        col(Content.published_at) >= now - timedelta(days=30),
    )
    attention_states = [ContentStatus.FAILED, ContentStatus.NEEDS_ATTENTION]
    summary.needs_attention = _count(
        session, in_business, col(Content.status).in_(attention_states)
    )

    accounts = session.exec(select(SocialAccount).where(SocialAccount.user_id == user_id)).all()
    summary.accounts_connected = len(accounts)
    summary.accounts_need_reconnect = sum(
        1 for a in accounts if a.status == AccountStatus.NEEDS_RECONNECT
    )

    upcoming = session.exec(
        select(Content)
        .where(in_business, Content.status == ContentStatus.SCHEDULED)
        .order_by(col(Content.scheduled_for).asc())
        .limit(UPCOMING_LIMIT)
    ).all()
    summary.upcoming = [
        PostLine(str(c.id), c.platform, c.status, _local(c.scheduled_for, tz), _snippet(c.text))
        for c in upcoming
    ]
    attention = session.exec(
        select(Content)
        .where(in_business, col(Content.status).in_(attention_states))
        .order_by(col(Content.updated_at).desc())
        .limit(ATTENTION_LIMIT)
    ).all()
    summary.attention = [
        PostLine(
            str(c.id),
            c.platform,
            c.status,
            _local(c.scheduled_for, tz),
            _snippet(c.text),
            c.last_error or "",
        )
        for c in attention
    ]
    since = (now - timedelta(days=30)).date()
    (
        summary.impressions_30d,
        summary.engagements_30d,
        summary.avg_engagement_rate,
    ) = _latest_metrics(bid, since, session=session)

    has_strategy = (
        session.exec(
            select(func.count()).select_from(Strategy).where(Strategy.business_id == bid)
        ).one()
        > 0
    )
    has_posts = _count(session, in_business) > 0
    has_scheduled = (
        _count(
            session,
            in_business,
            col(Content.status).in_([ContentStatus.SCHEDULED, ContentStatus.PUBLISHED]),
        )
        > 0
    )
    summary.steps = _steps(business, has_strategy, bool(accounts), has_posts, has_scheduled)
    return summary


def _steps(
    business: Business | None,
    has_strategy: bool,
    has_account: bool,
    has_posts: bool,
    has_scheduled: bool,
) -> list[Step]:
    """The getting-started checklist, in the order a founder goes through it."""
    described = business is not None and business.onboarding_completed
    return [
        Step("Describe your business", described, "/onboarding", "Start"),
        Step("Get your marketing strategy", has_strategy, "/strategy", "Open strategy"),
        Step("Connect a social account", has_account, "/accounts", "Connect"),
        Step("Generate your first posts", has_posts, "/strategy", "Generate"),
        Step("Schedule a post", has_scheduled, "/calendar", "Open calendar"),
    ]
