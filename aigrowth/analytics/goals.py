"""Goals scorecard: every KPI of the active strategy tied to a measured series.

A KPI names what it measures in words ("Followers", "Engagement rate", "Website
visits"); `metric_of` maps it to one of our series. Each goal gets its current value,
target, deadline, progress and a pace projection from the recent trend (least squares
over the last 28 days). KPIs no platform can measure (leads, sales, newsletter) say so
and take a value entered by hand (`GoalValue`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from aigrowth.analytics import queries as q
from aigrowth.analytics.models import AccountMetricsDaily, GoalValue
from aigrowth.businesses.service import require_business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.strategy.models import Strategy

TREND_DAYS = 28
# Words in a KPI's name/goal → the series that measures it (first match wins).
METRIC_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("engagement_rate", ("engagement rate", "engagement")),
    ("followers", ("follower", "audience size", "fans")),
    ("clicks", ("click", "website visit", "traffic", "visits")),
    ("impressions", ("impression", "reach", "views")),
    ("posts", ("posts published", "posts per", "post ", "posting")),
)
# Badge colour of each status (analytics page and dashboard).
STATUS_COLORS = {
    "reached": "green",
    "on_track": "green",
    "behind": "orange",
    "no_data": "gray",
    "manual": "blue",
    "no_target": "gray",
}
METRIC_LABELS = {
    "followers": "followers",
    "engagement_rate": "engagement rate",
    "clicks": "link clicks",
    "impressions": "impressions",
    "posts": "posts published",
}


@dataclass
class GoalStatus:
    name: str
    target_text: str
    by: str  # ISO date or ""
    metric: str  # one of METRIC_LABELS, or "" when the platforms cannot measure it
    current: float | None
    target: float | None
    progress: float | None  # 0..1
    status: str  # reached | on_track | behind | no_data | manual | no_target
    message: str

    @property
    def measured(self) -> bool:
        return bool(self.metric)


def metric_of(kpi: dict[str, Any]) -> str:
    """The series a KPI is measured by ("" when no platform reports it)."""
    words = f"{kpi.get('name', '')} {kpi.get('goal', '')}".lower().replace("_", " ")
    if any(w in words for w in ("lead", "sign-up", "signup", "sale", "conversion", "newsletter")):
        return ""
    for metric, keys in METRIC_WORDS:
        if any(k in words for k in keys):
            return metric
    return ""


_NUMBER = re.compile(r"([+-]?\d[\d,]*(?:\.\d+)?)\s*([kKmM%]?)")


def parse_target(text: str) -> tuple[float | None, bool]:
    """(number, is_percent) from "1,000 followers", "3%", "2.5k", "+10% per month"."""
    match = _NUMBER.search(text or "")
    if not match:
        return None, False
    value = float(match.group(1).replace(",", ""))
    suffix = match.group(2).lower()
    if suffix == "k":
        value *= 1_000
    elif suffix == "m":
        value *= 1_000_000
    return value, suffix == "%"


def _deadline(kpi: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(kpi.get("by") or ""))
    except ValueError:
        return None


def slope_per_day(points: list[tuple[date, float]]) -> float | None:
    """Least-squares slope of (day, value) points; None with fewer than 2 days."""
    if len({d for d, _ in points}) < 2:
        return None
    xs = [(d - points[0][0]).days for d, _ in points]
    ys = [v for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else None


def _fmt(value: float, percent: bool = False) -> str:
    if percent:
        return f"{value:.1%}"
    return f"{value:,.0f}"


def pace(
    *,
    current: float,
    target: float,
    per_day: float | None,
    today: date,
    by: date | None,
) -> tuple[str, str]:
    """(status, message) for a growing count: when it reaches the target at the current
    pace, or what it needs per week to make the deadline."""
    if current >= target:
        return "reached", f"reached — {_fmt(current)} of {_fmt(target)}"
    missing = target - current
    if by is not None:
        weeks_left = max((by - today).days, 0) / 7
        if weeks_left <= 0:
            return "behind", f"deadline passed — {_fmt(missing)} short"
        needed = missing / weeks_left
        if per_day and per_day > 0:
            eta = today + timedelta(days=round(missing / per_day))
            if eta <= by:
                return "on_track", f"on track — reaches {_fmt(target)} around {eta:%-d %b %Y}"
        return "behind", f"behind — needs +{_fmt(needed)} a week"
    if per_day and per_day > 0:
        eta = today + timedelta(days=round(missing / per_day))
        return "on_track", f"on track — reaches {_fmt(target)} around {eta:%-d %b %Y}"
    return "behind", "not growing yet — no progress in the last 4 weeks"


# ------------------------------------------------------------------ series
def followers_series(bid: uuid.UUID, since: date, *, session: Session) -> list[tuple[date, float]]:
    """Total followers per day over the accounts that reported, keeping only days on
    which as many accounts reported as on the best day (no dips from a missed pull)."""
    A = AccountMetricsDaily.__table__.c
    rows = session.execute(
        sa.select(A.day, sa.func.sum(A.followers), sa.func.count(A.followers))
        .where(A.business_id == bid, A.day >= since, A.followers.is_not(None))
        .group_by(A.day)
        .order_by(A.day)
    ).all()
    most = max((r[2] for r in rows), default=0)
    return [(r[0], float(r[1])) for r in rows if r[2] == most]


def _cumulative_posts(
    bid: uuid.UUID, since: datetime, session: Session
) -> list[tuple[date, float]]:
    C = Content.__table__.c
    day = sa.func.date(C.published_at)
    rows = session.execute(
        sa.select(day, sa.func.count())
        .where(
            C.business_id == bid,
            C.status == ContentStatus.PUBLISHED.value,
            C.published_at >= since,
        )
        .group_by(day)
        .order_by(day)
    ).all()
    total, out = 0.0, []
    for d, n in rows:
        total += n
        out.append((d if isinstance(d, date) else date.fromisoformat(str(d)), total))
    return out


def _cumulative_daily(points: list[q.DayPoint], attr: str) -> list[tuple[date, float]]:
    total, out = 0.0, []
    for p in points:
        value = getattr(p, attr)
        if value is not None:
            total += value
            out.append((p.day, total))
    return out


# ------------------------------------------------------------------ scorecard
def scorecard(
    business_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    today: date | None = None,
) -> list[GoalStatus]:
    """One status per KPI of the active strategy ([] without a strategy)."""
    business = require_business(business_id, user_id=user_id, session=session)
    strategy = session.exec(
        select(Strategy).where(Strategy.business_id == business.id, Strategy.is_active.is_(True))  # type: ignore[attr-defined]
    ).first()
    if strategy is None:
        return []
    today = today or utcnow().date()
    manual = {
        g.kpi: g.value
        for g in session.exec(select(GoalValue).where(GoalValue.business_id == business.id))
    }
    start = strategy.created_at.astimezone(UTC)
    since = start.date()
    kw = {"user_id": user_id, "session": session}
    cache: dict[str, Any] = {}

    def activity() -> list[q.DayPoint]:
        if "daily" not in cache:
            cache["daily"] = q.daily_series(business.id, q.Filters(since, today), **kw)
        return cache["daily"]

    out = []
    for kpi in strategy.content.get("kpis") or []:
        out.append(_status(kpi, business.id, manual, today, since, start, activity, session, kw))
    return out


def _status(
    kpi: dict[str, Any],
    bid: uuid.UUID,
    manual: dict[str, float],
    today: date,
    since: date,
    start: datetime,
    activity: Any,
    session: Session,
    kw: dict[str, Any],
) -> GoalStatus:
    name = str(kpi.get("name") or "Goal")
    target_text = str(kpi.get("target") or "")
    by = _deadline(kpi)
    metric = metric_of(kpi)
    target, percent = parse_target(target_text)
    base = {"name": name, "target_text": target_text, "by": by.isoformat() if by else ""}

    def make(**values: Any) -> GoalStatus:
        return GoalStatus(**base, **values)

    def flat(status: str, message: str, **values: Any) -> GoalStatus:
        """A goal without a progress figure (no data, no target, entered by hand)."""
        return make(progress=None, status=status, message=message, **values)

    if not metric:
        value = manual.get(name)
        if value is None:
            return flat(
                "manual",
                "Not measured by the platforms — enter the current value",
                metric="",
                current=None,
                target=target,
            )
        progress = min(value / target, 1.0) if target else None
        status = "reached" if target and value >= target else "manual"
        message = f"{_fmt(value)} entered by hand" + (f" of {_fmt(target)}" if target else "")
        return make(
            metric="",
            current=value,
            target=target,
            progress=progress,
            status=status,
            message=message,
        )

    if metric == "engagement_rate":
        recent = q.headline(bid, q.Filters(today - timedelta(days=29), today), **kw)
        current = recent.engagement_rate.value
        goal = target / 100 if target is not None else None
        if current is None:
            return flat(
                "no_data", "No impressions reported yet", metric=metric, current=None, target=goal
            )
        if goal is None:
            return flat(
                "no_target",
                f"{_fmt(current, True)} over 30 days",
                metric=metric,
                current=current,
                target=None,
            )
        ok = current >= goal
        message = (
            f"{'above' if ok else 'below'} target — {_fmt(current, True)} over the last 30 days"
        )
        return make(
            metric=metric,
            current=current,
            target=goal,
            progress=min(current / goal, 1.0) if goal else None,
            status="reached" if ok else "behind",
            message=message,
        )

    if metric == "followers":
        series = followers_series(bid, today - timedelta(days=TREND_DAYS), session=session)
    elif metric == "posts":
        series = _cumulative_posts(bid, start, session)
    else:
        series = _cumulative_daily(activity(), metric)
    if not series:
        return make(
            metric=metric,
            current=None,
            target=None if percent else target,  # "+10%": a growth rate, not a level
            progress=None,
            status="no_data",
            message=f"No {METRIC_LABELS[metric]} reported yet",
        )
    current = series[-1][1]
    window_start = today - timedelta(days=TREND_DAYS)
    recent = [p for p in series if p[0] >= window_start]
    if metric == "followers":  # a level: fit a line through the daily totals
        per_day = slope_per_day(recent)
    else:  # a running total: what the last 4 weeks added, per day
        before = [v for d, v in series if d < window_start]
        per_day = (current - (before[-1] if before else 0.0)) / TREND_DAYS
    if target is not None and percent and metric == "followers":
        # "+10% per month": compare the last 4 weeks' growth with the wanted rate.
        first = recent[0][1] if recent else current
        growth = (current - first) / first if first else None
        if growth is None:
            return flat(
                "no_data", "Not enough history yet", metric=metric, current=current, target=None
            )
        wanted = target / 100 * TREND_DAYS / 30
        ok = growth >= wanted
        message = f"{'on track' if ok else 'behind'} — {growth:+.1%} in the last 4 weeks"
        return make(
            metric=metric,
            current=current,
            target=None,
            progress=min(max(growth / wanted, 0.0), 1.0) if wanted else None,
            status="on_track" if ok else "behind",
            message=message,
        )
    if target is None or target <= 0:
        return flat(
            "no_target",
            f"{_fmt(current)} {METRIC_LABELS[metric]}",
            metric=metric,
            current=current,
            target=None,
        )
    status, message = pace(current=current, target=target, per_day=per_day, today=today, by=by)
    return make(
        metric=metric,
        current=current,
        target=target,
        progress=min(current / target, 1.0),
        status=status,
        message=message,
    )


def set_manual_value(
    business_id: uuid.UUID | str,
    kpi: str,
    raw: str,
    *,
    user_id: uuid.UUID,
    session: Session,
) -> str:
    """Save a hand-entered value for an unmeasured KPI. Returns an error message or ""."""
    business = require_business(business_id, user_id=user_id, session=session)
    strategy = session.exec(
        select(Strategy).where(Strategy.business_id == business.id, Strategy.is_active.is_(True))  # type: ignore[attr-defined]
    ).first()
    names = [str(k.get("name")) for k in (strategy.content.get("kpis") or [])] if strategy else []
    if kpi not in names:
        return "That goal is not in the active strategy."
    if metric_of(next(k for k in strategy.content["kpis"] if k.get("name") == kpi)):  # type: ignore[union-attr]
        return "This goal is measured from the platforms; it cannot be set by hand."
    try:
        value = float(raw.replace(",", "").strip())
    except ValueError:
        return "Enter a number, for example 120."
    if not 0 <= value <= 1_000_000_000:
        return "Enter a number between 0 and 1,000,000,000."
    row = session.exec(
        select(GoalValue).where(GoalValue.business_id == business.id, GoalValue.kpi == kpi)
    ).first() or GoalValue(business_id=business.id, kpi=kpi, value=value)
    row.value = value
    row.updated_at = utcnow()
    session.add(row)
    session.commit()
    return ""
