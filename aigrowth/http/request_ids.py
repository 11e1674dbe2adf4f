"""A request id for every HTTP request, in the logs and in the response.

The id comes from the proxy's ``X-Request-ID`` when it sent a sane one (deploy/Caddyfile
sets one per request), otherwise it is made here. It is put in a context variable that
the log formatter reads (``request_id`` in LOG_FORMAT=json lines) and sent back in the
``X-Request-ID`` response header, so a user's report can be matched to the log lines.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigrowth.logging_setup import request_id_var

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{8,64}")


class RequestId:
    """ASGI middleware: sets ``request_id_var`` for the request and echoes the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(HEADER, b"")
        rid = given.decode() if _SANE.fullmatch(given) else uuid.uuid4().hex
        token = request_id_var.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
