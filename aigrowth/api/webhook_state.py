"""Settings → Webhooks: thin state over aigrowth.api.webhooks (owner from the session).

Register an endpoint (the signing secret is shown once), see each endpoint's latest
deliveries with their answers, redeliver one, remove an endpoint. Database work and
the URL check (a DNS look-up) run in a thread.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TypedDict

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.api import webhooks
from aigrowth.content.access import format_local, user_timezone
from aigrowth.db import session_scope

SHOWN_DELIVERIES = 5


class DeliveryRow(TypedDict):
    id: str
    event: str
    status: str
    answer: str  # "HTTP 200", or the error
    when: str


class EndpointRow(TypedDict):
    id: str
    url: str
    events: str
    deliveries: list[DeliveryRow]


def _rows(user_id: uuid.UUID) -> list[EndpointRow]:
    with session_scope() as db:
        tz = user_timezone(user_id, session=db)
        out: list[EndpointRow] = []
        for e in webhooks.list_endpoints(user_id, session=db):
            found = webhooks.list_deliveries(
                e.id, user_id=user_id, session=db, limit=SHOWN_DELIVERIES
            )
            out.append(
                EndpointRow(
                    id=str(e.id),
                    url=e.url,
                    events=", ".join(e.events or []),
                    deliveries=[
                        DeliveryRow(
                            id=str(d.id),
                            event=d.event_type,
                            status=d.status,
                            answer=(f"HTTP {d.last_status_code}" if d.last_status_code else "")
                            or d.last_error
                            or "not sent yet",
                            when=format_local(d.created_at, tz),
                        )
                        for d in found
                    ],
                )
            )
        return out


def _create(user_id: uuid.UUID, url: str, events: list[str]) -> str:
    with session_scope() as db:
        _row, secret = webhooks.create_endpoint(user_id, url, events, session=db)
        return secret


def _remove(user_id: uuid.UUID, endpoint_id: str) -> None:
    with session_scope() as db:
        webhooks.delete_endpoint(uuid.UUID(endpoint_id), user_id=user_id, session=db)


def _redeliver(user_id: uuid.UUID, delivery_id: str) -> None:
    with session_scope() as db:
        webhooks.redeliver(uuid.UUID(delivery_id), user_id=user_id, session=db)


class WebhooksState(rx.State):
    endpoints: list[EndpointRow] = []
    url: str = ""
    events: list[str] = ["post.published", "post.failed"]
    error: str = ""
    secret: str = ""
    busy: bool = False

    @rx.event
    def set_url(self, value: str):
        self.url, self.error = value[:2000], ""

    @rx.event
    def toggle_event(self, event: str, on: bool):
        chosen = [e for e in self.events if e != event]
        self.events = [e for e in webhooks.EVENTS if e in chosen or (on and e == event)]

    @rx.event
    def dismiss_secret(self):
        self.secret = ""

    @rx.event
    async def load(self):
        uid = session_user_id(self)
        self.secret = ""  # shown once: not again after leaving or reloading the page
        self.endpoints = await asyncio.to_thread(_rows, uid) if uid else []

    @rx.event
    async def create(self):
        uid = session_user_id(self)
        if uid is None:
            return
        self.busy, self.error = True, ""
        yield
        try:
            self.secret = await asyncio.to_thread(_create, uid, self.url, list(self.events))
        except webhooks.WebhookError as exc:
            self.error = str(exc)
            return
        finally:
            self.busy = False
        self.url = ""
        self.endpoints = await asyncio.to_thread(_rows, uid)
        yield rx.toast.success("Endpoint added. Copy its signing secret now: it is shown once.")

    @rx.event
    async def remove(self, endpoint_id: str):
        uid = session_user_id(self)
        if uid is None:
            return
        try:
            await asyncio.to_thread(_remove, uid, endpoint_id)
        except (LookupError, ValueError):
            yield rx.toast.error("That endpoint was not found.")
            return
        self.endpoints = await asyncio.to_thread(_rows, uid)
        yield rx.toast.success("Endpoint removed.")

    @rx.event
    async def redeliver(self, delivery_id: str):
        uid = session_user_id(self)
        if uid is None:
            return
        try:
            await asyncio.to_thread(_redeliver, uid, delivery_id)
        except (LookupError, ValueError, webhooks.WebhookError) as exc:
            yield rx.toast.error(str(exc).strip("'\"") or "That delivery was not found.")
            return
        self.endpoints = await asyncio.to_thread(_rows, uid)
        yield rx.toast.success("Sending it again.")
