"""Billing page state: thin, calls aigrowth.billing.service.

The user is re-read from the session cookie in every handler. Stripe calls (Checkout,
Portal, re-read after the Portal) run off the event loop. Returning from Checkout never
grants anything: the page shows "confirming…" and polls the database until the webhook
stored the subscription for that very Checkout Session.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypedDict, TypeVar

import reflex as rx
import stripe

from aigrowth.accounts.models import User
from aigrowth.accounts.state import navigate_to, session_user_id
from aigrowth.billing import plans, service
from aigrowth.billing.stripe_api import BillingOffError
from aigrowth.db import session_scope

log = logging.getLogger(__name__)
T = TypeVar("T")
LOGIN = "/login?next=/billing"
CONFIRM_POLL_S = 1.0
CONFIRM_WAIT_S = 90.0

_STATUS_TEXT = {
    "active": "Active",
    "trialing": "Trial",
    "past_due": "Past due",
    "unpaid": "Unpaid",
    "canceled": "Ended",
    "incomplete": "Payment incomplete",
    "incomplete_expired": "Payment expired",
    "paused": "Paused",
}


class MeterRow(TypedDict):
    label: str
    used: int
    limit_text: str
    percent: int
    full: bool


class PlanCard(TypedDict):
    key: str
    label: str
    lines: list[str]
    current: bool
    for_sale: bool


def _day(ts: datetime | None) -> str:
    return ts.strftime("%-d %B %Y") if ts else ""


_NOUNS = {
    plans.BUSINESSES: ("business", "businesses"),
    plans.SOCIAL_ACCOUNTS: ("connected account", "connected accounts"),
    plans.SCHEDULED_POSTS: ("scheduled post a month", "scheduled posts a month"),
    plans.AI_GENERATIONS: ("AI generation a month", "AI generations a month"),
}


def _limit_line(name: str, limit: int) -> str:
    one, many = _NOUNS[name]
    return f"Unlimited {many}" if not limit else f"{limit} {one if limit == 1 else many}"


class BillingState(rx.State):
    loaded: bool = False
    enabled: bool = False
    is_admin: bool = False
    missing: list[str] = []
    plan_key: str = plans.FREE
    plan_label: str = "Free"
    status_text: str = ""
    status_color: str = "gray"
    status_note: str = ""
    meters: list[MeterRow] = []
    plan_cards: list[PlanCard] = []
    has_customer: bool = False
    subscribed: bool = False
    busy: str = ""
    confirming: bool = False
    confirmed_text: str = ""
    _checkout_session: str = ""

    # ------------------------------------------------------------ loading
    def _refresh(self, uid: uuid.UUID) -> service.Overview:
        with session_scope() as db:
            view = service.overview(uid, session=db)
            user = db.get(User, uid)
            self.is_admin = bool(user and user.is_admin)
        self.enabled = view.enabled
        self.missing = view.missing_settings
        self.plan_key = view.plan
        self.plan_label = plans.PLAN_LABELS[view.plan]
        self.has_customer = view.has_customer
        self.subscribed = view.status in ("active", "trialing", "past_due")
        self.status_text, self.status_color, self.status_note = self._status(view)
        self.meters = [
            MeterRow(
                label=m.label,
                used=m.used,
                limit_text="Unlimited" if not m.limit else f"of {m.limit}",
                percent=0 if not m.limit else min(100, round(100 * m.used / m.limit)),
                full=bool(m.limit) and m.used >= m.limit,
            )
            for m in view.meters
        ]
        self.plan_cards = [
            PlanCard(
                key=p.key,
                label=p.label,
                lines=[_limit_line(n, p.limits[n]) for n in plans.LIMIT_NAMES],
                current=p.key == view.plan,
                for_sale=p.key in view.for_sale,
            )
            for p in plans.all_plans()
        ]
        self.loaded = True
        return view

    @staticmethod
    def _status(view: service.Overview) -> tuple[str, str, str]:
        if not view.enabled or view.status == service.NO_SUBSCRIPTION:
            return "", "gray", ""
        if view.status == "past_due":
            note = "Stripe could not charge your card. Update it in Manage billing"
            if view.plan != plans.FREE and view.past_due_since:
                return "Past due", "red", note + " to keep your plan."
            return "Past due", "red", note + "; the Free plan's limits apply meanwhile."
        if view.status == "canceled":
            ended = _day(view.cancel_at)
            return "Ended", "gray", f"Your subscription ended{' on ' + ended if ended else ''}."
        if view.cancel_at and view.status in ("active", "trialing"):
            return f"Cancels on {_day(view.cancel_at)}", "amber", "You keep your plan until then."
        text = _STATUS_TEXT.get(view.status, view.status)
        renews = f"Renews on {_day(view.period_end)}." if view.period_end else ""
        return text, "green" if view.status in ("active", "trialing") else "amber", renews

    @rx.event
    async def load(self):
        uid = session_user_id(self)
        if uid is None:
            return
        params = self.router.url.query_parameters
        events: list[Any] = []
        self.busy = ""  # back from Stripe's pages: no action of ours is in flight
        self.confirmed_text = ""  # said once, after the Checkout it confirmed
        if params.get("portal") == "return":
            # Back from the Portal: re-read this user's state from Stripe at once (the
            # webhook brings the same a moment later).
            await self._off_loop(lambda: self._resync(uid), "")
        self._refresh(uid)
        session_id = str(params.get("session_id") or "")
        if params.get("checkout") == "success" and session_id.startswith("cs_"):
            self._checkout_session = session_id[:255]
            self.confirming = True
            events.append(BillingState.wait_for_confirmation)
        elif params.get("checkout") == "cancel":
            events.append(rx.toast.info("Checkout cancelled; nothing was charged."))
        if params:
            events.append(rx.call_script("window.history.replaceState(null, '', '/billing')"))
        return events

    @staticmethod
    def _resync(uid: uuid.UUID) -> None:
        with session_scope() as db:
            row = plans.subscription_of(uid, session=db)
            if row is not None and row.stripe_customer_id:
                service.refresh_from_stripe(row, session=db, reason="portal return")

    @rx.event(background=True)
    async def wait_for_confirmation(self):
        """Poll the stored state (written only by the webhook) for this session."""
        async with self:
            session_id = self._checkout_session
            uid = session_user_id(self)
        if uid is None or not session_id:
            return
        waited = 0.0
        while waited < CONFIRM_WAIT_S:
            with session_scope() as db:
                row = plans.subscription_of(uid, session=db)
                done = row is not None and row.checkout_session_id == session_id
            if done:
                async with self:
                    view = self._refresh(uid)
                    text = f"Payment received — you're on {plans.PLAN_LABELS[view.plan]}."
                    self.confirming = False
                    self.confirmed_text = text
                yield rx.toast.success(text)
                return
            await asyncio.sleep(CONFIRM_POLL_S)
            waited += CONFIRM_POLL_S
        async with self:
            self.confirming = False
        yield rx.toast.warning(
            "Stripe has not confirmed the payment yet. This page updates when it does; "
            "reload in a minute."
        )

    # ------------------------------------------------------------ actions
    async def _off_loop(self, call: Callable[[], T], failed: str) -> tuple[T | None, Any]:
        try:
            return await asyncio.to_thread(call), None
        except (service.BillingError, BillingOffError) as exc:
            return None, rx.toast.error(str(exc))
        except stripe.StripeError:
            log.exception("Stripe call failed")
            return None, rx.toast.error(failed or "Stripe is not answering. Try again soon.")

    @rx.event
    async def upgrade(self, plan: str):
        uid = session_user_id(self)
        if uid is None:
            yield rx.redirect(LOGIN)
            return
        self.busy = plan
        yield

        def run() -> str:
            with session_scope() as db:
                return service.start_checkout(uid, plan, session=db)

        url, error = await self._off_loop(run, "Could not open Stripe Checkout. Try again.")
        if error is not None:
            self.busy = ""
            yield error
            return
        yield navigate_to(str(url), fresh_state=False)

    @rx.event
    async def manage(self):
        uid = session_user_id(self)
        if uid is None:
            yield rx.redirect(LOGIN)
            return
        self.busy = "portal"
        yield

        def run() -> str:
            with session_scope() as db:
                return service.open_portal(uid, session=db)

        url, error = await self._off_loop(run, "Could not open the billing portal. Try again.")
        if error is not None:
            self.busy = ""
            yield error
            return
        yield navigate_to(str(url), fresh_state=False)
