"""Billing: Stripe Checkout and Customer Portal, webhook processing, sync, pausing.

Stripe is the source of truth. The webhook never trusts an event's order or payload for
state: it claims the event id (the `stripe_events` primary key, in the same transaction
as the effect, so a delivery repeated at the same moment has one effect), locks the
user's subscription row, re-reads the customer's subscriptions from Stripe's API and
stores what Stripe says now. Access follows that stored state only; the browser's
return from Checkout merely waits for it ("confirming…").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from aigrowth.accounts.models import User
from aigrowth.billing import plans, stripe_api
from aigrowth.billing.models import StripeEvent, Subscription
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.notifications.service import notify
from aigrowth.settings import get_settings
from aigrowth.social.models import SocialAccount

log = logging.getLogger(__name__)

NO_SUBSCRIPTION = "none"
HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "invoice.paid",
        "invoice.payment_failed",
    }
)
# Which of a customer's subscriptions decides their plan: the best standing, then newest.
_STANDING = {
    "active": 0,
    "trialing": 0,
    "past_due": 1,
    "unpaid": 2,
    "paused": 3,
    "incomplete": 4,
    "canceled": 5,
    "incomplete_expired": 6,
}
KIND_PAST_DUE = "billing_past_due"
KIND_PAUSED = "billing_paused"


class BillingError(Exception):
    """A billing request that cannot be done; `str(err)` is for the user."""


# ---------------------------------------------------------------------- rows
def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _ts(epoch: Any) -> datetime | None:
    return datetime.fromtimestamp(int(epoch), tz=UTC) if epoch else None


def subscription_row(user_id: uuid.UUID, *, session: Session) -> Subscription:
    """The user's row, created (committed) when missing; concurrent creators share one."""
    row = plans.subscription_of(user_id, session=session)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = Subscription(user_id=user_id, plan=plans.FREE, status=NO_SUBSCRIPTION)
            session.add(row)
        session.commit()
        return row
    except IntegrityError:
        session.rollback()
        found = plans.subscription_of(user_id, session=session)
        assert found is not None
        return found


# ------------------------------------------------------------------ overview
@dataclass(frozen=True)
class Meter:
    name: str
    label: str
    used: int
    limit: int  # 0 = unlimited


@dataclass(frozen=True)
class Overview:
    """What the billing page shows for one user (plain values)."""

    enabled: bool
    plan: str
    subscribed_plan: str
    status: str  # Stripe's status, or "none"
    period_end: datetime | None
    cancel_at: datetime | None
    past_due_since: datetime | None
    has_customer: bool
    checkout_session_id: str
    meters: list[Meter]
    missing_settings: list[str]
    for_sale: list[str]


def missing_settings() -> list[str]:
    s = get_settings()
    pairs = [
        ("STRIPE_SECRET_KEY", s.stripe_secret_key),
        ("STRIPE_WEBHOOK_SECRET", s.stripe_webhook_secret),
        ("STRIPE_PRICE_PRO", s.stripe_price_pro),
        ("STRIPE_PRICE_ENTERPRISE", s.stripe_price_enterprise),
    ]
    return [name for name, value in pairs if not value]


def overview(user_id: uuid.UUID, *, session: Session) -> Overview:
    sub = plans.subscription_of(user_id, session=session)
    plan = plans.plan_of(sub)
    limits = plans.limits_for(plan)
    meters = [
        Meter(
            name,
            plans.LIMIT_LABELS[name],
            plans.usage_of(user_id, name, session=session),
            limits[name],
        )
        for name in plans.LIMIT_NAMES
    ]
    enabled = get_settings().billing_enabled
    return Overview(
        enabled=enabled,
        plan=plan,
        subscribed_plan=sub.plan if sub is not None else plans.FREE,
        status=sub.status if sub is not None else NO_SUBSCRIPTION,
        period_end=sub.current_period_end if sub is not None else None,
        cancel_at=sub.cancel_at if sub is not None else None,
        past_due_since=sub.past_due_since if sub is not None else None,
        has_customer=bool(sub is not None and sub.stripe_customer_id),
        checkout_session_id=(sub.checkout_session_id or "") if sub is not None else "",
        meters=meters,
        missing_settings=missing_settings(),
        for_sale=[p for p in plans.PAID_PLANS if stripe_api.plan_price(p)] if enabled else [],
    )


