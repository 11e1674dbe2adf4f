"""The Starlette app Reflex mounts in front of itself (rx.App(api_transformer=...)).

Capabilities add their routes (webhooks, OAuth callbacks, exports, media) to ROUTES
through their own modules; this file only assembles them.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from aigrowth.accounts.routes import ROUTES as ACCOUNT_ROUTES
from aigrowth.analytics.routes import ROUTES as ANALYTICS_ROUTES
from aigrowth.api.app import PREFIX as API_PREFIX
from aigrowth.api.app import build_app as build_public_api
from aigrowth.billing.routes import ROUTES as BILLING_ROUTES
from aigrowth.content.routes import ROUTES as CONTENT_ROUTES
from aigrowth.content.routes import UPLOAD_MAX_REQUEST_BYTES, UPLOAD_PATH
from aigrowth.http.health import health
from aigrowth.http.limits import BodySizeLimit
from aigrowth.http.metrics import metrics
from aigrowth.http.request_ids import RequestId
from aigrowth.ops.routes import ROUTES as OPS_ROUTES
from aigrowth.social.routes import ROUTES as SOCIAL_ROUTES

ROUTES: list[BaseRoute] = [
    Route("/health", health, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    *SOCIAL_ROUTES,
    *ACCOUNT_ROUTES,
    *CONTENT_ROUTES,
    *ANALYTICS_ROUTES,
    *OPS_ROUTES,
    *BILLING_ROUTES,
    # Last: the exact routes above (e.g. the Stripe webhook under /api/v1) match first.
    Mount(API_PREFIX, app=build_public_api()),
]


def build_api() -> Starlette:
    """Our routes; Reflex mounts its own app inside, so the size limit and the request
    ids cover its endpoints too (the upload endpoint gets the upload limit)."""
    limits = Middleware(BodySizeLimit, limits={UPLOAD_PATH: UPLOAD_MAX_REQUEST_BYTES})
    return Starlette(routes=list(ROUTES), middleware=[Middleware(RequestId), limits])
