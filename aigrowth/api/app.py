"""The /api/v1 FastAPI application, mounted into the Reflex backend (aigrowth.http.routes).

One route class wraps every operation: ``Idempotency-Key`` handling for POSTs and the
RFC 9457 rendering of every error (so the answer recorded for a key is exactly the
one sent). OpenAPI 3.1 at ``/api/v1/openapi.json``, docs at ``/api/v1/docs``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from aigrowth.api import idempotency, problems
from aigrowth.api.routers import (
    analytics,
    billing,
    businesses,
    content,
    me,
    social,
    strategies,
    webhooks,
)

PREFIX = "/api/v1"

DESCRIPTION = f"""
The AI Growth Manager API: everything a founder plans and publishes in the app.

**Authentication**: create a key in *Settings → API keys* and send it as
`Authorization: Bearer agm_…`. Read-only keys may only `GET`. Cookies are not accepted.

**Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`
documents; `type` is stable (`{problems.TYPE_PREFIX}<name>`), `detail` is for people:
{", ".join(f"`{slug}` ({status})" for slug, (status, _t) in problems.CATALOGUE.items())}.

**Idempotency**: send `Idempotency-Key: <unique string>` with any `POST`; repeating it
with the same body returns the first answer (header `Idempotent-Replayed: true`), with
a different body `422`. Keys are kept 24 hours.

**Rate limit**: per key and minute, shared by all servers; every answer carries
`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`; over the limit: `429` with
`Retry-After`.

**Times** are ISO 8601 with an offset. **Lists** of posts use cursors (`next_cursor`).

**Webhooks**: each delivery is a `POST` of a JSON event with the headers
`Webhook-Id`, `Webhook-Timestamp` (Unix seconds) and
`Webhook-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.
""".strip()


class Problem(BaseModel):
    """An RFC 9457 problem document (extra members depend on the type)."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {problems.MEDIA_TYPE: {}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: _problem("Missing, invalid or revoked key"),
    402: _problem("Plan limit reached"),
    403: _problem("Read-only key"),
    404: _problem("Not found (or not yours)"),
    409: _problem("Refused in the current state"),
    422: _problem("Invalid request"),
    429: _problem("Rate limited"),
    500: _problem("Server error"),
    503: _problem("Upstream unavailable"),
}


def build_app() -> FastAPI:
    app = FastAPI(
        title="AI Growth Manager API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        responses=ERRORS,
    )
    for module in (me, businesses, strategies, content, social, analytics, billing, webhooks):
        app.include_router(module.router)
    app.include_router(strategies.jobs_router)
    app.add_exception_handler(StarletteHTTPException, problems.render)
    app.add_exception_handler(RequestValidationError, problems.render)
    app.add_exception_handler(Exception, problems.render)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


IDEMPOTENCY_PARAM = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (e.g. a UUID): repeating the request with the same key "
    "and body returns the first answer instead of doing it again (kept 24 h).",
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LEN},
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, plus the Idempotency-Key header on every POST (handled by the
    route class, so FastAPI cannot see it)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=app.routes,
            servers=app.servers,
        )
        for path in schema.get("paths", {}).values():
            if "post" in path:
                path["post"].setdefault("parameters", []).append(dict(IDEMPOTENCY_PARAM))
        app.openapi_schema = schema
    return app.openapi_schema
