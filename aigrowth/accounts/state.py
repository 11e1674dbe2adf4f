"""Who is signed in, for every Reflex page and event handler.

The session token lives in an HttpOnly cookie that page JavaScript cannot read. It
reaches the backend with the websocket handshake (`router.headers.cookie`), and every
check re-validates it against the sessions table, so a revoked or expired session stops
working at the next event, even in an open tab. Client-set vars are never trusted:
other states call `current_user_id(self)` (async) or `session_user_id(self)` (sync).
"""

from __future__ import annotations

import asyncio
import json
import uuid
import zoneinfo
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import reflex as rx
from sqlmodel import Session

from aigrowth.accounts import oauth, service
from aigrowth.accounts.service import SESSION_COOKIE, parse_cookie
from aigrowth.db import session_scope
from aigrowth.netaddr import client_address
from aigrowth.settings import get_settings

T = TypeVar("T")

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
    """The visitor's address: the websocket's TCP peer, or behind TRUSTED_PROXY_HOPS
    reverse proxies the address they saw (aigrowth.netaddr; throttles key on it)."""
    headers = state.router.headers.raw_headers
    peer = headers.get("asgi-scope-client", "") or state.router.session.client_ip or ""
    return client_address(peer, headers.get("x-forwarded-for", ""))


def navigate_to(url: str, *, fresh_state: bool = True, cookie: str = "") -> rx.event.EventSpec:
    """A real top-level navigation (rx.redirect would route same-host URLs client-side,
    never reaching our HTTP routes, which must set or clear the HttpOnly cookie).

    `fresh_state` drops this tab's Reflex client token first, so the next page starts
    from new state: nothing one user loaded can flash up for the next user of a shared
    browser tab. `cookie` (a full `document.cookie` assignment) is set just before.
    """
    reset = "window.sessionStorage.removeItem('token');" if fresh_state else ""
    set_cookie = f"document.cookie={json.dumps(cookie)};" if cookie else ""
    return rx.call_script(f"{set_cookie}{reset}window.location.assign({json.dumps(url)})")


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


# ------------------------------------------------------------------------ page states
def _ua(state: rx.State) -> str:
    return state.router.headers.user_agent or ""


def _query(state: rx.State, name: str) -> str:
    return state.router.url.query_parameters.get(name, "")


def _start_session(state: rx.State, user_id: uuid.UUID, next_path: str) -> rx.event.EventSpec:
    """Hand the browser to /auth/complete, which sets the HttpOnly cookie.

    The ticket is bound to this browser: the script that sends it there first stores
    the binding in a cookie only /auth/complete receives (60 s). Another browser given
    the ticket URL has no such cookie and signs nobody in.
    """
    binding = service.new_token()
    ticket = service.issue_login_ticket(
        user_id, binding=binding, user_agent=_ua(state), ip_address=client_ip(state)
    )
    cookie = (
        f"{service.TICKET_COOKIE}={binding}; Path={service.TICKET_COOKIE_PATH}; "
        f"Max-Age={service.LOGIN_TICKET_TTL_SECONDS}; SameSite=Lax"
        + ("; Secure" if get_settings().cookie_secure else "")
    )
    return navigate_to(service.login_url(ticket, next_path), cookie=cookie)


def _in_session(work: Callable[[Session], T]) -> T:
    with session_scope() as db:
        return work(db)


async def _off_loop(work: Callable[[Session], T]) -> tuple[T | None, str]:
    """Run ``work(db)`` in a worker thread, so password hashing, DB, Redis and mail work
    never stall the event loop: (result, "") or (None, the AccountError's message).

    The handlers that call it are background events: they hold the tab's state lock
    only to read the form and to write the outcome (`async with self`), never during
    the work, so events the page sends meanwhile (the browser's time zone, say) do not
    wait for it and cannot race its outcome.
    """
    try:
        return await asyncio.to_thread(_in_session, work), ""
    except service.AccountError as exc:
        return None, str(exc)


def ask_browser_timezone(callback: rx.EventHandler) -> rx.event.EventSpec:
    """Read the browser's IANA zone (Intl API) and hand it to ``callback``."""
    return rx.call_script("Intl.DateTimeFormat().resolvedOptions().timeZone", callback=callback)


class BrowserTimezoneMixin(rx.State, mixin=True):
    """Receives the zone read by `ask_browser_timezone` (the class declares the var)."""

    browser_timezone: str

    @rx.event
    def set_browser_timezone(self, value: str):
        """Anything zoneinfo doesn't know is ignored."""
        if isinstance(value, str) and service.is_valid_timezone(value):
            self.browser_timezone = value


