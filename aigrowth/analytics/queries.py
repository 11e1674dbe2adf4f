"""What the analytics page, the CSV export and (later) the REST API read: aggregations
that run in SQL on indexed columns, scoped by (user, business).

Two ways of counting, each where it answers the founder's question:

- **Activity in a period** (headline, daily series): per-post counters are lifetime
  totals snapshotted daily, so a day's figure is the day's increase, from a window
  `LAG` over each post's series. A post's first snapshot counts in full.
- **Results of the posts published in a period** (breakdowns, heatmap, top/bottom):
  each post's latest snapshot up to the end of the period.

Missing figures stay NULL through every step: SUM ignores NULLs and is NULL when every
row is NULL; a rate is NULL when it has no denominator. Nothing here turns "not
reported" into 0.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from aigrowth.analytics.models import AccountMetricsDaily, AnalyticsSnapshot
from aigrowth.businesses.service import require_business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.social.models import SocialAccount, platform_label

ST, CT, AT, SAT = (
    AnalyticsSnapshot.__table__,
    Content.__table__,
    AccountMetricsDaily.__table__,
    SocialAccount.__table__,
)
S, C, A, SA = ST.c, CT.c, AT.c, SAT.c

PERIODS = (7, 30, 90)
MAX_PERIOD_DAYS = 366
FORMATS = ("post", "thread", "image", "link")
BREAKDOWNS = ("platform", "pillar", "format")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# ------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class Filters:
    """The page's filters. Dates are inclusive days (the pull's UTC days)."""

    start: date
    end: date
    platform: str = ""
    account_id: str = ""
    pillar: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one."""
        return Filters(
            self.start - timedelta(days=self.days),
            self.start - timedelta(days=1),
            self.platform,
            self.account_id,
            self.pillar,
        )


def make_filters(
    *,
    today: date,
    days: int | None = 30,
    start: date | None = None,
    end: date | None = None,
    platform: str = "",
    account_id: str = "",
    pillar: str = "",
) -> Filters:
    """Filters from the page's choices; a bad custom range raises ValueError (plain words)."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValueError("Choose both a start and an end date.")
        if start > end:
            raise ValueError("The start date must be on or before the end date.")
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise ValueError(f"Choose a period of at most {MAX_PERIOD_DAYS} days.")
        if start > today:
            raise ValueError("The period starts in the future.")
    else:
        days = days if days in PERIODS else 30
        end = today
        start = today - timedelta(days=days - 1)
    if account_id:
        try:
            uuid.UUID(account_id)
        except ValueError:
            raise ValueError("Unknown account.") from None
    return Filters(start, end, platform, account_id, pillar)


# ------------------------------------------------------------------------ outputs
@dataclass
class Figure:
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (None when not comparable)."""
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / abs(self.previous)


@dataclass
class Headline:
    impressions: Figure
    engagements: Figure
    engagement_rate: Figure
    clicks: Figure
    followers_gained: Figure
    posts_published: Figure


@dataclass
class DayPoint:
    day: date
    impressions: int | None
    engagements: int | None
    clicks: int | None


@dataclass
class FollowerPoint:
    day: date
    account_id: str
    account: str  # "X @handle"
    followers: int | None


@dataclass
class Group:
    key: str
    posts: int
    impressions: int | None
    engagements: int | None
    clicks: int | None

    @property
    def engagement_rate(self) -> float | None:
        return _rate(self.engagements_with_impressions, self.impressions)

    engagements_with_impressions: int | None = None


@dataclass
class HeatCell:
    weekday: int  # 0 = Monday, in the user's time zone
    hour: int
    posts: int
    engagement_rate: float | None


@dataclass
class PostFigures:
    id: str
    platform: str
    pillar: str
    format: str
    text: str
    remote_url: str
    published_at: datetime | None
    impressions: int | None
    engagements: int | None
    clicks: int | None
    engagement_rate: float | None


@dataclass
class PageData:
    """Everything /analytics shows for one business and filter set."""

    filters: Filters
    headline: Headline
    daily: list[DayPoint] = field(default_factory=list)
    followers: list[FollowerPoint] = field(default_factory=list)
    breakdowns: dict[str, list[Group]] = field(default_factory=dict)
    heatmap: list[HeatCell] = field(default_factory=list)
    top: list[PostFigures] = field(default_factory=list)
    bottom: list[PostFigures] = field(default_factory=list)
    platforms_without_impressions: list[str] = field(default_factory=list)
    published_total: int = 0


