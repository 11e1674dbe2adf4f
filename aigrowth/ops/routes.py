"""rq-dashboard (a Flask app) mounted at /ops/rq behind an admin session check.

Never open: every request (pages, JSON polling, static files, the requeue/delete
POSTs) is checked against the session cookie and `users.is_admin` before it reaches
Flask. Non-admins get 404 (no hint that an operator tool lives here); signed-out
visitors are sent to the sign-in page.

State changes only by POST, and only from our own pages: a GET or HEAD never reaches
an endpoint that changes anything (rq-dashboard accepts `GET /requeue/<queue>`, which
a link or an <img> on any site could trigger), and every other method must carry an
Origin (or Referer) of APP_URL/API_URL (aigrowth.http.origins); the session cookie is
SameSite=Lax as well.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

from aigrowth.accounts.service import SESSION_COOKIE, user_id_for_token
from aigrowth.db import session_scope
from aigrowth.http.origins import is_allowed_origin
from aigrowth.ops.service import is_admin
from aigrowth.settings import get_settings

log = logging.getLogger(__name__)

RQ_DASHBOARD_PATH = "/ops/rq"


@lru_cache(maxsize=1)
def _dashboard_wsgi() -> Any:
    from a2wsgi import WSGIMiddleware
    from rq_dashboard.cli import make_flask_app
    from rq_dashboard.web import setup_rq_connection

    from aigrowth.redis_client import get_redis

    app = make_flask_app(None, None, None, "")
    app.config["RQ_DASHBOARD_REDIS_URL"] = get_settings().effective_redis_url
    app.config["RQ_DASHBOARD_POLL_INTERVAL"] = 5000
    setup_rq_connection(app)
    app.redis_conn = get_redis()  # unix sockets and our connection options
    return WSGIMiddleware(app)


def _user_is_admin(token: str) -> bool | None:
    """True admin, False signed in but not admin, None not signed in."""
    if not token:
        return None
    with session_scope() as db:
        uid = user_id_for_token(token, session=db)
        if uid is None:
            return None
        return is_admin(uid, session=db)


# rq-dashboard 0.9 endpoints that change state (paths below the mount).
_STATE_CHANGING = re.compile(
    r"^/(?:job/[^/]+/(?:delete|requeue)|requeue/[^/]+|queue/[^/]+/(?:[^/]+/empty|compact))/?$"
)
_SAFE_METHODS = ("GET", "HEAD")


def _refusal(request: Request) -> PlainTextResponse | None:
    """Why an admin's request may not reach the dashboard (None = it may)."""
    path = request.url.path.removeprefix(RQ_DASHBOARD_PATH)
    if request.method in _SAFE_METHODS:
        if _STATE_CHANGING.match(path):
            return PlainTextResponse(
                "This action changes state: it is accepted only as a POST from the dashboard.",
                status_code=405,
                headers={"Allow": "POST"},
            )
        return None
    if not is_allowed_origin(request.headers):
        return PlainTextResponse("Cross-origin request refused", status_code=403)
    return None


class AdminOnly:
    """ASGI gate in front of the dashboard."""

    def __init__(self, app_factory: Any) -> None:
        self.app_factory = app_factory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        verdict = await run_in_threadpool(_user_is_admin, request.cookies.get(SESSION_COOKIE, ""))
        if verdict is None:
            next_path = quote(f"{RQ_DASHBOARD_PATH}/", safe="/")
            target = f"{get_settings().app_url.rstrip('/')}/login?next={next_path}"
            response: Any = RedirectResponse(target, status_code=303)
        elif not verdict:
            response = PlainTextResponse("Not Found", status_code=404)
        elif (refused := _refusal(request)) is not None:
            response = refused
        else:
            await self.app_factory()(scope, receive, send)
            return
        response.headers["Cache-Control"] = "no-store"
        await response(scope, receive, send)


ROUTES: list[BaseRoute] = [Mount(RQ_DASHBOARD_PATH, app=AdminOnly(_dashboard_wsgi))]
