"""A user's webhook endpoint: records every delivery (headers + raw body) and answers
with ``status`` (200 by default; set it to 500 to play a failing endpoint)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.common import FakeServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class WebhookReceiver(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[Received] = []
        self.status = 200

    def routes(self) -> list[BaseRoute]:
        return [Route("/hooks/aigrowth", self.hook, methods=["POST"])]

    @property
    def url(self) -> str:
        return f"{self.base_url}/hooks/aigrowth"

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.received.append(Received(dict(request.headers), body))
        return PlainTextResponse("ok" if self.status < 300 else "down", status_code=self.status)