class FormMixin(rx.State, mixin=True):
    """A page with one form: its error message and whether it is being submitted."""

    error: str = ""
    loading: bool = False

    def _clear_form(self) -> None:
        self.error = ""
        self.loading = False

    def _busy(self) -> None:
        """Submitting: clear the last message and show the spinner."""
        self.error = ""
        self.loading = True

    def _failed(self, error: str) -> bool:
        """Show the refusal of an `_off_loop` call (and stop the spinner); False if none."""
        if error:
            self.error = error
            self.loading = False
        return bool(error)


class OAuthOfferState(BrowserTimezoneMixin, rx.State, mixin=True):
    """The "Continue with Google / GitHub" buttons of /login and /signup.

    Offered only for providers whose client id and secret are configured. The links
    go to our HTTP start route (a top-level navigation, which sets the browser binding
    cookie) and carry the page's `next` and the browser's time zone for a new account.
    """

    oauth_offered: list[str] = []
    oauth_next: str = ""
    browser_timezone: str = "UTC"

    def _offer(self) -> list[rx.event.EventSpec]:
        """on_load of /login and /signup: fill the offer; a signed-in visitor moves on."""
        self.oauth_offered = [p.name for p in oauth.configured_providers()]
        self.oauth_next = service.safe_next(_query(self, "next"))
        return [
            AuthState.redirect_if_signed_in,
            ask_browser_timezone(type(self).set_browser_timezone),
        ]

    def _href(self, provider: str) -> str:
        if provider not in self.oauth_offered:
            return ""
        query = urlencode({"next": self.oauth_next or "/dashboard", "tz": self.browser_timezone})
        return f"{get_settings().effective_api_url}/auth/oauth/{provider}/start?{query}"

    @rx.var
    def google_href(self) -> str:
        return self._href("google")

    @rx.var
    def github_href(self) -> str:
        return self._href("github")

    @rx.var
    def oauth_any(self) -> bool:
        return bool(self.oauth_offered)


class LoginState(FormMixin, OAuthOfferState, rx.State):
    oauth_error: str = ""
    notice: str = ""

    @rx.event
    def on_load(self):
        self._clear_form()
        self.oauth_error = ""
        params = self.router.url.query_parameters
        if params.get("error") == "expired":
            self.notice = "That sign-in took too long. Please sign in again."
        elif params.get("signed_out"):
            self.notice = "You're signed out. See you soon!"
        else:
            self.notice = ""
        if params.get("oauth_error"):
            self.oauth_error = oauth.error_message(
                params.get("oauth_error", ""), params.get("provider", "")
            )
        return self._offer()

    @rx.event(background=True)
    async def submit(self, form: dict):
        async with self:
            self.oauth_error = ""
            self._busy()
            ip, next_path = client_ip(self), _query(self, "next")
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        user_id, error = await _off_loop(
            lambda db: service.authenticate(email, password, session=db, ip=ip).id
        )
        async with self:
            if self._failed(error) or user_id is None:
                return
        yield _start_session(self, user_id, next_path)


class SignupState(FormMixin, OAuthOfferState, rx.State):
    sent_to: str = ""

    @rx.var
    def mail_in_outbox(self) -> bool:
        """No SMTP: tell the self-hoster where confirmation links go."""
        return not get_settings().smtp_url

    @rx.event
    def on_load(self):
        self._clear_form()
        self.sent_to = ""
        return self._offer()

    @rx.event
    def start_over(self):
        self.sent_to = ""
        self.error = ""

    @rx.event(background=True)
    async def submit(self, form: dict):
        async with self:
            self._busy()
            tz, ip = self.browser_timezone, client_ip(self)
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        name = str(form.get("full_name", ""))
        result, error = await _off_loop(
            lambda db: service.sign_up(
                email, password, session=db, full_name=name, timezone=tz, ip=ip
            )
        )
        async with self:
            if self._failed(error) or result is None:
                return
            if result.user_id is None:
                self.sent_to = service.normalize_email(email)
                self.loading = False
                return
        yield rx.toast.success("Welcome! Your account is ready.")
        yield _start_session(self, result.user_id, "/dashboard")


