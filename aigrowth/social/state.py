"""Reflex state of the Accounts page: thin, calls aigrowth.social.service.

The signed-in user is re-read from the session cookie in every handler
(`session_user_id`), never taken from a client-set var; the service scopes by it.
Network calls (OAuth start, Bluesky login, revocation) run in a worker thread so the
event loop stays free.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

import reflex as rx

from aigrowth.accounts.state import navigate_to, session_token, session_user_id
from aigrowth.db import session_scope
from aigrowth.social import service
from aigrowth.ui.theme import PLATFORM_LABELS as LABELS

log = logging.getLogger(__name__)
T = TypeVar("T")
LOGIN = "/login?next=/accounts"
# The id and form name of the Bluesky app password field (an uncontrolled input).
APP_PASSWORD_FIELD = "bsky_app_password"

_HEALTH_LABELS = {
    "active": "Active",
    "expiring": "Expiring soon",
    "needs_reconnect": "Needs reconnect",
}


def _user_tz(user_id: uuid.UUID) -> zoneinfo.ZoneInfo:
    from aigrowth.accounts.models import User

    with session_scope() as db:
        user = db.get(User, user_id)
        name = user.timezone if user is not None else "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _local(iso: str, tz: zoneinfo.ZoneInfo) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%d %b %Y, %H:%M")


class SocialAccountsState(rx.State):
    configured: dict[str, bool] = {}
    settings_needed: dict[str, str] = {}
    redirect_uris: dict[str, str] = {}
    accounts: list[dict[str, str]] = []
    loaded: bool = False
    busy: str = ""  # platform (or account id) with an action in progress
    instance_url: str = ""
    bsky_handle: str = ""
    # No var for the app password: it arrives with the form submission and lives only
    # in `connect_bluesky` (a state var, even a backend-only one, is kept with the UI
    # state in Redis, and a public one is sent back to the browser).
    bsky_pds: str = ""
    bsky_advanced: bool = False
    confirm_id: str = ""
    confirm_label: str = ""

    @rx.var
    def confirm_open(self) -> bool:
        return self.confirm_id != ""

    # ------------------------------------------------------------ loading
    def _refresh(self, user_id: uuid.UUID) -> None:
        tz = _user_tz(user_id)
        with session_scope() as db:
            views = service.list_accounts(user_id, session=db)
        rows = []
        for v in views:
            row = {k: str(val) for k, val in asdict(v).items()}
            row["health_label"] = _HEALTH_LABELS.get(v.health, v.health)
            row["last_published"] = _local(v.last_published_at, tz) or "Never"
            row["initials"] = (v.display_name or v.handle or "?")[:2].upper()
            rows.append(row)
        self.accounts = rows
        cards = service.platform_cards()
        self.configured = {c.platform: c.configured for c in cards}
        self.settings_needed = {c.platform: c.settings_needed for c in cards}
        self.redirect_uris = {c.platform: c.redirect_uri for c in cards}
        self.loaded = True

    @rx.event
    def load(self):
        uid = session_user_id(self)
        if uid is None:
            return None
        self._refresh(uid)
        params = self.router.url.query_parameters
        events = []
        if params.get("connected"):
            label = LABELS.get(params["connected"], "Account")
            events.append(rx.toast.success(f"{label} connected."))
        elif params.get("error"):
            events.append(rx.toast.error(params["error"][:300], duration=10000))
        if events:
            events.append(rx.call_script("window.history.replaceState(null, '', '/accounts')"))
        return events

    # ------------------------------------------------------------ inputs
    @rx.event
    def set_instance_url(self, value: str):
        self.instance_url = value

    @rx.event
    def set_bsky_handle(self, value: str):
        self.bsky_handle = value

    @rx.event
    def set_bsky_pds(self, value: str):
        self.bsky_pds = value

    @rx.event
    def toggle_bsky_advanced(self):
        self.bsky_advanced = not self.bsky_advanced

    # ------------------------------------------------------------ connecting
    def _row(self, account_id: str) -> dict[str, str] | None:
        return next((a for a in self.accounts if a["id"] == account_id), None)

    async def _in_thread(self, call: Callable[[], T], failed: str) -> tuple[T | None, Any]:
        """Run a blocking service call off the event loop → (result, None), or
        (None, an error toast) with `busy` cleared: SocialError says why, others `failed`."""
        try:
            return await asyncio.to_thread(call), None
        except service.SocialError as exc:
            self.busy = ""
            return None, rx.toast.error(str(exc))
        except Exception:
            log.exception("accounts page action failed")
            self.busy = ""
            return None, rx.toast.error(failed)

    async def _begin(self, platform: str, instance_url: str = "", kind: str = ""):
        """Start an OAuth connect; `kind` = "page" asks LinkedIn for company pages."""
        uid = session_user_id(self)
        if uid is None:
            yield rx.redirect(LOGIN)
            return
        token = session_token(self)
        self.busy = f"{platform}:{kind}" if kind else platform
        yield

        def run() -> str:
            with session_scope() as db:
                return service.begin_connect(
                    platform,
                    user_id=uid,
                    session=db,
                    session_token=token,
                    instance_url=instance_url,
                    extra={"account_type": kind} if kind else None,
                )

        url, error = await self._in_thread(run, "Could not start the connection. Please try again.")
        yield error or navigate_to(url)

    @rx.event
    async def connect(self, platform: str):
        async for event in self._begin(platform):
            yield event

    @rx.event
    async def connect_linkedin_pages(self):
        async for event in self._begin("linkedin", kind="page"):
            yield event

    @rx.event
    async def connect_mastodon(self):
        if not self.instance_url.strip():
            yield rx.toast.error("Type your Mastodon server, for example mastodon.social.")
            return
        async for event in self._begin("mastodon", self.instance_url):
            yield event

    @rx.event
    async def connect_bluesky(self, form_data: dict[str, Any]):
        """`form_data["app_password"]` is the uncontrolled password field: it is used for
        this one sign-in and the field is emptied at once, whatever the outcome."""
        password = str(form_data.get(APP_PASSWORD_FIELD) or "")
        form_data.clear()
        uid = session_user_id(self)
        if uid is None:
            yield rx.redirect(LOGIN)
            return
        handle, pds = self.bsky_handle, self.bsky_pds
        self.busy = "bluesky"
        yield rx.set_value(APP_PASSWORD_FIELD, "")

        def run() -> str:
            with session_scope() as db:
                account = service.connect_bluesky(
                    user_id=uid, handle=handle, app_password=password, pds_url=pds, session=db
                )
                return account.handle

        name, error = await self._in_thread(run, "Could not connect to Bluesky. Please try again.")
        if error:
            yield error
            return
        self.busy = ""
        self.bsky_handle = ""
        self._refresh(uid)
        yield rx.toast.success(f"Bluesky connected as @{name}.")

    @rx.event
    async def reconnect(self, account_id: str):
        row = self._row(account_id)
        if row is None:
            return
        if row["platform"] == "bluesky":
            self.bsky_handle = row["handle"]
            self.bsky_pds = "" if "bsky.social" in row["instance_url"] else row["instance_url"]
            self.bsky_advanced = bool(self.bsky_pds)
            yield rx.toast.info("Enter a fresh app password below to reconnect Bluesky.")
            return
        kind = "page" if row["platform"] == "linkedin" and row["account_type"] == "page" else ""
        async for event in self._begin(row["platform"], row["instance_url"], kind):
            yield event

    # ------------------------------------------------------------ disconnecting
    @rx.event
    def ask_disconnect(self, account_id: str):
        row = self._row(account_id)
        if row is None:
            return
        self.confirm_id = account_id
        self.confirm_label = row["display_name"] or row["handle"]

    @rx.event
    def cancel_disconnect(self):
        self.confirm_id = ""

    @rx.event
    async def confirm_disconnect(self):
        uid = session_user_id(self)
        account_id = self.confirm_id
        self.confirm_id = ""
        if uid is None or not account_id:
            return
        self.busy = account_id
        yield

        def run() -> bool:
            with session_scope() as db:
                return service.disconnect(account_id, user_id=uid, session=db)

        revoked, error = await self._in_thread(run, "Could not disconnect. Please try again.")
        if error:
            yield error
            return
        self.busy = ""
        self._refresh(uid)
        if revoked:
            yield rx.toast.success("Disconnected, and access was revoked at the platform.")
        else:
            yield rx.toast.warning(
                "Disconnected here. The platform did not confirm revocation; you can also "
                "remove the app in that platform's settings."
            )
