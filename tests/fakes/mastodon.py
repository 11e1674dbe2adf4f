"""Fake Mastodon instance (PLATFORMS.md "Mastodon").

- POST /api/v1/apps registers a client (counted in `app_registrations`).
- OAuth authorize/token/revoke (PKCE S256 honoured when sent; tokens never expire, no
  refresh).
- POST /api/v1/statuses honours Idempotency-Key for an hour (same key → same status,
  no second post); length counted with URLs as 23 against max_characters.
- GET /api/v2/instance → configuration.statuses.max_characters.
- X-RateLimit-Limit/-Remaining/-Reset (ISO 8601) headers; 429 {"error": ...}.
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

import grapheme
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common import FakeServer, OAuthProvider, json_body

URL_RE = re.compile(r"https?://\S+")


def _err(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class MastodonFake(FakeServer):
    create_paths: ClassVar[dict[str, str]] = {"status": "/api/v1/statuses"}

    def __init__(self, *, max_characters: int = 500, username: str = "founder") -> None:
        super().__init__()
        self.max_characters = max_characters
        self.account = {
            "id": "109000000000000001",
            "username": username,
            "acct": username,
            "display_name": "Founder Example",
            "avatar": "https://files.example/avatar.png",
            "followers_count": 64,
            "following_count": 30,
            "statuses_count": 12,
        }
        self.oauth = OAuthProvider(
            clients={}, user_id=self.account["id"], access_ttl=None, issue_refresh=False
        )
        self.apps: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[tuple[str, str], tuple[float, str]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(110000000000000001)
        self.rate_limit = 300
        self._window: list[float] = []
        self.app_registrations = 0

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/apps", self.register_app, methods=["POST"]),
            Route("/oauth/authorize", self.oauth.authorize, methods=["GET"]),
            Route("/oauth/token", self.oauth.token, methods=["POST"]),
            Route("/oauth/revoke", self.oauth.revoke, methods=["POST"]),
            Route("/api/v1/accounts/verify_credentials", self.verify, methods=["GET"]),
            Route("/api/v1/accounts/{aid}/statuses", self.account_statuses, methods=["GET"]),
            Route("/api/v2/instance", self.instance, methods=["GET"]),
            Route("/api/v1/statuses", self.create_status, methods=["POST"]),
            Route("/api/v1/statuses/{sid}", self.get_status, methods=["GET"]),
            Route("/api/v2/media", self.upload_media, methods=["POST"]),
        ]

    def _limit_headers(self) -> dict[str, str]:
        now = time.time()
        self._window = [t for t in self._window if now - t < 300]
        reset = datetime.fromtimestamp((self._window[0] if self._window else now) + 300, UTC)
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - len(self._window))),
            "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
        }

    def _auth(self, request: Request) -> tuple[str | None, Response | None]:
        uid = self.oauth.user_for(request)
        if uid is None:
            return None, _err(401, "The access token is invalid")
        with self.lock:
            headers = self._limit_headers()
            if len(self._window) >= self.rate_limit:
                return None, _err(429, "Too many requests", headers)
            self._window.append(time.time())
        return uid, None

    def set_counts(self, sid: str, **counts: int) -> None:
        self.statuses[sid].update(counts)

    # ------------------------------------------------------------------ endpoints
    async def register_app(self, request: Request) -> Response:
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            body = json_body(await request.body()) or {}
        else:
            body = {k: str(v) for k, v in (await request.form()).items()}
        if not body.get("client_name") or not body.get("redirect_uris"):
            return _err(422, "Validation failed: Application name can't be blank")
        client_id = secrets.token_urlsafe(24)
        client_secret = secrets.token_urlsafe(32)
        with self.lock:
            self.app_registrations += 1
            self.oauth.clients[client_id] = client_secret
            redirect = body["redirect_uris"]
            self.apps[client_id] = {"redirect_uri": redirect, "scopes": body.get("scopes", "read")}
        return JSONResponse(
            {
                "id": str(next(self._ids)),
                "name": body["client_name"],
                "website": body.get("website"),
                "redirect_uri": redirect,
                "redirect_uris": [redirect],
                "client_id": client_id,
                "client_secret": client_secret,
                "vapid_key": "BCk-fake",
            }
        )

    async def verify(self, request: Request) -> Response:
        _uid, err = self._auth(request)
        if err:
            return err
        return JSONResponse({**self.account, "url": f"{self.base_url}/@{self.account['username']}"})

    async def instance(self, request: Request) -> Response:
        return JSONResponse(
            {
                "domain": self.domain,
                "title": "Fake Mastodon",
                "version": "4.3.0",
                "configuration": {
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": 4,
                        "characters_reserved_per_url": 23,
                    }
                },
            }
        )

    def _view(self, s: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in s.items() if not k.startswith("_")}

    def _length(self, text: str) -> int:
        return grapheme.length(URL_RE.sub("x" * 23, text))

    async def create_status(self, request: Request) -> Response:
        uid, err = self._auth(request)
        if err:
            return err
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            body = json_body(await request.body()) or {}
        else:
            form = await request.form()
            body = {k: form.get(k) for k in form}
            body["media_ids"] = form.getlist("media_ids[]")
        text = str(body.get("status") or "")
        media_ids = [str(m) for m in body.get("media_ids") or []]
        key = request.headers.get("idempotency-key")
        with self.lock:
            if key:
                seen = self.idempotency.get((uid, key))
                if seen and time.time() - seen[0] < 3600:
                    return JSONResponse(self._view(self.statuses[seen[1]]))
            if not text and not media_ids:
                return _err(422, "Validation failed: Text can't be blank")
            if self._length(text) > self.max_characters:
                return _err(
                    422,
                    f"Validation failed: Text character limit of {self.max_characters} exceeded",
                )
            reply_to = body.get("in_reply_to_id")
            if reply_to and str(reply_to) not in self.statuses:
                return _err(404, "Record not found")
            sid = str(next(self._ids))
            content = (
                "<p>"
                + URL_RE.sub(
                    lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(text)
                ).replace("\n", "<br />")
                + "</p>"
            )
            status = {
                "id": sid,
                "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "in_reply_to_id": str(reply_to) if reply_to else None,
                "visibility": body.get("visibility") or "public",
                "language": body.get("language"),
                "url": f"{self.base_url}/@{self.account['username']}/{sid}",
                "uri": f"{self.base_url}/users/{self.account['username']}/statuses/{sid}",
                "content": content,
                "account": self.account,
                "media_attachments": [self.media[m] for m in media_ids if m in self.media],
                "favourites_count": 0,
                "reblogs_count": 0,
                "replies_count": 0,
                "_text": text,
                "_ts": time.time(),
            }
            self.statuses[sid] = status
            if key:
                self.idempotency[(uid, key)] = (time.time(), sid)
            self.record_create(
                "status",
                {"id": sid, "text": text, "key": key, "in_reply_to_id": status["in_reply_to_id"]},
            )
        return JSONResponse(self._view(status), headers=self._limit_headers())

    async def get_status(self, request: Request) -> Response:
        _uid, err = self._auth(request)
        if err:
            return err
        s = self.statuses.get(request.path_params["sid"])
        if s is None:
            return _err(404, "Record not found")
        return JSONResponse(self._view(s))

    async def account_statuses(self, request: Request) -> Response:
        _uid, err = self._auth(request)
        if err:
            return err
        aid = request.path_params["aid"]
        limit = min(40, int(request.query_params.get("limit", "20")))
        mine = [s for s in self.statuses.values() if s["account"]["id"] == aid]
        mine.sort(key=lambda s: s["_ts"], reverse=True)
        return JSONResponse([self._view(s) for s in mine[:limit]])

    async def upload_media(self, request: Request) -> Response:
        _uid, err = self._auth(request)
        if err:
            return err
        form = await request.form()
        file = form.get("file")
        if file is None or not hasattr(file, "read"):
            return _err(422, "Validation failed: File can't be blank")
        data = await file.read()
        mid = str(next(self._ids))
        self.media[mid] = {
            "id": mid,
            "type": "image",
            "url": f"{self.base_url}/media/{mid}",
            "description": form.get("description"),
            "_size": len(data),
        }
        return JSONResponse(self._view(self.media[mid]))


def expire_idempotency(fake: MastodonFake) -> None:
    """Pretend an hour passed: the server forgot every Idempotency-Key."""
    for key, (t, sid) in list(fake.idempotency.items()):
        fake.idempotency[key] = (t - 3601, sid)


__all__ = ["MastodonFake", "expire_idempotency"]