class ForgotState(FormMixin, rx.State):
    sent: bool = False

    @rx.event
    def on_load(self):
        self._clear_form()
        self.sent = False

    @rx.event(background=True)
    async def submit(self, form: dict):
        async with self:
            self._busy()
            ip = client_ip(self)
        email = str(form.get("email", ""))
        _, error = await _off_loop(
            lambda db: service.request_password_reset(email, session=db, ip=ip)
        )
        async with self:
            if not self._failed(error):
                self.sent = True
                self.loading = False


class ResetState(FormMixin, rx.State):
    token_ok: bool = False
    checked: bool = False
    # Linked Google/GitHub sign-ins: a new password does not close them, so say so.
    other_sign_ins: list[str] = []

    def _check_token(self) -> None:
        with session_scope() as db:
            token = _query(self, "token")
            self.token_ok = service.reset_token_is_valid(token, session=db)
            self.other_sign_ins = service.reset_sign_ins(token, session=db)

    @rx.event
    def on_load(self):
        self._clear_form()
        self._check_token()
        self.checked = True

    @rx.event(background=True)
    async def submit(self, form: dict):
        password = str(form.get("password", ""))
        async with self:
            if password != str(form.get("confirm", "")):
                self.error = "The two passwords don't match."
                return
            self._busy()
            token = _query(self, "token")
        user_id, error = await _off_loop(
            lambda db: service.reset_password(token, password, session=db)
        )
        async with self:
            if self._failed(error) or user_id is None:
                self._check_token()
                return
        yield rx.toast.success("Password changed. Every other device was signed out.")
        yield _start_session(self, user_id, "/dashboard")


class VerifyState(FormMixin, rx.State):
    """/verify?token=…: the link proves the inbox, the password proves who signed up."""

    checked: bool = False
    valid: bool = False

    @rx.event
    def on_load(self):
        self._clear_form()
        with session_scope() as db:
            self.valid = service.verify_token_is_valid(_query(self, "token"), session=db)
        self.checked = True

    @rx.event(background=True)
    async def submit(self, form: dict):
        async with self:
            self._busy()
            token, ip = _query(self, "token"), client_ip(self)
        password = str(form.get("password", ""))
        user_id, error = await _off_loop(
            lambda db: service.confirm_sign_up(token, password, session=db, ip=ip)
        )
        async with self:
            if self._failed(error) or user_id is None:
                self.valid = error != service.VERIFY_EXPIRED
                return
        yield rx.toast.success("Email confirmed. Welcome!")
        yield _start_session(self, user_id, "/dashboard")


class ConfirmEmailState(FormMixin, rx.State):
    """/confirm-email?token=…: the link sent to a new address. A button applies it (a
    mail scanner that merely opens links changes nothing)."""

    checked: bool = False
    valid: bool = False
    new_email: str = ""
    done_email: str = ""

    @rx.event
    def on_load(self):
        self._clear_form()
        self.done_email = ""
        with session_scope() as db:
            self.new_email = service.pending_email_change(_query(self, "token"), session=db)
        self.valid = bool(self.new_email)
        self.checked = True

    @rx.event(background=True)
    async def confirm(self):
        async with self:
            self._busy()
            token = _query(self, "token")
        new_email, error = await _off_loop(
            lambda db: service.confirm_email_change(token, session=db)
        )
        async with self:
            if self._failed(error) or new_email is None:
                self.valid = False
                return
            self.done_email = new_email
            self.loading = False
        yield rx.toast.success(f"You now sign in with {new_email}.")


class LinkState(FormMixin, rx.State):
    """/link-account: a provider's verified email matches an existing account, whose
    password must be entered before the new sign-in method is linked to it."""

    checked: bool = False
    valid: bool = False
    email: str = ""
    provider_label: str = ""
    has_password: bool = False

    def _binding(self) -> str:
        return parse_cookie(self.router.headers.cookie, oauth.OAUTH_COOKIE)

    @rx.event
    def on_load(self):
        self._clear_form()
        with session_scope() as db:
            pending = oauth.pending_link(_query(self, "token"), binding=self._binding(), session=db)
        self.valid = pending is not None
        self.email = pending.email if pending else ""
        self.provider_label = pending.provider_label if pending else ""
        self.has_password = bool(pending and pending.has_password)
        self.checked = True

    @rx.event(background=True)
    async def submit(self, form: dict):
        async with self:
            self._busy()
            token, binding, ip = _query(self, "token"), self._binding(), client_ip(self)
        password = str(form.get("password", ""))
        linked, error = await _off_loop(
            lambda db: oauth.confirm_link(token, password, binding=binding, session=db, ip=ip)
        )
        async with self:
            if self._failed(error) or linked is None:
                self.valid = error != oauth.LINK_EXPIRED
                return
            label = self.provider_label
        user_id, next_path = linked
        yield rx.toast.success(f"{label} sign-in linked to your account.")
        yield _start_session(self, user_id, next_path)

    @rx.event
    def cancel(self):
        oauth.cancel_link(_query(self, "token"), binding=self._binding())
        self.valid = False
        return rx.redirect("/login")


