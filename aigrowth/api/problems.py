"""RFC 9457 problem details: every error of /api/v1 is ``application/problem+json``.

Each kind of error has a stable ``type`` (``urn:aigrowth:problem:<slug>``) that clients
can switch on; ``title`` is fixed per type, ``detail`` says what happened in plain words
(the same message the UI shows). Domain refusals from the services become problems
here, in one table, so every router maps them the same way. No stack trace ever.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from aigrowth.ai.errors import AIError, AllowanceExceededError
from aigrowth.ai.errors import NotFoundError as AINotFound
from aigrowth.billing.plans import LimitExceededError
from aigrowth.content.access import ContentError, InvalidPost, NeedsAccount, NotFound
from aigrowth.social.service import SocialError, UnsafeURLError

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:aigrowth:problem:"

# slug -> (status, title): the stable catalogue, also listed in the API docs.
CATALOGUE: dict[str, tuple[int, str]] = {
    "unauthorized": (401, "Missing or invalid API key"),
    "forbidden-scope": (403, "This key may only read"),
    "not-found": (404, "Not found"),
    "invalid-request": (422, "The request is not valid"),
    "invalid-post": (422, "The post is not valid for its platform"),
    "content-refused": (409, "The post cannot do that in its current state"),
    "needs-account": (409, "A connected account is needed"),
    "social-refused": (422, "The social account request was refused"),
    "unsafe-url": (422, "Only public HTTPS servers are allowed"),
    "plan-limit": (402, "Your plan's limit is reached"),
    "ai-unavailable": (503, "The AI provider could not answer"),
    "job-refused": (409, "The job could not be started"),
    "idempotency-key-reused": (422, "Idempotency-Key reused with a different request"),
    "idempotency-in-progress": (409, "A request with this Idempotency-Key is still running"),
    "rate-limited": (429, "Too many requests"),
    "method-not-allowed": (405, "Method not allowed"),
    "payload-too-large": (413, "The request body is too large"),
    "billing-off": (404, "Billing is not configured on this server"),
    "billing-refused": (409, "The billing request was refused"),
    "billing-unavailable": (503, "Stripe could not be reached"),
    "internal": (500, "Something went wrong on our side"),
}


class ApiProblem(Exception):
    """Raise from a router to answer with a problem document."""

    def __init__(
        self,
        slug: str,
        detail: str = "",
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        default_status, title = CATALOGUE[slug]
        super().__init__(detail or title)
        self.slug = slug
        self.status = status or default_status
        self.title = title
        self.detail = detail or title
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    problem: ApiProblem, *, instance: str = "", headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    body.update(problem.extra)
    return JSONResponse(
        body,
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers={**problem.headers, **(headers or {})},
    )


def from_domain(exc: Exception) -> ApiProblem | None:
    """The problem for a domain service's refusal, or None when it is not one."""
    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, NotFound | AINotFound):
        return ApiProblem("not-found", str(exc))
    if isinstance(exc, InvalidPost):
        return ApiProblem(
            "invalid-post",
            str(exc),
            problems=[
                {"code": p.code, "message": p.message, "severity": p.severity} for p in exc.problems
            ],
        )
    if isinstance(exc, NeedsAccount):
        return ApiProblem("needs-account", str(exc), accounts=list(exc.accounts))
    if isinstance(exc, ContentError):
        return ApiProblem("content-refused", str(exc))
    if isinstance(exc, LimitExceededError):
        return ApiProblem("plan-limit", exc.message, limit=exc.limit_name, plan=exc.plan)
    if isinstance(exc, AllowanceExceededError):
        return ApiProblem("plan-limit", exc.message, limit="ai_generations")
    if isinstance(exc, AIError):
        return ApiProblem("ai-unavailable", exc.message)
    if isinstance(exc, UnsafeURLError):
        return ApiProblem("unsafe-url", str(exc))
    if isinstance(exc, SocialError):
        return ApiProblem("social-refused", str(exc))
    return None


_HTTP_SLUGS = {
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors()[:20]:
        loc = [str(x) for x in err.get("loc", ())]
        out.append({"field": ".".join(loc), "message": str(err.get("msg", ""))})
    return out


async def render(request: Request, exc: Exception) -> Response:
    """Any exception raised while serving /api/v1, as a problem document."""
    instance = request.url.path
    if isinstance(exc, RequestValidationError):
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"field": "", "message": "invalid"}
        detail = f"{first['field'] or 'request'}: {first['message']}"
        return problem_response(
            ApiProblem("invalid-request", detail, errors=errors), instance=instance
        )
    if isinstance(exc, StarletteHTTPException):
        slug = _HTTP_SLUGS.get(exc.status_code, "invalid-request")
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return problem_response(
            ApiProblem(slug, detail, status=exc.status_code),
            instance=instance,
            headers=dict(exc.headers or {}),
        )
    problem = from_domain(exc)
    if problem is None:
        log.exception("API request failed: %s %s", request.method, instance, exc_info=exc)
        problem = ApiProblem("internal", "Something went wrong on our side. Please try again.")
    return problem_response(problem, instance=instance)