# ------------------------------------------------------------ checkout, portal
def ensure_customer(user_id: uuid.UUID, *, session: Session) -> str:
    """The user's one Stripe customer: reused when stored, else created once (an
    idempotency key per user, so two clicks at once create one customer)."""
    row = subscription_row(user_id, session=session)
    if row.stripe_customer_id:
        return row.stripe_customer_id
    user = session.get(User, user_id)
    if user is None:
        raise BillingError("Your account was not found. Sign in again.")
    customer = stripe_api.client().v1.customers.create(
        params={
            "email": user.email,
            "name": user.full_name or None,
            "metadata": {"user_id": str(user_id)},
        },
        options={"idempotency_key": f"aigrowth-customer-{user_id}"},
    )
    # Only fill an empty slot: a customer stored meanwhile by a webhook wins.
    session.execute(
        sa.update(Subscription)
        .where(col(Subscription.id) == row.id, col(Subscription.stripe_customer_id).is_(None))
        .values(stripe_customer_id=customer.id, updated_at=utcnow())
    )
    session.commit()
    session.refresh(row)
    return row.stripe_customer_id or customer.id


def _app_url(path: str) -> str:
    return get_settings().app_url.rstrip("/") + path


def start_checkout(user_id: uuid.UUID | str, plan: str, *, session: Session) -> str:
    """A Stripe Checkout Session (subscription mode) for `plan`; returns its URL."""
    uid = _uuid(user_id)
    price = stripe_api.plan_price(plan) if plan in plans.PAID_PLANS else ""
    if not price:
        raise BillingError("That plan is not offered on this server.")
    row = plans.subscription_of(uid, session=session)
    if (
        row is not None
        and row.stripe_subscription_id
        and row.status in ("active", "trialing", "past_due")
    ):
        raise BillingError(
            "You already have a subscription. Use Manage billing to change or cancel it."
        )
    customer = ensure_customer(uid, session=session)
    checkout = stripe_api.client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer,
            "client_reference_id": str(uid),
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": _app_url("/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}"),
            "cancel_url": _app_url("/billing?checkout=cancel"),
            "subscription_data": {"metadata": {"user_id": str(uid), "plan": plan}},
            "metadata": {"user_id": str(uid), "plan": plan},
        }
    )
    if not checkout.url:
        raise BillingError("Stripe did not return a checkout page. Please try again.")
    return checkout.url


def open_portal(user_id: uuid.UUID | str, *, session: Session) -> str:
    """A Stripe Customer Portal session for the user's own customer; returns its URL."""
    uid = _uuid(user_id)
    row = plans.subscription_of(uid, session=session)
    if row is None or not row.stripe_customer_id:
        raise BillingError("You have no billing account yet. Upgrade first.")
    portal = stripe_api.client().v1.billing_portal.sessions.create(
        params={
            "customer": row.stripe_customer_id,
            "return_url": _app_url("/billing?portal=return"),
        }
    )
    return portal.url


# ---------------------------------------------------------------- Stripe state
def _best_subscription(subs: Iterable[Any]) -> Any | None:
    ranked = sorted(
        subs, key=lambda s: (_STANDING.get(s.get("status"), 9), -int(s.get("created") or 0))
    )
    return ranked[0] if ranked else None