def zoneinfo_or_utc(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def describe_user_agent(ua: str) -> str:
    """'Chrome on macOS' from a User-Agent string (good enough for a sessions list)."""
    if not ua:
        return "Unknown device"
    browser = next(
        (
            name
            for key, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Chromium/", "Chromium"),
                ("Safari/", "Safari"),
            )
            if key in ua
        ),
        "Browser",
    )
    system = next(
        (
            name
            for key, name in (
                ("Android", "Android"),
                ("iPhone", "iOS"),
                ("iPad", "iPadOS"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if key in ua
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


_SIGN_IN_AGAIN = "/login?next=/settings"


class SettingsState(BrowserTimezoneMixin, rx.State):
    """Profile, time zone, email, password, linked sign-ins and sessions of the
    signed-in user."""

    full_name: str = ""
    email: str = ""
    email_pending: str = ""  # a change asked for in this visit, waiting for its link
    # Linked Google/GitHub sign-ins: {"id", "provider", "label"}.
    sign_ins: list[dict[str, str]] = []
    timezone: str = "UTC"
    browser_timezone: str = ""
    sessions: list[dict[str, str]] = []
    profile_error: str = ""
    email_error: str = ""
    password_error: str = ""
    has_password: bool = True
    password_link_sent: bool = False
    saving: str = ""  # which form is submitting: profile | email | password | sessions
    form_key: int = 0  # bumped to reset uncontrolled password inputs after success

    @rx.var(cache=True)
    def timezone_options(self) -> list[str]:
        return list(service.timezone_names())

    def _uid(self) -> uuid.UUID | None:
        return session_user_id(self)

    def _refresh(self, uid: uuid.UUID) -> None:
        with session_scope() as db:
            profile = service.get_profile(uid, session=db)
            infos = service.list_sessions(uid, session=db, current_token=session_token(self))
            methods = service.list_sign_in_methods(uid, session=db)
        self.full_name = profile.full_name
        self.email = profile.email
        self.timezone = profile.timezone
        self.has_password = profile.has_password
        self.sign_ins = [{"id": m.id, "provider": m.provider, "label": m.label} for m in methods]
        tz = zoneinfo_or_utc(profile.timezone)
        self.sessions = [
            {
                "id": info.id,
                "device": describe_user_agent(info.user_agent),
                "ip": info.ip_address or "unknown IP",
                "last_seen": info.last_seen_at.astimezone(tz).strftime("%d %b %Y, %H:%M"),
                "created": info.created_at.astimezone(tz).strftime("%d %b %Y"),
                "current": "1" if info.current else "",
            }
            for info in infos
        ]

    def _begin(self, form: str) -> Generator[Any, None, uuid.UUID | None]:
        """Start submitting a Settings form: clear its message, check the session (None:
        signed out, sent to sign in) and let the page show the spinner before the work."""
        setattr(self, f"{form}_error", "")
        uid = self._uid()
        if uid is None:
            yield rx.redirect(_SIGN_IN_AGAIN)
            return None
        self.saving = form
        yield
        return uid

    @contextmanager
    def _saving(self, form: str) -> Iterator[Session]:
        """A DB session for one Settings form (profile | email | password): an
        AccountError becomes that form's message instead of a crash. Callers check
        ``getattr(self, f"{form}_error")`` after."""
        try:
            with session_scope() as db:
                yield db
        except service.AccountError as exc:
            setattr(self, f"{form}_error", str(exc))
        finally:
            self.saving = ""

    def _saved(self, form: str, error: str) -> bool:
        """End an `_off_loop` save of one form: its message (if refused), no spinner."""
        self.saving = ""
        setattr(self, f"{form}_error", error)
        return not error

    @rx.event
    def on_load(self):
        self.profile_error = self.email_error = self.password_error = ""
        self.saving = ""
        self.email_pending = ""
        uid = self._uid()
        if uid is None:
            return None  # the page guard redirects to /login
        self._refresh(uid)
        return ask_browser_timezone(SettingsState.set_browser_timezone)

    @rx.event
    def use_browser_timezone(self):
        if self.browser_timezone:
            self.timezone = self.browser_timezone

    @rx.event
    def set_timezone(self, value: str):
        self.timezone = value

    @rx.event
    def save_profile(self, form: dict):
        uid = yield from self._begin("profile")
        if uid is None:
            return None
        with self._saving("profile") as db:
            profile = service.update_profile(
                uid,
                session=db,
                full_name=str(form.get("full_name", "")),
                timezone=str(form.get("timezone", self.timezone)).strip(),
            )
        if self.profile_error:
            return None
        self.full_name = profile.full_name
        self.timezone = profile.timezone
        yield AuthState.require_login  # refresh the name in the header
        yield rx.toast.success("Profile saved.")
        return None

    @rx.event(background=True)
    async def change_email(self, form: dict):
        """Ask for the change; it happens when the link sent to the new address is opened."""
        async with self:
            self.email_error = ""
            uid, ip = self._uid(), client_ip(self)
            if uid is not None:
                self.saving = "email"
        if uid is None:
            yield rx.redirect(_SIGN_IN_AGAIN)
            return
        new, password = str(form.get("email", "")), str(form.get("password", ""))
        sent_to, error = await _off_loop(
            lambda db: service.change_email(uid, new, password, session=db, ip=ip)
        )
        async with self:
            if not self._saved("email", error) or sent_to is None:
                return
            self.email_pending = sent_to
            self.form_key += 1
        yield rx.toast.success(f"We've sent a link to {sent_to}. Open it to finish the change.")

    @rx.event(background=True)
    async def change_password(self, form: dict):
        new, current = str(form.get("new_password", "")), str(form.get("current_password", ""))
        async with self:
            if new != str(form.get("confirm", "")):
                self.password_error = "The two new passwords don't match."
                return
            self.password_error = ""
            uid, keep, ip = self._uid(), session_token(self), client_ip(self)
            if uid is not None:
                self.saving = "password"
        if uid is None:
            yield rx.redirect(_SIGN_IN_AGAIN)
            return
        revoked, error = await _off_loop(
            lambda db: service.change_password(
                uid, current, new, session=db, keep_token=keep, ip=ip
            )
        )
        async with self:
            if not self._saved("password", error) or revoked is None:
                return
            self.form_key += 1
            self._refresh(uid)
        others = f" {revoked} other session(s) were signed out." if revoked else ""
        yield rx.toast.success("Password changed." + others)

    @rx.event
    def remove_sign_in(self, identity_id: str):
        """Unlink a Google/GitHub sign-in (never the account's last way in)."""
        if (uid := self._uid()) is None:
            return rx.redirect(_SIGN_IN_AGAIN)
        try:
            with session_scope() as db:
                service.remove_sign_in_method(identity_id, user_id=uid, session=db)
        except service.NotFound:
            return rx.toast.error("That sign-in is no longer linked.")
        except service.AccountError as exc:
            return rx.toast.error(str(exc))
        self._refresh(uid)
        return rx.toast.success("Sign-in removed. It no longer opens your account.")

    @rx.event
    def send_password_link(self):
        """An account made with Google/GitHub: mail a link to choose a password."""
        if (uid := self._uid()) is None:
            return rx.redirect(_SIGN_IN_AGAIN)
        with session_scope() as db:
            email = service.get_profile(uid, session=db).email
            try:
                service.request_password_reset(email, session=db, ip=client_ip(self))
            except service.AccountError as exc:
                return rx.toast.error(str(exc))
        self.password_link_sent = True
        return rx.toast.success(f"We've emailed {email} a link to choose a password.")

    @rx.event
    def sign_out_session(self, session_id: str):
        if (uid := self._uid()) is None:
            return rx.redirect(_SIGN_IN_AGAIN)
        try:
            with session_scope() as db:
                service.revoke_session_by_id(uuid.UUID(session_id), user_id=uid, session=db)
        except (service.NotFound, ValueError):
            return rx.toast.error("That session no longer exists.")
        self._refresh(uid)
        return rx.toast.success("That device was signed out.")

    @rx.event
    def sign_out_others(self):
        if (uid := self._uid()) is None:
            return rx.redirect(_SIGN_IN_AGAIN)
        self.saving = "sessions"
        with session_scope() as db:
            count = service.revoke_user_sessions(uid, session=db, except_token=session_token(self))
        self.saving = ""
        self._refresh(uid)
        if count:
            return rx.toast.success(f"Signed out of {count} other session(s).")
        return rx.toast.info("No other sessions were signed in.")
