"""Settings → API keys: thin state over aigrowth.api.keys (owner from the session).

The new key's value lives in the state only until the user dismisses it (shown once:
only its hash is stored). Handlers are async and do the database work in a thread.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TypedDict

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.api import keys
from aigrowth.api.models import WRITE, ApiKey
from aigrowth.content.access import format_local, user_timezone
from aigrowth.db import session_scope
from aigrowth.settings import get_settings


class KeyRow(TypedDict):
    id: str
    name: str
    prefix: str
    scope: str  # "Read only" | "Read and write"
    created: str
    last_used: str
    revoked: str  # "" while active


def _rows(user_id: uuid.UUID) -> list[KeyRow]:
    with session_scope() as db:
        tz = user_timezone(user_id, session=db)
        found: list[ApiKey] = keys.list_keys(user_id, session=db)
        return [
            KeyRow(
                id=str(k.id),
                name=k.name,
                prefix=k.prefix + "…",
                scope="Read and write" if k.scope == WRITE else "Read only",
                created=format_local(k.created_at, tz),
                last_used=format_local(k.last_used_at, tz) if k.last_used_at else "Never used",
                revoked=format_local(k.revoked_at, tz) if k.revoked_at else "",
            )
            for k in found
        ]


def _create(user_id: uuid.UUID, name: str, scope: str) -> str:
    with session_scope() as db:
        _row, raw = keys.create_key(user_id, name, scope, session=db)
        return raw


def _revoke(user_id: uuid.UUID, key_id: str) -> None:
    with session_scope() as db:
        keys.revoke_key(key_id, user_id=user_id, session=db)


class ApiKeysState(rx.State):
    keys: list[KeyRow] = []
    name: str = ""
    scope: str = "read"
    error: str = ""
    new_key: str = ""
    busy: bool = False
    loaded: bool = False
    docs_url: str = "/api/v1/docs"

    @rx.event
    def set_name(self, value: str):
        self.name, self.error = value[: keys.NAME_MAX + 20], ""

    @rx.event
    def set_scope(self, value: str):
        self.scope = value if value in ("read", "write") else "read"

    @rx.event
    def dismiss_key(self):
        self.new_key = ""

    @rx.event
    async def load(self):
        uid = session_user_id(self)
        self.new_key = ""  # shown once: not again after leaving or reloading the page
        self.keys = await asyncio.to_thread(_rows, uid) if uid else []
        self.docs_url = get_settings().effective_api_url + "/api/v1/docs"
        self.loaded = True

    @rx.event
    async def create(self):
        uid = session_user_id(self)
        if uid is None:
            return
        self.busy, self.error = True, ""
        yield
        try:
            self.new_key = await asyncio.to_thread(_create, uid, self.name, self.scope)
        except keys.ApiKeyError as exc:
            self.error = str(exc)
            return
        finally:
            self.busy = False
        self.name = ""
        self.keys = await asyncio.to_thread(_rows, uid)
        yield rx.toast.success("Key created. Copy it now: it is shown only once.")

    @rx.event
    async def revoke(self, key_id: str):
        uid = session_user_id(self)
        if uid is None:
            return
        try:
            await asyncio.to_thread(_revoke, uid, key_id)
        except keys.ApiKeyError as exc:
            yield rx.toast.error(str(exc))
            return
        self.keys = await asyncio.to_thread(_rows, uid)
        self.new_key = ""  # never leave a (possibly revoked) key on screen
        yield rx.toast.success("Key revoked. Requests with it are refused from now on.")
