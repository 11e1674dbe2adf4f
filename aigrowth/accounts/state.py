"""Who is signed in, for every Reflex page and event handler.

The session token lives in an HttpOnly cookie that page JavaScript cannot read. It
reaches the backend with the websocket handshake (`router.headers.cookie`), and every
check re-validates it against the sessions table, so a revoked or expired session stops
working at the next event, even in an open tab. Client-set vars are never trusted:
other states call `current_user_id(self)` (async) or `session_user_id(self)` (sync).
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import reflex as rx

from aigrowth.accounts import service
from aigrowth.accounts.service import SESSION_COOKIE, parse_cookie
from aigrowth.db import session_scope
from aigrowth.settings import get_settings

__all__ = [
    "SESSION_COOKIE",
    "AuthState",
    "current_user_id",
    "navigate_to",
    "session_token",
    "session_user_id",
]


def session_token(state: rx.State) -> str:
    """The raw session token from the websocket handshake ('' when signed out)."""
    return parse_cookie(state.router.headers.cookie, SESSION_COOKIE)


def session_user_id(state: rx.State) -> uuid.UUID | None:
    """The signed-in user's id, re-validated against the DB (sync handlers)."""
    token = session_token(state)
    if not token:
        return None
    with session_scope() as db:
        return service.user_id_for_token(token, session=db)


async def current_user_id(state: rx.State) -> uuid.UUID | None:
    """The signed-in user's id, re-validated against the DB (async handlers)."""
    return session_user_id(state)


def client_ip(state: rx.State) -> str:
    """Reflex resolves X-Forwarded-For only with its `trusted_proxy_hops` config."""
    return state.router.session.client_ip or ""


def navigate_to(url: str) -> rx.event.EventSpec:
    """A real top-level navigation (rx.redirect would route same-host URLs client-side,
    never reaching our HTTP routes, which must set or clear the HttpOnly cookie)."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


class AuthState(rx.State):
    """The signed-in user's identity for display (never used for authorization)."""

    user_id: str = ""
    user_email: str = ""
    user_name: str = ""
    user_timezone: str = "UTC"
    is_admin: bool = False
    auth_checked: bool = False

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_id)

    @rx.var
    def display_name(self) -> str:
        return self.user_name or self.user_email.split("@")[0]

    @rx.var
    def initials(self) -> str:
        source = self.user_name or self.user_email
        parts = [p for p in source.replace("@", " ").replace(".", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def _clear(self) -> None:
        self.user_id = ""
        self.user_email = ""
        self.user_name = ""
        self.user_timezone = "UTC"
        self.is_admin = False

    def _load(self) -> bool:
        """Resolve the cookie; fill the vars. False when there is no valid session."""
        uid = session_user_id(self)
        if uid is None:
            self._clear()
            return False
        with session_scope() as db:
            try:
                profile = service.get_profile(uid, session=db)
            except service.NotFound:
                self._clear()
                return False
        self.user_id = profile.id
        self.user_email = profile.email
        self.user_name = profile.full_name
        self.user_timezone = profile.timezone
        self.is_admin = profile.is_admin
        return True

    @rx.event
    def require_login(self):
        """on_load / on_mount of every signed-in page: no session → sign-in page."""
        ok = self._load()
        self.auth_checked = True
        if not ok:
            url = self.router.url
            here = url.path + (f"?{url.query}" if url.query else "")
            return rx.redirect(f"/login?next={quote(service.safe_next(here), safe='/')}")
        return None

    @rx.event
    def load_optional(self):
        """Public pages that adapt to a signed-in visitor (no redirect)."""
        self._load()
        self.auth_checked = True

    @rx.event
    def redirect_if_signed_in(self):
        """/login and /signup: a signed-in visitor goes straight to the app."""
        if self._load():
            nxt = self.router.url.query_parameters.get("next", "")
            return rx.redirect(service.safe_next(nxt))
        self.auth_checked = True
        return None

    @rx.event
    def sign_out(self):
        """Revoke this session server-side, then let the HTTP route clear the cookie."""
        token = session_token(self)
        if token:
            with session_scope() as db:
                service.revoke_session(token, session=db)
        self._clear()
        return navigate_to(f"{get_settings().effective_api_url}/auth/logout")
