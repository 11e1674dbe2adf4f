"""Analytics: a business's overview, one post's daily figures, the CSV export.

The overview and the export are the analytics page's own queries
(aigrowth.analytics.queries: one service for the page, the CSV and the API). A figure
a platform does not report is null, never 0.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from sqlmodel import Session, col, select
from starlette.responses import StreamingResponse

from aigrowth.analytics import queries as q
from aigrowth.analytics.models import AnalyticsSnapshot
from aigrowth.api.deps import Db, Reader
from aigrowth.api.problems import ApiProblem
from aigrowth.api.routing import api_router
from aigrowth.api.schemas import GroupFigures, Overview, PostAnalytics, PostDay, RankedPost
from aigrowth.content.service import get_owned
from aigrowth.db import get_engine
from aigrowth.dbtypes import utcnow

router = api_router(tags=["analytics"])
BATCH = 1000


Days = Annotated[
    Literal[7, 30, 90], Query(description="Period ending today (ignored with start/end)")
]
Start = Annotated[date | None, Query(description="Custom period: first day (UTC), inclusive")]
End = Annotated[date | None, Query(description="Custom period: last day, inclusive")]
Text = Annotated[str, Query(max_length=120, pattern=r"^[^\x00]*$")]


def period(
    days: Days = 30,
    start: Start = None,
    end: End = None,
    platform: Text = "",
    account_id: Annotated[uuid.UUID | None, Query()] = None,
    pillar: Text = "",
) -> q.Filters:
    """The analytics page's filters, from the query string (one rule for both routes)."""
    try:
        return q.make_filters(
            today=utcnow().date(),
            days=days,
            start=start,
            end=end,
            platform=platform,
            account_id=str(account_id or ""),
            pillar=pillar,
        )
    except ValueError as exc:
        raise ApiProblem("invalid-request", str(exc)) from None


Period = Annotated[q.Filters, Depends(period)]


def _groups(groups: list[q.Group]) -> list[GroupFigures]:
    return [
        GroupFigures(
            key=g.key,
            posts=g.posts,
            impressions=g.impressions,
            engagements=g.engagements,
            clicks=g.clicks,
            engagement_rate=g.engagement_rate,
        )
        for g in groups
    ]


def _figure(f: q.Figure) -> dict[str, Any]:
    return {"value": f.value, "previous": f.previous, "change": f.change}


@router.get(
    "/businesses/{business_id}/analytics",
    response_model=Overview,
    summary="Overview of a period (headline, daily series, breakdowns, top posts)",
)
def overview(
    business_id: uuid.UUID,
    who: Reader,
    db: Db,
    f: Period,
) -> Overview:
    data = q.page_data(business_id, f, user_id=who.user_id, session=db)
    h = data.headline
    return Overview(
        start=f.start,
        end=f.end,
        headline={k: _figure(getattr(h, k)) for k in asdict(h)},
        daily=[asdict(p) for p in data.daily],
        by_platform=_groups(data.breakdowns.get("platform", [])),
        by_pillar=_groups(data.breakdowns.get("pillar", [])),
        by_format=_groups(data.breakdowns.get("format", [])),
        top_posts=[RankedPost(**asdict(p)) for p in data.top],
        published_total=data.published_total,
    )


@router.get(
    "/content/{content_id}/analytics",
    response_model=PostAnalytics,
    summary="A post's daily figures",
)
def post_analytics(content_id: uuid.UUID, who: Reader, db: Db) -> PostAnalytics:
    post = get_owned(content_id, user_id=who.user_id, session=db)
    rows = db.exec(
        select(AnalyticsSnapshot)
        .where(AnalyticsSnapshot.content_id == post.id)
        .order_by(col(AnalyticsSnapshot.day), col(AnalyticsSnapshot.fetched_at))
    ).all()
    by_day = {r.day: r for r in rows}  # the latest pull of each day wins
    return PostAnalytics(
        content_id=post.id,
        days=[PostDay.model_validate(r, from_attributes=True) for r in by_day.values()],
    )


def _cell(value: Any) -> Any:
    """Empty for "not reported"; ISO 8601 times; no spreadsheet formulas."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(query: Any, header: tuple[str, ...]) -> Iterator[str]:
    """CSV in chunks from a server-side cursor of its own (the request's session is
    closed by the time the body streams)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    with Session(get_engine()) as s:
        result = s.execute(query.execution_options(stream_results=True, yield_per=BATCH))
        for batch in result.partitions():
            writer.writerows([_cell(v) for v in row] for row in batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get(
    "/businesses/{business_id}/analytics/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, one row per day"}},
    summary="Export daily figures as CSV (posts or accounts)",
)
def export(
    business_id: uuid.UUID,
    who: Reader,
    db: Db,
    f: Period,
    kind: Literal["posts", "accounts"] = "posts",
) -> StreamingResponse:
    build = q.export_posts_query if kind == "posts" else q.export_accounts_query
    query = build(business_id, f, user_id=who.user_id, session=db)
    header = q.POST_COLUMNS if kind == "posts" else q.ACCOUNT_COLUMNS
    name = f"analytics-{kind}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    return StreamingResponse(
        _csv(query, header),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