def _apply(row: Subscription, sub: Any | None) -> None:
    """Store Stripe's current state of the customer's deciding subscription."""
    now = utcnow()
    row.synced_at = now
    row.updated_at = now
    if sub is None:
        row.status = NO_SUBSCRIPTION
        row.stripe_subscription_id = None
        row.plan = plans.FREE
        row.past_due_since = None
        row.cancel_at = None
        row.cancel_at_period_end = False
        return
    items = (sub.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    price = (item.get("price") or {}).get("id", "") if item else ""
    meta_plan = (sub.get("metadata") or {}).get("plan", "")
    row.stripe_subscription_id = sub["id"]
    row.stripe_price_id = price or None
    row.plan = stripe_api.price_plan(price) or (
        meta_plan if meta_plan in plans.PAID_PLANS else plans.FREE
    )
    row.status = str(sub.get("status") or "")[:30]
    # Since API version 2025-03-31 the period lives on the subscription item.
    row.current_period_end = _ts(item.get("current_period_end") or sub.get("current_period_end"))
    row.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    cancel_at = sub.get("cancel_at") or (
        (item.get("current_period_end") or sub.get("current_period_end"))
        if row.cancel_at_period_end
        else None
    )
    row.cancel_at = _ts(sub.get("ended_at")) if row.status == "canceled" else _ts(cancel_at)
    if row.status == "past_due":
        row.past_due_since = row.past_due_since or now
    else:
        row.past_due_since = None


def _read_customer_subscriptions(customer_id: str) -> list[Any]:
    listing = stripe_api.client().v1.subscriptions.list(
        params={"customer": customer_id, "status": "all", "limit": 100}
    )
    return [s.to_dict() for s in listing.data]


def refresh_from_stripe(
    row: Subscription, *, session: Session, reason: str = ""
) -> tuple[str, str]:
    """Re-read the row's customer from Stripe and store it; (plan before, plan after)
    by effective plan. Pauses the excess when the plan shrank, notifies a past due."""
    before = plans.plan_of(row)
    was_past_due = row.status == "past_due"
    if row.stripe_customer_id:
        _apply(row, _best_subscription(_read_customer_subscriptions(row.stripe_customer_id)))
    session.add(row)
    session.flush()
    after = plans.plan_of(row)
    if row.status == "past_due" and not was_past_due:
        _notify_past_due(row, session=session)
    if plans.PLAN_ORDER.index(after) < plans.PLAN_ORDER.index(before):
        pause_excess(
            row.user_id, session=session, reason=f"Your plan changed to {plans.PLAN_LABELS[after]}"
        )
    log.info("billing: user %s %s -> %s (%s) %s", row.user_id, before, after, row.status, reason)
    return before, after


def _notify_past_due(row: Subscription, *, session: Session) -> None:
    days = get_settings().billing_grace_days
    notify(
        row.user_id,
        KIND_PAST_DUE,
        "Your payment did not go through",
        f"Stripe could not charge your card for {plans.PLAN_LABELS[plans.known_plan(row.plan)]}. "
        f"Update your payment method within {days} days to keep your plan; after that the "
        "Free plan's limits apply.",
        plans.UPGRADE_LINK,
        dedupe_key=f"billing-past-due:{row.stripe_subscription_id}:{row.current_period_end}",
        session=session,
    )


# ------------------------------------------------------------------- webhook
def _user_for(obj: dict[str, Any], *, session: Session) -> tuple[uuid.UUID | None, str]:
    """(user id, customer id) of an event's object: by our stored customer first, then
    the user id we put in client_reference_id / metadata when we created it."""
    customer = obj.get("customer") or (obj.get("id") if obj.get("object") == "customer" else "")
    customer = customer if isinstance(customer, str) else (customer or {}).get("id", "")
    if customer:
        row = session.exec(
            select(Subscription).where(Subscription.stripe_customer_id == customer)
        ).first()
        if row is not None:
            return row.user_id, customer
    for raw in (obj.get("client_reference_id"), (obj.get("metadata") or {}).get("user_id")):
        try:
            uid = uuid.UUID(str(raw)) if raw else None
        except ValueError:
            uid = None
        if uid is not None and session.get(User, uid) is not None:
            return uid, customer
    return None, customer


def process_event(event: stripe.Event | dict[str, Any], *, session: Session) -> str:
    """Handle one verified event; "processed", "duplicate" or "ignored".

    Raises (and leaves nothing behind) when Stripe cannot be read, so the route answers
    500 and Stripe delivers the event again later.
    """
    data = event.to_dict() if isinstance(event, stripe.StripeObject) else dict(event)
    event_id, event_type = str(data["id"]), str(data["type"])
    obj: dict[str, Any] = (data.get("data") or {}).get("object") or {}
    if event_type not in HANDLED_EVENTS:
        return "ignored"
    uid, customer = _user_for(obj, session=session)
    if uid is None:
        log.info("billing: event %s (%s) is not about one of our users", event_id, event_type)
        return "ignored"
    row = subscription_row(uid, session=session)
    # The claim: first statement of the transaction (SQLite: takes the write lock;
    # PostgreSQL: a concurrent duplicate waits on the key, then conflicts).
    try:
        session.add(StripeEvent(id=event_id[:255], type=event_type[:100]))
        session.flush()
    except IntegrityError:
        session.rollback()
        return "duplicate"
    locked = session.exec(
        select(Subscription).where(Subscription.id == row.id).with_for_update()
    ).one()
    if customer and not locked.stripe_customer_id:
        locked.stripe_customer_id = customer
    refresh_from_stripe(locked, session=session, reason=f"{event_type} {event_id}")
    if event_type == "checkout.session.completed" and obj.get("status") == "complete":
        locked.checkout_session_id = str(obj.get("id") or "")[:255] or None
    session.add(locked)
    session.commit()
    return "processed"


# ---------------------------------------------------------------------- sync
def sync_all(*, session: Session) -> dict[str, int]:
    """Re-read every customer's subscriptions from Stripe (repairs drift after missed
    webhooks) and apply the grace-period end; counts of rows checked/changed/failed."""
    ids = session.exec(
        select(Subscription.id).where(col(Subscription.stripe_customer_id).is_not(None))
    ).all()
    changed = failed = 0
    for sid in ids:
        row = session.exec(
            select(Subscription).where(Subscription.id == sid).with_for_update()
        ).one()
        state = (row.plan, row.status, row.current_period_end, row.cancel_at)
        try:
            before, after = refresh_from_stripe(row, session=session, reason="sync")
        except stripe.StripeError:
            session.rollback()
            failed += 1
            log.warning("billing sync: could not read customer of subscription row %s", sid)
            continue
        if (
            state != (row.plan, row.status, row.current_period_end, row.cancel_at)
            or before != after
        ):
            changed += 1
        if row.status == "past_due" and after == plans.FREE:
            # The grace period is over: the free plan's limits apply from now on.
            pause_excess(row.user_id, session=session, reason="Your payment is past due")
        session.commit()
    return {"checked": len(ids), "changed": changed, "failed": failed}


# ------------------------------------------------------------------- pausing
def pause_excess(user_id: uuid.UUID, *, session: Session, reason: str) -> int:
    """After a plan shrank: scheduled posts past the new limits go back to drafts (their
    planned time kept) with a notice, never silently dropped; returns how many.

    Excess = posts on connected accounts beyond the account limit (newest accounts
    first), then the latest posts of any month that has more than the monthly limit.
    Only posts still `scheduled` are touched (one conditional UPDATE), never one being
    published.
    """
    limits = plans.limits_for(plans.effective_plan(user_id, session=session))
    now = utcnow()
    upcoming = session.exec(
        select(Content)
        .join(Business, col(Business.id) == col(Content.business_id))
        .where(
            Business.user_id == user_id,
            Content.status == ContentStatus.SCHEDULED,
            col(Content.scheduled_for) >= now,
        )
        .order_by(col(Content.scheduled_for))
    ).all()
    pause: set[uuid.UUID] = set()
    if limits[plans.SOCIAL_ACCOUNTS]:
        accounts = session.exec(
            select(SocialAccount.id)
            .where(SocialAccount.user_id == user_id)
            .order_by(col(SocialAccount.created_at))
        ).all()
        excess = set(accounts[limits[plans.SOCIAL_ACCOUNTS] :])
        pause |= {c.id for c in upcoming if c.social_account_id in excess}
    if limits[plans.SCHEDULED_POSTS]:
        months: dict[datetime, list[Content]] = {}
        for c in upcoming:
            if c.id not in pause and c.scheduled_for is not None:
                months.setdefault(plans.month_bounds(c.scheduled_for)[0], []).append(c)
        for start, posts in months.items():
            used = plans.scheduled_posts_in_month(user_id, session=session, at=start)
            used -= sum(
                1
                for c in upcoming
                if c.id in pause and plans.month_bounds(c.scheduled_for)[0] == start
            )  # type: ignore[arg-type]
            over = used - limits[plans.SCHEDULED_POSTS]
            if over > 0:
                pause |= {c.id for c in posts[-over:]}
    if not pause:
        return 0
    notice = f"Paused: {reason}. Upgrade on Billing, or make room, then schedule it again."
    result = session.execute(
        sa.update(Content)
        .where(col(Content.id).in_(list(pause)), Content.status == ContentStatus.SCHEDULED)
        .values(
            status=ContentStatus.DRAFT.value,
            next_attempt_at=None,
            last_error=notice,
            updated_at=now,
        )
    )
    count = int(result.rowcount or 0)
    if count:
        notify(
            user_id,
            KIND_PAUSED,
            f"{count} scheduled post{'s' if count != 1 else ''} paused",
            f"{reason}, so {count} scheduled post{'s were' if count != 1 else ' was'} moved back "
            "to drafts (their planned times are kept). Upgrade to schedule them again.",
            plans.UPGRADE_LINK,
            dedupe_key=f"billing-paused:{user_id}:{now.isoformat()}",
            session=session,
        )
    return count


# ---------------------------------------------------------------- operators
def plan_counts(*, session: Session) -> dict[str, Any]:
    """Users per effective plan and subscription rows per Stripe status (Operations)."""
    total = int(session.exec(select(sa.func.count()).select_from(User)).one() or 0)
    groups = session.exec(
        select(
            Subscription.plan, Subscription.status, Subscription.past_due_since, sa.func.count()
        ).group_by(Subscription.plan, Subscription.status, Subscription.past_due_since)
    ).all()
    per_plan = dict.fromkeys(plans.PLAN_ORDER, 0)
    statuses: dict[str, int] = {}
    for plan, status, since, n in groups:
        row = Subscription(user_id=uuid.uuid4(), plan=plan, status=status, past_due_since=since)
        per_plan[plans.plan_of(row)] += n
        statuses[status] = statuses.get(status, 0) + n
    per_plan[plans.plan_of(None)] += max(0, total - sum(n for *_, n in groups))
    return {"enabled": get_settings().billing_enabled, "plans": per_plan, "statuses": statuses}