# ------------------------------------------------------------------- expressions
def _rate(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _engagement_expr(t: Any) -> Any:
    """likes + comments + shares + saves + clicks; NULL when the platform reported none
    of them (the same interactions as the stored engagement_rate)."""
    parts = [t.likes, t.comments, t.shares, t.saves, t.clicks]
    return sa.case(
        (sa.and_(*[p.is_(None) for p in parts]), sa.null()),
        else_=sum((sa.func.coalesce(p, 0) for p in parts[1:]), sa.func.coalesce(parts[0], 0)),
    )


def _format_expr() -> Any:
    """A post's format from its row: thread, image, link or plain post."""
    media = sa.cast(C.media, sa.String)
    parts = sa.cast(C.thread_parts, sa.String)
    return sa.case(
        (sa.or_(C.content_type == "thread", parts.not_in(["[]", "null"])), "thread"),
        (media.not_in(["[]", "null"]), "image"),
        (sa.or_(C.text.like("%http://%"), C.text.like("%https://%")), "link"),
        else_="post",
    )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _owned(business_id: uuid.UUID | str, user_id: uuid.UUID, session: Session) -> uuid.UUID:
    """The business id once checked against the user; remembered for this session, so
    the many queries of one page check it once."""
    checked = session.info.setdefault("analytics_owned", set())
    key = (str(business_id), user_id)
    if key in checked:
        return uuid.UUID(key[0])
    bid = require_business(business_id, user_id=user_id, session=session).id
    checked.add((str(bid), user_id))
    checked.add(key)
    return bid


# Page statements are built once per shape (which filters are set) with bind
# parameters, then reused: building a SQLAlchemy statement costs more than running it.
_STATEMENTS: dict[tuple[Any, ...], Any] = {}
P = sa.bindparam


def _cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build()
    return statement


def _shape(f: Filters) -> tuple[bool, bool, bool]:
    return bool(f.platform), bool(f.account_id), bool(f.pillar)


def _params(bid: uuid.UUID, f: Filters) -> dict[str, Any]:
    prev = f.previous()
    return {
        "bid": bid,
        "start": f.start,
        "end": f.end,
        "before": f.start - timedelta(days=1),
        "t_start": _start_instant(f.start),
        "t_end": _start_instant(f.end + timedelta(days=1)),
        "p_start": _start_instant(prev.start),
        "p_end": _start_instant(prev.end + timedelta(days=1)),
        "platform": f.platform,
        "account": uuid.UUID(f.account_id) if f.account_id else None,
        "pillar": f.pillar,
    }


def _post_filters(shape: tuple[bool, bool, bool]) -> list[Any]:
    platform, account, pillar = shape
    out: list[Any] = []
    if platform:
        out.append(S.platform == P("platform"))
    if account:
        out.append(C.social_account_id == P("account"))
    if pillar:
        out.append(C.pillar == P("pillar"))
    return out


# ------------------------------------------------------------- activity by day
def _daily_rows(bid: uuid.UUID, f: Filters, session: Session) -> list[Any]:
    """Per day: increase of impressions, engagements, clicks (and engagements on rows
    that have impressions, for the rate) over [f.start, f.end]."""
    shape = _shape(f)
    query = _cached(("daily", shape), lambda: _daily_statement(shape))
    return list(session.execute(query, _params(bid, f)).all())


def _daily_statement(shape: tuple[bool, bool, bool]) -> Any:
    eng = _engagement_expr(S)
    window = {"partition_by": S.content_id, "order_by": S.day}
    series = sa.select(
        S.day,
        S.impressions.label("imp"),
        eng.label("eng"),
        S.clicks.label("clk"),
        sa.func.lag(S.day).over(**window).label("p_day"),
        sa.func.lag(S.impressions).over(**window).label("p_imp"),
        sa.func.lag(eng).over(**window).label("p_eng"),
        sa.func.lag(S.clicks).over(**window).label("p_clk"),
    ).where(
        S.business_id == P("bid"),
        S.day >= P("before"),
        S.day <= P("end"),
        *_post_filters(shape),
    )
    if shape[1] or shape[2]:  # account or pillar: columns of the post
        series = series.select_from(ST.join(CT, C.id == S.content_id))
    series = series.subquery()

    def delta(col: str) -> Any:
        value, prev = series.c[col], series.c["p_" + col]
        return sa.case((series.c.p_day.is_(None), value), else_=value - prev)

    d_imp, d_eng = delta("imp"), delta("eng")
    return (
        sa.select(
            series.c.day,
            sa.func.sum(d_imp),
            sa.func.sum(d_eng),
            sa.func.sum(delta("clk")),
            sa.func.sum(sa.case((d_imp.is_not(None), d_eng))),
        )
        .where(series.c.day >= P("start"))
        .group_by(series.c.day)
        .order_by(series.c.day)
    )


def _points(rows: list[Any], start: date) -> list[DayPoint]:
    return [DayPoint(r[0], _int(r[1]), _int(r[2]), _int(r[3])) for r in rows if r[0] >= start]


def daily_series(
    business_id: uuid.UUID | str, f: Filters, *, user_id: uuid.UUID, session: Session
) -> list[DayPoint]:
    """One point per day of the period (days with no row are absent, not zero)."""
    bid = _owned(business_id, user_id, session)
    return _points(_daily_rows(bid, f, session), f.start)


def _sum(values: list[Any]) -> int | None:
    present = [v for v in values if v is not None]
    return int(sum(present)) if present else None


def _follower_rows(bid: uuid.UUID, f: Filters, session: Session) -> list[Any]:
    platform, account = bool(f.platform), bool(f.account_id)

    def build() -> Any:
        query = (
            sa.select(A.day, A.social_account_id, SA.platform, SA.handle, A.followers)
            .select_from(AT.join(SAT, SA.id == A.social_account_id))
            .where(A.business_id == P("bid"), A.day >= P("start"), A.day <= P("end"))
            .order_by(A.day)
        )
        if platform:
            query = query.where(A.platform == P("platform"))
        if account:
            query = query.where(A.social_account_id == P("account"))
        return query

    query = _cached(("followers", platform, account), build)
    return list(session.execute(query, _params(bid, f)).all())


def follower_series(
    business_id: uuid.UUID | str, f: Filters, *, user_id: uuid.UUID, session: Session
) -> list[FollowerPoint]:

    bid = _owned(business_id, user_id, session)
    return _follower_points(_follower_rows(bid, f, session), f.start)


def _follower_points(rows: list[Any], start: date) -> list[FollowerPoint]:
    return [
        FollowerPoint(
            r.day,
            str(r.social_account_id),
            f"{platform_label(r.platform)} @{r.handle}" if r.handle else platform_label(r.platform),
            _int(r.followers),
        )
        for r in rows
        if r.day >= start
    ]


def _followers_gained(rows: list[Any], start: date, end: date) -> int | None:
    """Sum over accounts of the change in followers over [start, end]: the last figure
    in the period minus the last one before it (or the first in it when there is none).
    Rows are in day order; NULL figures are skipped."""
    before: dict[Any, int] = {}
    firsts: dict[Any, int] = {}
    lasts: dict[Any, int] = {}
    for r in rows:
        if r.followers is None or r.day > end:
            continue
        if r.day < start:
            before[r.social_account_id] = r.followers
            continue
        firsts.setdefault(r.social_account_id, r.followers)
        lasts[r.social_account_id] = r.followers
    if not lasts:
        return None
    return sum(last - before.get(k, firsts[k]) for k, last in lasts.items())


def _published_counts(bid: uuid.UUID, f: Filters, session: Session) -> tuple[int, int, int]:
    """Posts published in the period, in the previous period, and ever (one query)."""
    shape = _shape(f)

    def within(start: str, end: str) -> Any:
        inside = sa.and_(C.published_at >= P(start), C.published_at < P(end))
        return sa.func.coalesce(sa.func.sum(sa.case((inside, 1), else_=0)), 0)

    def build() -> Any:
        platform, account, pillar = shape
        query = sa.select(
            within("t_start", "t_end"), within("p_start", "p_end"), sa.func.count()
        ).where(
            C.business_id == P("bid"),
            C.status == ContentStatus.PUBLISHED.value,
            C.published_at < P("t_end"),
        )
        if platform:
            query = query.where(C.platform == P("platform"))
        if account:
            query = query.where(C.social_account_id == P("account"))
        if pillar:
            query = query.where(C.pillar == P("pillar"))
        return query

    query = _cached(("published", shape), build)
    now, before, ever = session.execute(query, _params(bid, f)).one()
    return int(now), int(before), int(ever)


def _start_instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def headline(
    business_id: uuid.UUID | str, f: Filters, *, user_id: uuid.UUID, session: Session
) -> Headline:
    """The period's totals beside the previous period's (one SQL pass over both)."""
    bid = _owned(business_id, user_id, session)
    prev = f.previous()
    rows = _daily_rows(bid, Filters(prev.start, f.end, f.platform, f.account_id, f.pillar), session)
    followers = _follower_rows(bid, Filters(prev.start, f.end, f.platform, f.account_id), session)
    return _headline(f, rows, followers, _published_counts(bid, f, session))


def _headline(
    f: Filters, rows: list[Any], followers: list[Any], published: tuple[int, int, int]
) -> Headline:
    prev = f.previous()
    now_rows = [r for r in rows if r[0] >= f.start]
    old_rows = [r for r in rows if r[0] < f.start]

    def totals(part: list[Any]) -> tuple[int | None, ...]:
        return tuple(_sum([r[i] for r in part]) for i in (1, 2, 3, 4))

    imp, eng, clk, eng_imp = totals(now_rows)
    p_imp, p_eng, p_clk, p_eng_imp = totals(old_rows)
    gained = _followers_gained(followers, f.start, f.end)
    p_gained = _followers_gained(followers, prev.start, prev.end)
    return Headline(
        impressions=Figure(imp, p_imp),
        engagements=Figure(eng, p_eng),
        engagement_rate=Figure(_rate(eng_imp, imp), _rate(p_eng_imp, p_imp)),
        clicks=Figure(clk, p_clk),
        followers_gained=Figure(gained, p_gained),
        posts_published=Figure(published[0], published[1]),
    )


# ------------------------------------------------ results of the period's posts
def _latest_per_post(shape: tuple[bool, bool, bool]) -> Any:
    """Each published-in-period post's latest snapshot (≤ end) joined to its row."""
    latest = (
        sa.select(S.content_id, sa.func.max(S.day).label("day"))
        .where(S.business_id == P("bid"), S.day >= P("start"), S.day <= P("end"))
        .group_by(S.content_id)
        .subquery()
    )
    return (
        ST.join(latest, sa.and_(S.content_id == latest.c.content_id, S.day == latest.c.day)).join(
            CT, C.id == S.content_id
        )
    ), [
        C.business_id == P("bid"),
        C.published_at >= P("t_start"),
        C.published_at < P("t_end"),
        *_post_filters(shape),
    ]


def breakdown(
    business_id: uuid.UUID | str, f: Filters, by: str, *, user_id: uuid.UUID, session: Session
) -> list[Group]:
    """Results grouped by platform, pillar or format, best engagement rate first."""
    if by not in BREAKDOWNS:
        raise ValueError(f"Unknown breakdown: {by}")
    bid = _owned(business_id, user_id, session)
    shape = _shape(f)

    def build() -> Any:
        key = {"platform": S.platform, "pillar": C.pillar, "format": _format_expr()}[by]
        joined, where = _latest_per_post(shape)
        eng = _engagement_expr(S)
        return (
            sa.select(
                key.label("key"),
                sa.func.count(),
                sa.func.sum(S.impressions),
                sa.func.sum(eng),
                sa.func.sum(S.clicks),
                sa.func.sum(sa.case((S.impressions.is_not(None), eng))),
            )
            .select_from(joined)
            .where(*where)
            .group_by(key)
        )

    query = _cached(("breakdown", by, shape), build)
    groups = [
        Group(
            str(r[0] or "(no pillar)"),
            int(r[1]),
            _int(r[2]),
            _int(r[3]),
            _int(r[4]),
            engagements_with_impressions=_int(r[5]),
        )
        for r in session.execute(query, _params(bid, f)).all()
    ]
    return sorted(groups, key=lambda g: (g.engagement_rate is None, -(g.engagement_rate or 0)))


def heatmap(
    business_id: uuid.UUID | str,
    f: Filters,
    *,
    user_id: uuid.UUID,
    session: Session,
    timezone: str = "UTC",
) -> list[HeatCell]:
    """Engagement rate by local weekday and hour of publishing, with the posts per cell.

    SQL groups by the UTC hour (exact across DST changes); the few hour buckets are
    then placed in the user's time zone."""
    bid = _owned(business_id, user_id, session)
    dialect = session.get_bind().dialect.name
    shape = _shape(f)

    def build() -> Any:
        if dialect == "postgresql":
            bucket = sa.func.to_char(sa.func.timezone("UTC", C.published_at), "YYYY-MM-DD HH24")
        else:
            bucket = sa.func.strftime("%Y-%m-%d %H", C.published_at)
        joined, where = _latest_per_post(shape)
        eng = _engagement_expr(S)
        return (
            sa.select(
                bucket.label("bucket"),
                sa.func.count(),
                sa.func.sum(S.impressions),
                sa.func.sum(sa.case((S.impressions.is_not(None), eng))),
            )
            .select_from(joined)
            .where(*where)
            .group_by(bucket)
        )

    query = _cached(("heatmap", dialect, shape), build)
    tz = ZoneInfo(timezone or "UTC")
    cells: dict[tuple[int, int], list[int | None]] = defaultdict(lambda: [0, None, None])
    for b, posts, imp, eng_imp in session.execute(query, _params(bid, f)).all():
        local = datetime.strptime(b, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(tz)
        cell = cells[(local.weekday(), local.hour)]
        cell[0] = int(cell[0] or 0) + int(posts)
        if imp is not None:
            cell[1] = (cell[1] or 0) + int(imp)
        if eng_imp is not None:
            cell[2] = (cell[2] or 0) + int(eng_imp)
    return [
        HeatCell(wd, hour, int(v[0] or 0), _rate(v[2], v[1]))
        for (wd, hour), v in sorted(cells.items())
    ]


def ranked_posts(
    business_id: uuid.UUID | str,
    f: Filters,
    *,
    user_id: uuid.UUID,
    session: Session,
    limit: int = 5,
    worst: bool = False,
) -> list[PostFigures]:
    """Top (or bottom) posts of the period by engagement rate, then engagements."""
    bid = _owned(business_id, user_id, session)
    shape = _shape(f)

    def build() -> Any:
        joined, where = _latest_per_post(shape)
        eng = _engagement_expr(S)
        rate = sa.case(
            (sa.func.coalesce(S.impressions, 0) > 0, sa.cast(eng, sa.Float) / S.impressions),
        )
        order = [
            rate.is_(None),
            rate.asc() if worst else rate.desc(),
            (sa.func.coalesce(eng, 0).asc() if worst else sa.func.coalesce(eng, 0).desc()),
            C.published_at.desc(),
        ]
        return (
            sa.select(
                C.id,
                C.platform,
                C.pillar,
                _format_expr(),
                C.text,
                C.remote_url,
                C.published_at,
                S.impressions,
                eng,
                S.clicks,
                rate,
            )
            .select_from(joined)
            .where(*where)
            .order_by(*order)
            .limit(limit)
        )

    query = _cached(("ranked", worst, limit, shape), build)
    return [
        PostFigures(
            str(r[0]),
            r[1],
            r[2] or "",
            r[3],
            r[4] or "",
            r[5] or "",
            r[6].replace(tzinfo=UTC) if r[6] is not None and r[6].tzinfo is None else r[6],
            _int(r[7]),
            _int(r[8]),
            _int(r[9]),
            None if r[10] is None else float(r[10]),
        )
        for r in session.execute(query, _params(bid, f)).all()
    ]


def platforms_without_impressions(
    business_id: uuid.UUID | str, f: Filters, *, user_id: uuid.UUID, session: Session
) -> list[str]:
    """Platforms with snapshots in the period but no impressions at all (Mastodon,
    Bluesky): the page says "not reported by …" for them instead of 0."""
    bid = _owned(business_id, user_id, session)
    query = (
        sa.select(S.platform)
        .where(S.business_id == bid, S.day >= f.start, S.day <= f.end)
        .group_by(S.platform)
        .having(sa.func.count(S.impressions) == 0)
        .order_by(S.platform)
    )
    return [r[0] for r in session.execute(query).all()]


def page_data(
    business_id: uuid.UUID | str,
    f: Filters,
    *,
    user_id: uuid.UUID,
    session: Session,
    timezone: str = "UTC",
) -> PageData:
    """Every figure of /analytics for one business and filter set."""
    kw: dict[str, Any] = {"user_id": user_id, "session": session}
    bid = _owned(business_id, user_id, session)
    # One pass over both periods serves the headline and the daily series.
    both = Filters(f.previous().start, f.end, f.platform, f.account_id, f.pillar)
    rows = _daily_rows(bid, both, session)
    followers = _follower_rows(bid, both, session)
    published = _published_counts(bid, f, session)
    breakdowns = {by: breakdown(bid, f, by, **kw) for by in BREAKDOWNS}
    top = ranked_posts(bid, f, **kw)
    shown = {t.id for t in top}
    return PageData(
        filters=f,
        headline=_headline(f, rows, followers, published),
        daily=_points(rows, f.start),
        followers=_follower_points(followers, f.start),
        breakdowns=breakdowns,
        heatmap=heatmap(bid, f, timezone=timezone, **kw),
        top=top,
        bottom=[p for p in ranked_posts(bid, f, worst=True, limit=10, **kw) if p.id not in shown][
            :5
        ],
        # Platforms whose posts of the period report no impressions at all.
        platforms_without_impressions=sorted(
            g.key for g in breakdowns["platform"] if g.impressions is None
        ),
        published_total=published[2],
    )


def filter_options(
    business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices of the platform, account and pillar filters."""
    bid = _owned(business_id, user_id, session)
    accounts = session.execute(
        sa.select(SA.id, SA.platform, SA.handle)
        .where(SA.business_id == bid, SA.user_id == user_id)
        .order_by(SA.platform, SA.handle)
    ).all()
    pillars = session.execute(
        sa.select(C.pillar)
        .where(C.business_id == bid, C.pillar != "")
        .group_by(C.pillar)
        .order_by(C.pillar)
    ).all()
    platforms = sorted({a.platform for a in accounts})
    return {
        "platforms": [(p, platform_label(p)) for p in platforms],
        "accounts": [
            (
                str(a.id),
                f"{platform_label(a.platform)} @{a.handle}"
                if a.handle
                else platform_label(a.platform),
            )
            for a in accounts
        ],
        "pillars": [(r[0], r[0]) for r in pillars],
    }


# ------------------------------------------------------------------------ export
POST_COLUMNS = (
    "day", "post_id", "platform", "account", "pillar", "format", "published_at",
    "impressions", "reach", "likes", "comments", "shares", "saves", "clicks",
    "engagement_rate", "url",
)  # fmt: skip
ACCOUNT_COLUMNS = (
    "day", "account_id", "platform", "account", "followers", "following", "posts",
    "profile_views", "reach", "impressions",
)  # fmt: skip


def export_posts_query(
    business_id: uuid.UUID | str, f: Filters, *, user_id: uuid.UUID, session: Session
) -> Any:
    """Per-post daily rows of the period (the CSV export), in (day, post) order."""
    bid = _owned(business_id, user_id, session)
    query = (
        sa.select(
            S.day,
            S.content_id,
            S.platform,
            SA.handle,
            C.pillar,
            _format_expr(),
            C.published_at,
            S.impressions,
            S.reach,
            S.likes,
            S.comments,
            S.shares,
            S.saves,
            S.clicks,
            S.engagement_rate,
            C.remote_url,
        )
        .select_from(ST.join(CT, C.id == S.content_id).outerjoin(SAT, SA.id == C.social_account_id))
        .where(S.business_id == bid, S.day >= f.start, S.day <= f.end)
        .order_by(S.day, S.content_id)
    )
    # Run later by the streaming response: the filters are values, not bind names.
    if f.platform:
        query = query.where(S.platform == f.platform)
    if f.account_id:
        query = query.where(C.social_account_id == uuid.UUID(f.account_id))
    if f.pillar:
        query = query.where(C.pillar == f.pillar)
    return query


def export_accounts_query(
    business_id: uuid.UUID | str, f: Filters, *, user_id: uuid.UUID, session: Session
) -> Any:
    """Account figures per day of the period (the CSV export)."""
    bid = _owned(business_id, user_id, session)
    query = (
        sa.select(
            A.day,
            A.social_account_id,
            A.platform,
            SA.handle,
            A.followers,
            A.following,
            A.posts,
            A.profile_views,
            A.reach,
            A.impressions,
        )
        .select_from(AT.join(SAT, SA.id == A.social_account_id))
        .where(A.business_id == bid, A.day >= f.start, A.day <= f.end)
        .order_by(A.day, A.social_account_id)
    )
    if f.platform:
        query = query.where(A.platform == f.platform)
    if f.account_id:
        query = query.where(A.social_account_id == uuid.UUID(f.account_id))
    return query
