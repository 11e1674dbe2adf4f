"""The route class of every /api/v1 operation: idempotent POSTs, problem documents.

Errors are rendered inside the route (not by the app's handlers) so that the answer
recorded for an ``Idempotency-Key`` is exactly the answer that was sent.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from aigrowth.api import idempotency, problems


class ApiRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            async def run() -> Response:
                try:
                    return await original(request)
                except Exception as exc:
                    return await problems.render(request, exc)

            return await idempotency.guard(request, run)

        return handler


def api_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=ApiRoute, **kwargs)
