"""GET /analytics/export: CSV of per-post daily figures or account figures.

Signed-in owners only (session cookie; another user's business is a 404). The rows are
streamed from a server-side cursor in batches, so a year of history never sits in
memory. Days are ISO 8601 dates (the pull's UTC day); publish times are ISO 8601 in the
user's time zone with its offset, and the time zone is named in a column of its own.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from aigrowth.accounts.service import SESSION_COOKIE, user_id_for_token
from aigrowth.analytics import queries as q
from aigrowth.businesses.service import get_business, user_timezone
from aigrowth.db import get_engine, session_scope
from aigrowth.dbtypes import utcnow

BATCH = 1000
KINDS = ("posts", "accounts")


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD).") from None


def _cell(value: Any, tz: ZoneInfo) -> Any:
    if value is None:
        return ""  # not reported: an empty cell, never 0
    if hasattr(value, "astimezone"):
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet must not run a pillar name as a formula
    return value


def _rows(query: Any, header: tuple[str, ...], tz: ZoneInfo, tz_name: str) -> Iterator[str]:
    """CSV text in chunks, from a streamed (server-side) cursor of its own."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # UTF-8 byte order mark: Excel then reads "café" as café
    writer = csv.writer(buffer)
    writer.writerow((*header, "time_zone"))
    with Session(get_engine()) as s:
        result = s.execute(query.execution_options(stream_results=True, yield_per=BATCH))
        for batch in result.partitions():
            for row in batch:
                writer.writerow((*(_cell(v, tz) for v in row), tz_name))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _prepare(request: Request) -> tuple[int, str, Any, tuple[str, ...], str, str]:
    """(status, message, query, header, tz name, file name) for the request."""
    params = request.query_params
    with session_scope() as db:
        uid = user_id_for_token(request.cookies.get(SESSION_COOKIE, ""), session=db)
        if uid is None:
            return 401, "Sign in to export analytics.", None, (), "", ""
        business = get_business(params.get("business", ""), user_id=uid, session=db)
        if business is None:
            return 404, "Business not found.", None, (), "", ""
        kind = params.get("kind", "posts")
        if kind not in KINDS:
            return 400, "kind must be posts or accounts.", None, (), "", ""
        try:
            days = int(params.get("days") or 30)
            f = q.make_filters(
                today=utcnow().date(),
                days=days,
                start=_date(params.get("start")),
                end=_date(params.get("end")),
                platform=params.get("platform", ""),
                account_id=params.get("account", ""),
                pillar=params.get("pillar", ""),
            )
        except ValueError as exc:
            return 400, str(exc), None, (), "", ""
        tz_name = user_timezone(uid, session=db)
        build = q.export_posts_query if kind == "posts" else q.export_accounts_query
        query = build(business.id, f, user_id=uid, session=db)
        header = q.POST_COLUMNS if kind == "posts" else q.ACCOUNT_COLUMNS
        slug = re.sub(r"[^a-z0-9]+", "-", business.name.lower()).strip("-")[:40] or "business"
        name = f"analytics-{kind}-{slug}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
        return 200, "", query, header, tz_name, name


async def export_csv(request: Request) -> Response:
    status, message, query, header, tz_name, name = await run_in_threadpool(_prepare, request)
    if status != 200:
        return PlainTextResponse(message, status_code=status, headers={"Cache-Control": "no-store"})
    return StreamingResponse(
        _rows(query, header, ZoneInfo(tz_name), tz_name),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES: list[BaseRoute] = [Route("/analytics/export", export_csv, methods=["GET"])]
