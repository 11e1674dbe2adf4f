"""Fake Threads API (threads.net OAuth + graph.threads.net), per PLATFORMS.md.

- ``/oauth/authorize`` → code; ``POST /oauth/access_token`` → 1-hour token and user id;
  ``GET /access_token?grant_type=th_exchange_token`` → 60-day token;
  ``GET /refresh_access_token?grant_type=th_refresh_token`` → new 60-day token, only for
  a long-lived token at least 24 h old and not expired.
- ``POST /v1.0/{user-id}/threads`` (``media_type=TEXT``, ``text``) → container;
  ``GET /v1.0/{container}?fields=status`` IN_PROGRESS → FINISHED;
  ``POST /v1.0/{user-id}/threads_publish?creation_id=`` → media id (container PUBLISHED).
- 500 characters (an emoji counts its UTF-8 bytes), at most 5 links, 250 posts a day.
- Graph-style errors ``{"error": {message, type, code, error_subcode, fbtrace_id}}``.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.common import FakeServer, bearer_token, code_redirect, request_params
from tests.fakes.graph import graph_error, insights

SHORT_SECONDS = 3600
LONG_SECONDS = 5_183_944
TEXT_LIMIT = 500
MAX_LINKS = 5
QUOTA_TOTAL = 250
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)


def threads_length(text: str) -> int:
    """Characters, except that an emoji (non-BMP or symbol) counts its UTF-8 bytes."""
    import unicodedata

    total = 0
    for ch in text:
        if ord(ch) > 0xFFFF or unicodedata.category(ch) == "So" or ch in "\u200d\ufe0f":
            total += len(ch.encode("utf-8"))
        else:
            total += 1
    return total


@dataclass
class ThToken:
    kind: str  # short | long
    user_id: str
    scopes: list[str]
    issued_at: float
    expires_at: float
    revoked: bool = False


@dataclass
class ThreadsState:
    app_id: str = "threads-app"
    app_secret: str = "threads-secret"
    user: dict[str, str] = field(
        default_factory=lambda: {
            "id": "26000000000001",
            "username": "fran.founder",
            "name": "Fran Founder",
            "threads_profile_picture_url": "https://scontent.example/th.jpg",
        }
    )
    clock_offset: float = 0.0
    container_polls: int = 1
    tokens: dict[str, ThToken] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    create_calls: list[dict[str, Any]] = field(default_factory=list)
    publish_calls: list[dict[str, Any]] = field(default_factory=list)
    refresh_calls: int = 0
    quota_used: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def now(self) -> float:
        return time.time() + self.clock_offset

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def issue(self, kind: str, scopes: list[str], seconds: float) -> str:
        token = "TH" + secrets.token_urlsafe(30)
        now = self.now()
        self.tokens[token] = ThToken(kind, self.user["id"], scopes, now, now + seconds)
        return token

    def revoke_all(self) -> None:
        for tok in self.tokens.values():
            tok.revoked = True

    def set_stats(self, media_id: str, **stats: int) -> None:
        self.media[media_id]["stats"].update(stats)


class ThreadsFake(FakeServer):
    """threads.net (OAuth dialog) and graph.threads.net on one local server."""

    create_paths: ClassVar[dict[str, str]] = {"publish": r"/v1\.0/[0-9]+/threads_publish"}

    def __init__(self, **state: Any) -> None:
        super().__init__()
        self.state = ThreadsState(**state)

    def settings(self) -> dict[str, str]:
        return {
            "THREADS_APP_ID": self.state.app_id,
            "THREADS_APP_SECRET": self.state.app_secret,
            "THREADS_API_BASE": self.base_url,
            "THREADS_AUTH_BASE": self.base_url,
        }

    def throttle(self, n: int = 1, *, path: str | None = None) -> None:
        """Graph-style throttling: HTTP 400 with code 4 (read the code, not the status)."""
        body = {
            "error": {
                "message": "(#4) Application request limit reached",
                "type": "OAuthException",
                "code": 4,
                "is_transient": True,
                "fbtrace_id": "Athrottle",
            }
        }
        self.faults.fail_before(n, status=400, body=body, path=path)

    def routes(self) -> list[BaseRoute]:
        return _routes(self)


def _routes(fake: ThreadsFake) -> list[BaseRoute]:
    state = fake.state

    params_of = request_params

    def check_token(raw: str) -> ThToken | Response:
        tok = state.tokens.get(raw)
        if tok is None:
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190)
        if tok.revoked:
            return graph_error(
                "Error validating access token: The user has not authorized application.",
                190,
                subcode=458,
            )
        if tok.expires_at < state.now():
            return graph_error(
                "Error validating access token: Session has expired.", 190, subcode=463
            )
        return tok

    async def authorize(request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != state.app_id:
            return Response("Invalid app id", status_code=400)
        code = secrets.token_urlsafe(20)
        state.codes[code] = {
            "redirect_uri": q.get("redirect_uri"),
            "scopes": [s for s in q.get("scope", "").split(",") if s],
        }
        redirect = q.get("redirect_uri", "")
        # Threads appends "#_" to the redirect; it is not part of the code.
        return code_redirect(redirect, code, q.get("state", ""), "#_")

    async def oauth_access_token(request: Request) -> Response:
        p = await params_of(request)
        if p.get("client_id") != state.app_id or p.get("client_secret") != state.app_secret:
            return graph_error("Error validating client secret.", 101)
        got = state.codes.pop(str(p.get("code", "")), None)
        if got is None or got["redirect_uri"] != p.get("redirect_uri"):
            return graph_error(
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                100,
                subcode=36008,
            )
        token = state.issue("short", got["scopes"], SHORT_SECONDS)
        return JSONResponse({"access_token": token, "user_id": int(state.user["id"])})

    async def exchange(request: Request) -> Response:
        q = request.query_params
        if q.get("grant_type") != "th_exchange_token" or q.get("client_secret") != state.app_secret:
            return graph_error("Invalid grant_type or client_secret", 100)
        tok = check_token(q.get("access_token", ""))
        if isinstance(tok, Response):
            return tok
        if tok.kind != "short":
            return graph_error("Only short-lived tokens can be exchanged", 100)
        token = state.issue("long", tok.scopes, LONG_SECONDS)
        return JSONResponse(
            {"access_token": token, "token_type": "bearer", "expires_in": LONG_SECONDS}
        )

    async def refresh(request: Request) -> Response:
        q = request.query_params
        state.refresh_calls += 1
        if q.get("grant_type") != "th_refresh_token":
            return graph_error("Invalid grant_type", 100)
        tok = check_token(q.get("access_token", ""))
        if isinstance(tok, Response):
            return tok
        if tok.kind != "long":
            return graph_error("Only long-lived tokens can be refreshed", 100)
        if state.now() - tok.issued_at < 86400:
            return graph_error(
                "Long-lived access tokens can be refreshed once they are at least 24 hours old",
                100,
            )
        token = state.issue("long", tok.scopes, LONG_SECONDS)
        return JSONResponse(
            {"access_token": token, "token_type": "bearer", "expires_in": LONG_SECONDS}
        )

    async def api(request: Request) -> Response:
        parts = request.path_params["path"].strip("/").split("/")
        p = await params_of(request)
        tok = check_token(bearer_token(request, p))
        if isinstance(tok, Response):
            return tok
        node = tok.user_id if parts[0] == "me" else parts[0]
        edge = parts[1] if len(parts) > 1 else ""
        method = request.method
        if node == tok.user_id:
            if not edge:
                fields = str(p.get("fields", "id")).split(",")
                return JSONResponse(
                    {k: v for k, v in state.user.items() if k in fields or k == "id"}
                )
            if edge == "threads" and method == "POST":
                return create_container(tok, p)
            if edge == "threads" and method == "GET":
                limit = int(p.get("limit", 25))
                items = sorted(state.media.values(), key=lambda m: m["created"], reverse=True)
                return JSONResponse({"data": [media_view(m) for m in items[:limit]]})
            if edge == "threads_publish" and method == "POST":
                return await publish(tok, p)
            if edge == "threads_insights" and method == "GET":  # account-level insights
                figures = {"followers_count": 75, "views": 410, **state.user.get("insights", {})}
                data = []
                for name in str(p.get("metric", "")).split(","):
                    if name == "followers_count":
                        data.append({"name": name, "total_value": {"value": figures[name]}})
                    elif name == "views":
                        data.append({"name": name, "period": "day", "values": [
                            {"value": figures[name], "end_time": "2026-01-01T08:00:00+0000"}
                        ]})  # fmt: skip
                return JSONResponse({"data": data})
            if edge == "threads_publishing_limit":
                return JSONResponse(
                    {
                        "data": [
                            {
                                "quota_usage": state.quota_used,
                                "config": {"quota_total": QUOTA_TOTAL, "quota_duration": 86400},
                            }
                        ]
                    }
                )
        if node in state.containers and not edge:
            c = state.containers[node]
            if c["status"] == "IN_PROGRESS":
                if c["polls"] >= state.container_polls:
                    c["status"] = "FINISHED"
                c["polls"] += 1
            body = {"id": node, "status": c["status"]}
            if c["status"] == "ERROR":
                body["error_message"] = c.get("error_message", "UNKNOWN")
            return JSONResponse(body)
        if node in state.media:
            m = state.media[node]
            if not edge:
                return JSONResponse(media_view(m))
            if edge == "insights":
                return insights(node, p, m["stats"], lambda x: f"(#100) Invalid metric {x}")
        return graph_error(
            f"Unsupported request. Object with ID '{parts[0]}' does not exist", 100, subcode=33
        )

    def create_container(tok: ThToken, p: dict[str, Any]) -> Response:
        if "threads_content_publish" not in tok.scopes:
            return graph_error("(#10) Application does not have permission for this action", 10)
        media_type = p.get("media_type")
        text = str(p.get("text", ""))
        state.create_calls.append(dict(p))
        fake.record_create("container", dict(p))
        if media_type not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            return graph_error("(#100) Param media_type must be one of {TEXT, IMAGE, VIDEO}", 100)
        if media_type == "TEXT" and not text:
            return graph_error("(#100) Param text is required for TEXT posts", 100)
        if media_type == "IMAGE" and not p.get("image_url"):
            return graph_error("(#100) Param image_url is required", 100)
        if threads_length(text) > TEXT_LIMIT:
            return graph_error(
                f"(#100) Param text must be at most {TEXT_LIMIT} characters long.",
                100,
                subcode=4279009,
            )
        if len(_URL.findall(text)) > MAX_LINKS:
            return graph_error(
                f"(#100) A post can contain at most {MAX_LINKS} links.", 100, subcode=4279008
            )
        cid = state.new_id("1790")
        state.containers[cid] = {
            "id": cid,
            "text": text,
            "media_type": media_type,
            "image_url": p.get("image_url"),
            "status": "IN_PROGRESS",
            "polls": 0,
            "media_id": None,
        }
        return JSONResponse({"id": cid})

    async def publish(tok: ThToken, p: dict[str, Any]) -> Response:
        cid = str(p.get("creation_id", ""))
        state.publish_calls.append({"creation_id": cid})
        c = state.containers.get(cid)
        if c is None:
            return graph_error("(#100) Param creation_id is not a valid container", 100)
        if c["status"] == "PUBLISHED":
            return graph_error("The media has already been published.", 24, subcode=4279001)
        if c["status"] != "FINISHED":
            return graph_error("The media is not ready for publishing", 24, subcode=4279007)
        if state.quota_used >= QUOTA_TOTAL:
            return graph_error("User has reached the 24h publishing limit", 4, subcode=2207042)
        state.quota_used += 1
        fake.record_create("publish", {"creation_id": cid})  # accepted ones only
        mid = state.new_id("1800")
        code = secrets.token_urlsafe(8).replace("-", "a").replace("_", "b")
        state.media[mid] = {
            "id": mid,
            "text": c["text"],
            "created": state.now(),
            "permalink": f"https://www.threads.net/@{state.user['username']}/post/{code}",
            "stats": {"views": 0, "likes": 0, "replies": 0, "reposts": 0, "quotes": 0, "shares": 0},
        }
        c["status"] = "PUBLISHED"
        c["media_id"] = mid
        return JSONResponse({"id": mid})

    def media_view(m: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": m["id"],
            "media_product_type": "THREADS",
            "media_type": "TEXT_POST",
            "text": m["text"],
            "permalink": m["permalink"],
            "username": state.user["username"],
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(m["created"])),
        }

    routes = [
        Route("/oauth/authorize", authorize, methods=["GET"]),
        Route("/oauth/access_token", oauth_access_token, methods=["POST"]),
        Route("/access_token", exchange, methods=["GET"]),
        Route("/refresh_access_token", refresh, methods=["GET"]),
        Route("/v1.0/{path:path}", api, methods=["GET", "POST"]),
    ]
    return routes
