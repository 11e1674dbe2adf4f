"""The one place that talks to Stripe: a configured `stripe.StripeClient`.

STRIPE_API_BASE points it elsewhere (tests use a local fake). With billing off there
is no client at all, so no code path can call Stripe by accident.
"""

from __future__ import annotations

import stripe

from aigrowth.settings import Settings, get_settings

# Seconds per Stripe request; the library retries connection errors and 409/429/5xx
# (with an idempotency key on POSTs) up to this many times.
TIMEOUT_S = 20
MAX_RETRIES = 2
# Stripe's own default; signatures older than this are refused (replay protection).
WEBHOOK_TOLERANCE_S = 300


class BillingOffError(Exception):
    """Billing is not configured on this server (no STRIPE_SECRET_KEY)."""


def client(settings: Settings | None = None) -> stripe.StripeClient:
    settings = settings or get_settings()
    if not settings.billing_enabled:
        raise BillingOffError("Billing is not configured on this server.")
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses={"api": settings.stripe_api_base.rstrip("/")},
        max_network_retries=MAX_RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_S),
    )


def verify_event(payload: bytes, signature: str, settings: Settings | None = None) -> stripe.Event:
    """The event of a webhook delivery, checked with Stripe's library on the raw body.

    Raises ValueError (not JSON) or stripe.SignatureVerificationError (missing, wrong
    or stale signature).
    """
    settings = settings or get_settings()
    if not settings.stripe_webhook_secret:
        raise stripe.SignatureVerificationError("No webhook secret configured", signature)
    return stripe.Webhook.construct_event(
        payload, signature, settings.stripe_webhook_secret, tolerance=WEBHOOK_TOLERANCE_S
    )


def price_plan(price_id: str, settings: Settings | None = None) -> str | None:
    """Which plan a Stripe price id sells (STRIPE_PRICE_PRO / _ENTERPRISE)."""
    settings = settings or get_settings()
    if price_id and price_id == settings.stripe_price_pro:
        return "pro"
    if price_id and price_id == settings.stripe_price_enterprise:
        return "enterprise"
    return None


def plan_price(plan: str, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return {"pro": settings.stripe_price_pro, "enterprise": settings.stripe_price_enterprise}.get(
        plan, ""
    )
