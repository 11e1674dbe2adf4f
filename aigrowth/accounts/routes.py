"""HTTP routes that set and clear the session cookie.

Reflex events travel over a websocket and cannot set an HttpOnly cookie, so sign-in
ends with a top-level navigation here: the route trades a single-use, 60-second ticket
(created by the sign-in handler after checking the password) for a new session, sets
the cookie and sends the browser back to the app. The ticket is bound to the browser
that signed in (the `aig_ticket` cookie, path /auth/complete), so a ticket URL opened
in any other browser signs nobody in (login CSRF). Endpoints are sync functions, so
Starlette runs their DB work in its thread pool.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from aigrowth.accounts import oauth, service
from aigrowth.accounts.service import SESSION_COOKIE, TICKET_COOKIE, TICKET_COOKIE_PATH
from aigrowth.db import session_scope
from aigrowth.netaddr import client_address
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


def _cookie_flags() -> dict:
    """Every cookie we set: HttpOnly (page scripts never read it), SameSite=Lax, path /
    and Secure when the app is served over HTTPS."""
    return {
        "path": "/",
        "httponly": True,
        "samesite": "lax",
        "secure": get_settings().cookie_secure,
    }


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=COOKIE_MAX_AGE, **_cookie_flags())


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, **_cookie_flags())


def request_ip(request: Request) -> str:
    """The visitor's address behind TRUSTED_PROXY_HOPS proxies (aigrowth.netaddr)."""
    peer = request.client.host if request.client else ""
    return client_address(peer, ",".join(request.headers.getlist("x-forwarded-for")))


def _ticket_cookie_flags() -> dict:
    return {**_cookie_flags(), "path": TICKET_COOKIE_PATH}


def auth_complete(request: Request) -> Response:
    """GET /auth/complete?ticket=...&next=/path → cookie + 303 to the app, for the
    browser holding the ticket's binding cookie only."""
    ticket = request.query_params.get("ticket", "")
    next_path = service.safe_next(request.query_params.get("next"))
    binding = request.cookies.get(TICKET_COOKIE, "")
    with session_scope() as db:
        token = service.complete_login(ticket, binding, session=db)
    if token is None:
        response = RedirectResponse(_app("/login?error=expired"), status_code=303)
    else:
        response = RedirectResponse(_app(next_path), status_code=303)
        set_session_cookie(response, token)
    if binding:
        response.delete_cookie(TICKET_COOKIE, **_ticket_cookie_flags())
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


# ------------------------------------------------------------ Sign in with Google/GitHub
log = logging.getLogger(__name__)


def _set_binding_cookie(response: Response, binding: str) -> None:
    """The browser half of the OAuth state: HttpOnly, 10 minutes. Path / so the
    /link-account page (over the Reflex websocket) can present it too."""
    response.set_cookie(oauth.OAUTH_COOKIE, binding, max_age=oauth.STATE_TTL_S, **_cookie_flags())


def _clear_binding_cookie(response: Response) -> None:
    response.delete_cookie(oauth.OAUTH_COOKIE, **_cookie_flags())


def _not_offered() -> Response:
    return _no_store(PlainTextResponse("Not Found", status_code=404))


def _login_error(code: str, provider: str) -> Response:
    query = urlencode({"oauth_error": code, "provider": provider})
    return _no_store(RedirectResponse(_app(f"/login?{query}"), status_code=303))


def oauth_start(request: Request) -> Response:
    """GET /auth/oauth/{provider}/start?next=/path&tz=Area/City → the provider."""
    name = request.path_params["provider"]
    if oauth.get_provider(name) is None:
        return _not_offered()
    binding = request.cookies.get(oauth.OAUTH_COOKIE, "")
    if not (32 <= len(binding) <= 100):
        binding = service.new_token()  # kept when present: two tabs may sign in at once
    url = oauth.begin(
        name,
        binding=binding,
        next_path=request.query_params.get("next", ""),
        timezone=request.query_params.get("tz", ""),
    )
    response = RedirectResponse(url, status_code=303)
    _set_binding_cookie(response, binding)
    return _no_store(response)


def oauth_callback(request: Request) -> Response:
    """GET /auth/oauth/{provider}/callback?code=...&state=... (or ?error=...)."""
    name = request.path_params["provider"]
    if oauth.get_provider(name) is None:
        return _not_offered()
    q = request.query_params
    if q.get("error"):
        oauth.discard_state(q.get("state", ""))
        code = "cancelled" if q.get("error") == "access_denied" else "failed"
        if code == "failed":
            log.warning("%s sign-in refused by the provider: %s", name, q.get("error")[:100])
        return _login_error(code, name)
    binding = request.cookies.get(oauth.OAUTH_COOKIE, "")
    try:
        identity, started = oauth.finish(
            name, state=q.get("state", ""), code=q.get("code", ""), binding=binding
        )
        with session_scope() as db:
            result = oauth.resolve(identity, started, session=db)
    except oauth.OAuthSignInError as exc:
        return _login_error(exc.code, name)
    if result.link_token:
        query = urlencode({"token": result.link_token})
        response = RedirectResponse(_app(f"/link-account?{query}"), status_code=303)
        return _no_store(response)
    assert result.user_id is not None
    ticket_binding = service.new_token()
    ticket = service.issue_login_ticket(
        result.user_id,
        binding=ticket_binding,
        user_agent=request.headers.get("user-agent", ""),
        ip_address=request_ip(request),
    )
    response = RedirectResponse(service.login_url(ticket, result.next_path), status_code=303)
    _clear_binding_cookie(response)
    response.set_cookie(
        TICKET_COOKIE,
        ticket_binding,
        max_age=service.LOGIN_TICKET_TTL_SECONDS,
        **_ticket_cookie_flags(),
    )
    return _no_store(response)


ROUTES: list[BaseRoute] = [
    Route("/auth/complete", auth_complete, methods=["GET"]),
    Route("/auth/logout", auth_logout, methods=["GET"]),
    Route("/auth/oauth/{provider}/start", oauth_start, methods=["GET"]),
    Route("/auth/oauth/{provider}/callback", oauth_callback, methods=["GET"]),
]
