"""Stripe webhook: POST /api/v1/billing/webhook/stripe (the seed's path).

The signature is checked by Stripe's library on the raw body (300 s tolerance) before
anything is parsed; a bad one answers 400 and changes nothing. Processing happens in a
worker thread (it re-reads state from Stripe's API); 200 tells Stripe to stop
delivering, 500 (Stripe unreachable, database busy) makes Stripe retry later.
"""

from __future__ import annotations

import logging

import stripe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aigrowth.billing import service, stripe_api
from aigrowth.db import session_scope
from aigrowth.settings import get_settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/v1/billing/webhook/stripe"
# Stripe's events are a few KB; anything far larger is not from Stripe.
MAX_BODY = 512 * 1024


def _process(event: stripe.Event) -> str:
    with session_scope() as db:
        return service.process_event(event, session=db)


async def stripe_webhook(request: Request) -> JSONResponse:
    if not get_settings().billing_enabled:
        return JSONResponse({"error": "billing is not configured"}, status_code=404)
    payload = await request.body()
    if len(payload) > MAX_BODY:
        return JSONResponse({"error": "payload too large"}, status_code=413)
    signature = request.headers.get("stripe-signature", "")
    try:
        event = stripe_api.verify_event(payload, signature)
    except (ValueError, stripe.SignatureVerificationError):
        log.warning("stripe webhook refused: bad signature or payload")
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    try:
        outcome = await run_in_threadpool(_process, event)
    except Exception:
        log.exception("stripe webhook %s (%s) failed; Stripe will retry", event.id, event.type)
        return JSONResponse({"error": "temporarily unable to process"}, status_code=500)
    return JSONResponse({"received": True, "outcome": outcome})


ROUTES = [Route(WEBHOOK_PATH, stripe_webhook, methods=["POST"])]
