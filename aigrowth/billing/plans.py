"""Plans and their limits: the one place that says what each plan allows.

Limits come from defaults here, overridden per plan by settings (PLAN_LIMITS as JSON;
the AI allowance also by AI_ALLOWANCE_FREE / _PRO / _ENTERPRISE). 0 means unlimited.

Which plan a user is on follows Stripe's state as stored by the webhook and the sync
(never the browser): active or trialing → the subscribed plan; past due → the plan
for BILLING_GRACE_DAYS, then the free plan's limits; anything else → free. With
billing off (no STRIPE_SECRET_KEY) everyone is on DEFAULT_PLAN.

Every service that creates something limited calls `require_within` first, so the
UI, the jobs and the REST API obey the same rule with the same message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from aigrowth.billing.models import Subscription, UsageLog
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.settings import Settings, get_settings
from aigrowth.social.models import SocialAccount

FREE = "free"
PRO = "pro"
ENTERPRISE = "enterprise"
PLAN_ORDER = (FREE, PRO, ENTERPRISE)
PLAN_LABELS = {FREE: "Free", PRO: "Pro", ENTERPRISE: "Enterprise"}
PAID_PLANS = (PRO, ENTERPRISE)

# Limit names, what they count, and how people read them.
BUSINESSES = "businesses"
SOCIAL_ACCOUNTS = "social_accounts"
SCHEDULED_POSTS = "scheduled_posts"
AI_GENERATIONS = "ai_generations"
LIMIT_NAMES = (BUSINESSES, SOCIAL_ACCOUNTS, SCHEDULED_POSTS, AI_GENERATIONS)
MONTHLY = (SCHEDULED_POSTS, AI_GENERATIONS)

DEFAULT_LIMITS: dict[str, dict[str, int]] = {
    FREE: {BUSINESSES: 3, SOCIAL_ACCOUNTS: 3, SCHEDULED_POSTS: 60},
    PRO: {BUSINESSES: 10, SOCIAL_ACCOUNTS: 20, SCHEDULED_POSTS: 1000},
    ENTERPRISE: {BUSINESSES: 0, SOCIAL_ACCOUNTS: 0, SCHEDULED_POSTS: 0},
}

# "Your Free plan <verb> <n> <noun>; upgrade to <more>."
_WORDING: dict[str, tuple[str, str, str, str]] = {
    BUSINESSES: ("includes", "business", "businesses", "add more businesses"),
    SOCIAL_ACCOUNTS: ("connects", "account", "accounts", "connect more"),
    SCHEDULED_POSTS: ("schedules", "post a month", "posts a month", "schedule more"),
    AI_GENERATIONS: (
        "includes",
        "AI generation a month",
        "AI generations a month",
        "generate more",
    ),
}
LIMIT_LABELS = {
    BUSINESSES: "Businesses",
    SOCIAL_ACCOUNTS: "Connected accounts",
    SCHEDULED_POSTS: "Scheduled posts this month",
    AI_GENERATIONS: "AI generations this month",
}

# Stripe statuses that keep the subscribed plan (past_due only during the grace period).
GOOD_STANDING = ("active", "trialing")
# Usage logs the AI allowance counts: generations that reached a provider.
AI_METERED_KINDS = ("ai_strategy", "ai_posts", "ai_rewrite")
OFFLINE_MODEL = "offline"
UPGRADE_LINK = "/billing"


class LimitExceededError(Exception):
    """A plan limit stops the request; `str(err)` is the message for the user and
    `link` where they can upgrade."""

    def __init__(self, message: str, *, limit_name: str, plan: str) -> None:
        super().__init__(message)
        self.message = message
        self.limit_name = limit_name
        self.plan = plan
        self.link = UPGRADE_LINK


@dataclass(frozen=True)
class PlanInfo:
    key: str
    label: str
    limits: dict[str, int]


def known_plan(plan: str) -> str:
    return plan if plan in PLAN_ORDER else FREE


def limits_for(plan: str, settings: Settings | None = None) -> dict[str, int]:
    """Every limit of `plan` (0 = unlimited): defaults, AI allowance, PLAN_LIMITS."""
    settings = settings or get_settings()
    plan = known_plan(plan)
    limits = dict(DEFAULT_LIMITS[plan])
    limits[AI_GENERATIONS] = int(
        {
            FREE: settings.ai_allowance_free,
            PRO: settings.ai_allowance_pro,
            ENTERPRISE: settings.ai_allowance_enterprise,
        }[plan]
    )
    for name, value in (settings.plan_limits.get(plan) or {}).items():
        if name in limits:
            limits[name] = max(0, int(value))
    return limits


def all_plans(settings: Settings | None = None) -> list[PlanInfo]:
    return [PlanInfo(p, PLAN_LABELS[p], limits_for(p, settings)) for p in PLAN_ORDER]


def subscription_of(user_id: uuid.UUID, *, session: Session) -> Subscription | None:
    return session.exec(select(Subscription).where(Subscription.user_id == user_id)).first()


def plan_of(
    sub: Subscription | None, *, settings: Settings | None = None, now: datetime | None = None
) -> str:
    """The plan whose limits apply, from the stored Stripe state (see module doc)."""
    settings = settings or get_settings()
    if not settings.billing_enabled:
        return known_plan(settings.default_plan)
    if sub is None or sub.plan not in PAID_PLANS:
        return FREE
    if sub.status in GOOD_STANDING:
        return sub.plan
    if sub.status == "past_due" and sub.past_due_since is not None:
        grace = timedelta(days=settings.billing_grace_days)
        if (now or utcnow()) < sub.past_due_since + grace:
            return sub.plan
    return FREE


def effective_plan(user_id: uuid.UUID, *, session: Session) -> str:
    return plan_of(subscription_of(user_id, session=session))


# ------------------------------------------------------------------------ usage
def month_bounds(at: datetime | None = None) -> tuple[datetime, datetime]:
    """[first instant of at's UTC month, first instant of the next)."""
    at = (at or utcnow()).astimezone(UTC)
    start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def _count(session: Session, stmt: sa.Select) -> int:
    return int(session.exec(stmt).one() or 0)  # type: ignore[call-overload]


def ai_generations_used(user_id: uuid.UUID, *, session: Session, at: datetime | None = None) -> int:
    start, end = month_bounds(at)
    return _count(
        session,
        select(sa.func.count())
        .select_from(UsageLog)
        .where(
            UsageLog.user_id == user_id,
            UsageLog.kind.in_(AI_METERED_KINDS),  # type: ignore[attr-defined]
            UsageLog.cache_hit.is_(False),  # type: ignore[attr-defined]
            UsageLog.model != OFFLINE_MODEL,
            UsageLog.created_at >= start,
            UsageLog.created_at < end,
        ),
    )


def scheduled_posts_in_month(
    user_id: uuid.UUID, *, session: Session, at: datetime | None = None
) -> int:
    """Posts of the user's businesses due in at's UTC month that left the drafts
    (scheduled, publishing, published, failed or needing attention)."""
    start, end = month_bounds(at)
    return _count(
        session,
        select(sa.func.count())
        .select_from(Content)
        .join(Business, Business.id == Content.business_id)  # type: ignore[arg-type]
        .where(
            Business.user_id == user_id,
            Content.status != ContentStatus.DRAFT,
            Content.scheduled_for >= start,  # type: ignore[operator]
            Content.scheduled_for < end,  # type: ignore[operator]
        ),
    )


def usage_of(
    user_id: uuid.UUID, limit_name: str, *, session: Session, at: datetime | None = None
) -> int:
    if limit_name == BUSINESSES:
        return _count(
            session,
            select(sa.func.count()).select_from(Business).where(Business.user_id == user_id),
        )
    if limit_name == SOCIAL_ACCOUNTS:
        return _count(
            session,
            select(sa.func.count())
            .select_from(SocialAccount)
            .where(SocialAccount.user_id == user_id),
        )
    if limit_name == SCHEDULED_POSTS:
        return scheduled_posts_in_month(user_id, session=session, at=at)
    if limit_name == AI_GENERATIONS:
        return ai_generations_used(user_id, session=session, at=at)
    raise ValueError(f"unknown limit {limit_name!r}")


def limit_message(plan: str, limit_name: str, limit: int) -> str:
    verb, one, many, more = _WORDING[limit_name]
    noun = one if limit == 1 else many
    return f"Your {PLAN_LABELS[known_plan(plan)]} plan {verb} {limit} {noun}; upgrade to {more}."


def require_within(
    user_id: uuid.UUID | str,
    limit_name: str,
    *,
    session: Session,
    adding: int = 1,
    at: datetime | None = None,
) -> None:
    """Raise LimitExceededError when adding `adding` more would pass the user's plan
    limit (`at`: which month, for monthly limits such as scheduled posts)."""
    uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    plan = effective_plan(uid, session=session)
    limit = limits_for(plan)[limit_name]
    if not limit:
        return
    if usage_of(uid, limit_name, session=session, at=at) + adding > limit:
        raise LimitExceededError(
            limit_message(plan, limit_name, limit), limit_name=limit_name, plan=plan
        )


def require_schedulable(
    user_id: uuid.UUID | str,
    when: datetime,
    *,
    session: Session,
    counted_at: datetime | None = None,
) -> None:
    """Scheduling a post for `when` must fit the plan's posts of that month; a post
    already counted in that month (`counted_at`: its current due time when it is not a
    draft) is a reschedule, not a new one."""
    if counted_at is not None and month_bounds(counted_at) == month_bounds(when):
        return
    require_within(user_id, SCHEDULED_POSTS, session=session, at=when)
