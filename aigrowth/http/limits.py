"""Request size limits, enforced while the body streams in.

Without them a client could send a multi-gigabyte body: the multipart parser behind
Reflex's upload endpoint spools whatever arrives to disk before any handler sees it.
:class:`BodySizeLimit` wraps the whole backend (our routes and Reflex's own): a
declared Content-Length over the limit is answered 413 before a byte is read, and a
body without one (chunked) is counted as it arrives and cut off at the limit. The
reverse proxy in deploy/Caddyfile enforces the same limits in front of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # forms, JSON, webhooks


def _too_large(limit: int) -> list[Message]:
    body = f"Request too large: the limit is {limit / 1_048_576:.0f} MB.".encode()
    return [
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        },
        {"type": "http.response.body", "body": body},
    ]


class BodySizeLimit:
    """ASGI middleware: at most `limits[path]` (or `default`) bytes of request body."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int = DEFAULT_MAX_BODY_BYTES,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    def limit_for(self, path: str) -> int:
        return self.limits.get(path.rstrip("/") or "/", self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            for message in _too_large(limit):
                await send(message)
            return
        received = 0
        answered = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    answered = True
                    if not started:
                        for reply in _too_large(limit):
                            await send(reply)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # we already answered 413; the app's reply goes nowhere
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


async def read_capped(file: Any, limit: int, *, chunk: int = 1024 * 1024) -> bytes | None:
    """Read an uploaded file in chunks; None as soon as it exceeds `limit` bytes (the
    rest is never read into memory)."""
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limit:
        return None
    parts: list[bytes] = []
    total = 0
    while True:
        data = await file.read(chunk)
        if not data:
            return b"".join(parts)
        total += len(data)
        if total > limit:
            return None
        parts.append(data)
