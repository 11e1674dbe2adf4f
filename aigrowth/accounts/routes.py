"""HTTP routes that set and clear the session cookie.

Reflex events travel over a websocket and cannot set an HttpOnly cookie, so sign-in
ends with a top-level navigation here: the route trades a single-use, 60-second ticket
(created by the sign-in handler after checking the password) for a new session, sets
the cookie and sends the browser back to the app. Endpoints are sync functions, so
Starlette runs their DB work in its thread pool.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from aigrowth.accounts import service
from aigrowth.accounts.service import SESSION_COOKIE
from aigrowth.db import session_scope
from aigrowth.settings import get_settings

# The server-side row (30 days, sliding) decides; the cookie may outlive it harmlessly.
COOKIE_MAX_AGE = 400 * 24 * 3600


def _app(path: str) -> str:
    return get_settings().app_url.rstrip("/") + path


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    # The ticket is in the query string: never leak it in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )


def auth_complete(request: Request) -> Response:
    """GET /auth/complete?ticket=...&next=/path → cookie + 303 to the app."""
    ticket = request.query_params.get("ticket", "")
    next_path = service.safe_next(request.query_params.get("next"))
    with session_scope() as db:
        token = service.complete_login(ticket, session=db)
    if token is None:
        return _no_store(RedirectResponse(_app("/login?error=expired"), status_code=303))
    response = RedirectResponse(_app(next_path), status_code=303)
    set_session_cookie(response, token)
    return _no_store(response)


def auth_logout(request: Request) -> Response:
    """GET /auth/logout: clear the cookie of a session the server already revoked.

    The sign-out handler revokes the row first. A live session's cookie is left
    alone, so a third-party page that merely links here cannot sign anyone out.
    """
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        with session_scope() as db:
            live = service.resolve_session(token, session=db) is not None
        if live:
            return _no_store(RedirectResponse(_app("/dashboard"), status_code=303))
    response = RedirectResponse(_app("/login?signed_out=1"), status_code=303)
    clear_session_cookie(response)
    return _no_store(response)


ROUTES: list[BaseRoute] = [
    Route("/auth/complete", auth_complete, methods=["GET"]),
    Route("/auth/logout", auth_logout, methods=["GET"]),
]
