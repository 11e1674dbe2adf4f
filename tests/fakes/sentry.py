"""A fake Sentry ingest endpoint: accepts envelopes as Sentry's relay does.

The SDK posts envelopes to ``/api/<project>/envelope/`` (gzip- or uncompressed) with an
``X-Sentry-Auth`` header carrying the DSN's public key. An envelope is a JSON header
line, then items: each a JSON item header line followed by its payload. The fake keeps
every ``event`` item so tests can see what reached Sentry.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.common import FakeServer

PUBLIC_KEY = "fakepublickey0123456789"


class FakeSentry(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def routes(self) -> list[BaseRoute]:
        return [Route("/api/{project}/envelope/", self.envelope, methods=["POST"])]

    @property
    def dsn(self) -> str:
        return f"http://{PUBLIC_KEY}@127.0.0.1:{self.port}/42"

    async def envelope(self, request: Request) -> Response:
        if f"sentry_key={PUBLIC_KEY}" not in request.headers.get("x-sentry-auth", ""):
            return JSONResponse({"detail": "bad auth"}, status_code=401)
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        for header, payload in _items(body):
            if header.get("type") == "event":
                with self.lock:
                    self.events.append(json.loads(payload))
        return JSONResponse({"id": "0" * 32})

    def exception_types(self) -> list[str]:
        with self.lock:
            return [
                value.get("type", "")
                for event in self.events
                for value in (event.get("exception") or {}).get("values", [])
            ]


def _items(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """(item header, payload) pairs of an envelope (payloads may hold newlines when
    their header gives a length)."""
    items = []
    pos = body.find(b"\n") + 1  # skip the envelope header
    while 0 < pos < len(body):
        end = body.find(b"\n", pos)
        end = len(body) if end < 0 else end
        if not body[pos:end].strip():
            pos = end + 1
            continue
        header = json.loads(body[pos:end])
        start = end + 1
        if header.get("length") is not None:
            stop = start + int(header["length"])
        else:
            stop = body.find(b"\n", start)
            stop = len(body) if stop < 0 else stop
        items.append((header, body[start:stop]))
        pos = stop + 1
    return items
