"""Billing: the subscription and its usage meters, Checkout and the Customer Portal
(aigrowth.billing.service, the billing page's own functions; Stripe stays the source of
truth: access changes only through its webhooks)."""

from __future__ import annotations

import logging
from dataclasses import asdict

import stripe

from aigrowth.api.deps import Db, Reader, Writer
from aigrowth.api.problems import ApiProblem
from aigrowth.api.routing import api_router
from aigrowth.api.schemas import CheckoutRequest, RedirectUrl, Subscription
from aigrowth.billing import service
from aigrowth.settings import get_settings

log = logging.getLogger(__name__)
router = api_router(prefix="/billing", tags=["billing"])


def _require_billing() -> None:
    if not get_settings().billing_enabled:
        raise ApiProblem(
            "billing-off", "Billing is not configured: everyone is on the default plan."
        )


def _stripe_call(call, *args, **kwargs) -> str:
    try:
        return call(*args, **kwargs)
    except service.BillingError as exc:
        raise ApiProblem("billing-refused", str(exc)) from exc
    except stripe.StripeError as exc:
        log.warning("Stripe call failed: %s", type(exc).__name__)
        raise ApiProblem(
            "billing-unavailable", "Stripe could not be reached. Try again shortly."
        ) from exc


@router.get("/subscription", response_model=Subscription, summary="Plan, status and usage")
def subscription(who: Reader, db: Db) -> Subscription:
    o = service.overview(who.user_id, session=db)
    return Subscription(
        billing_enabled=o.enabled,
        plan=o.plan,
        subscribed_plan=o.subscribed_plan,
        status=o.status,
        period_end=o.period_end,
        cancel_at=o.cancel_at,
        past_due_since=o.past_due_since,
        meters=[asdict(m) for m in o.meters],
        for_sale=list(o.for_sale),
    )


@router.post("/checkout", response_model=RedirectUrl, summary="Start a Stripe Checkout")
def checkout(body: CheckoutRequest, who: Writer, db: Db) -> RedirectUrl:
    _require_billing()
    return RedirectUrl(url=_stripe_call(service.start_checkout, who.user_id, body.plan, session=db))


@router.post("/portal", response_model=RedirectUrl, summary="Open the Stripe Customer Portal")
def portal(who: Writer, db: Db) -> RedirectUrl:
    _require_billing()
    return RedirectUrl(url=_stripe_call(service.open_portal, who.user_id, session=db))
