"""Harness for fake external services: a Starlette app served by uvicorn on 127.0.0.1.

Every fake is a real HTTP server on a free port in a background thread, so the code
under test uses its real HTTP client, timeouts and error handling. Reuse:

    class MyFake(FakeServer):
        def routes(self): return [Route("/thing", self.thing, methods=["POST"])]
        async def thing(self, request): self.record_create("thing", await request.json()); ...

    with MyFake() as fake:
        fake.base_url                          # "http://127.0.0.1:PORT"
        fake.faults.rate_limit(2, retry_after=7)           # next 2 requests → 429
        fake.faults.fail_after_accept(1, path="/thing")    # handle, then answer 500
        fake.faults.hang_after_accept(1, seconds=3)        # handle, then stall
        fake.faults.fail_before(1, status=503)             # 503 without handling
        fake.faults.slow_accept(1, seconds=3)  # wait, then handle (created late), answer
        fake.creates                           # [(kind, payload), ...] every create accepted
        fake.create_calls("thing")             # every create call, refused ones included
        fake.calls                             # [Call(method, path, headers, body), ...]

Fault rules apply to matching requests only (`method`, `path` prefix) and are consumed
in order. `OAuthProvider` is a reusable auto-approving OAuth 2.0 server (authorization
code + PKCE S256, client authentication, refresh with optional rotation and reuse
rejection, revocation) that platform fakes mount at their own paths.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute


# ------------------------------------------------------------------------ helpers
def code_redirect(redirect_uri: str, code: str, state: str | None, suffix: str = "") -> Response:
    """An authorize page's answer: back to the client with `code` (and `state`);
    `suffix` for platforms that append a fragment (Facebook "#_=_", Threads "#_")."""
    sep = "&" if "?" in redirect_uri else "?"
    params = {"code": code} if state is None else {"code": code, "state": state}
    return RedirectResponse(f"{redirect_uri}{sep}{urlencode(params)}{suffix}", status_code=302)


def bearer_token(request: Request, params: dict[str, Any] | None = None) -> str:
    """The access token of a request: ``access_token`` parameter or Bearer header."""
    raw = str((params or {}).get("access_token") or "")
    header = request.headers.get("authorization", "")
    if not raw and header.lower().startswith("bearer "):
        raw = header[7:].strip()
    return raw


async def request_params(request: Request) -> dict[str, Any]:
    """Query parameters merged with a JSON or form body (POST/DELETE)."""
    params: dict[str, Any] = dict(request.query_params)
    ctype = request.headers.get("content-type", "")
    if request.method in ("POST", "DELETE") and ctype:
        if "json" in ctype:
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update(dict(await request.form()))
    return params


# ------------------------------------------------------------------------- faults
@dataclass
class FaultRule:
    kind: str  # "before" | "after" | "hang" | "slow"
    remaining: int
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    method: str | None = None
    path: str | None = None
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self.path and not path.startswith(self.path))


class Faults:
    """Fault injection knobs (thread-safe; set from the test thread)."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining > 0 and rule.matches(method, path):
                    rule.remaining -= 1
                    return rule
        return None

    # -- knobs
    def rate_limit(
        self,
        n: int = 1,
        *,
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next n matching requests 429 without handling them."""
        h = dict(headers or {})
        if retry_after is not None:
            h["Retry-After"] = str(int(retry_after))
        self.add(
            FaultRule(
                "before",
                n,
                429,
                h,
                body if body is not None else {"error": "RateLimitExceeded"},
                method,
                path,
            )
        )

    def fail_before(
        self,
        n: int = 1,
        *,
        status: int = 503,
        body: Any = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer `status` without handling (nothing created)."""
        self.add(
            FaultRule(
                "before",
                n,
                status,
                dict(headers or {}),
                body or {"error": "Unavailable"},
                method,
                path,
            )
        )

    def fail_after_accept(
        self,
        n: int = 1,
        *,
        status: int = 500,
        body: Any = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Handle the request (the post IS created), then answer `status`."""
        self.add(
            FaultRule(
                "after", n, status, {}, body or {"error": "InternalServerError"}, method, path
            )
        )

    def hang_after_accept(
        self,
        n: int = 1,
        *,
        seconds: float = 5.0,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Handle the request, then stall `seconds` before answering (client times out)."""
        self.add(FaultRule("hang", n, 200, {}, None, method, path, seconds))

    def slow_accept(
        self,
        n: int = 1,
        *,
        seconds: float = 5.0,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Wait `seconds`, THEN handle the request (the post is created late), then
        answer: a client with a shorter read timeout sees a timeout while the post
        still appears afterwards; one with a longer timeout just waits."""
        self.add(FaultRule("slow", n, 200, {}, None, method, path, seconds))


@dataclass
class Call:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class _FaultMiddleware:
    """Pure ASGI middleware: records calls and applies fault rules."""

    def __init__(self, app: Any, server: FakeServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        method = scope["method"]
        path = scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        self.server.calls.append(
            Call(method, path, scope.get("query_string", b"").decode(), headers, body)
        )
        rule = self.server.faults.take(method, path)
        if rule is not None and rule.kind == "before":
            await _json(rule.status, rule.body, rule.headers)(scope, replay, send)
            return
        if rule is None:
            await self.app(scope, replay, send)
            return
        if rule.kind == "slow":
            # The client may give up meanwhile; the request is still handled (uvicorn
            # drops the answer to a closed connection).
            await asyncio.sleep(rule.seconds)
            await self.app(scope, replay, send)
            return

        # "after"/"hang": run the app for its side effects, capture its answer.
        captured: list[dict] = []

        async def capture(message: dict) -> None:
            captured.append(message)

        await self.app(scope, replay, capture)
        if rule.kind == "hang":
            await asyncio.sleep(rule.seconds)
            for message in captured:
                await send(message)
            return
        await _json(rule.status, rule.body, rule.headers)(scope, replay, send)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers or {})


# ------------------------------------------------------------------------- server
class FakeServer:
    """Base class: subclasses implement `routes()`; use as a context manager."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.calls: list[Call] = []
        self.creates: list[tuple[str, Any]] = []
        self.lock = threading.RLock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- to override
    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def settings(self) -> dict[str, str]:
        """Environment variables that point the app at this fake (once started)."""
        return {}

    # -- helpers for subclasses
    def record_create(self, kind: str, payload: Any) -> None:
        with self.lock:
            self.creates.append((kind, payload))

    def creates_of(self, kind: str) -> list[Any]:
        return [payload for k, payload in self.creates if k == kind]

    def calls_to(self, path: str, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.path == path and (method is None or c.method == method)]

    # kind → regular expression of the path of the POST that makes such a post visible
    create_paths: ClassVar[dict[str, str]] = {}

    def create_calls(self, kind_or_path: str) -> list[Call]:
        """Every create CALL received, refused ones included (`creates` holds only the
        accepted ones): a kind of `create_paths` or an exact path, POST only."""
        pattern = self.create_paths.get(kind_or_path) or re.escape(kind_or_path)
        return [c for c in self.calls if c.method == "POST" and re.fullmatch(pattern, c.path)]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle
    def build_app(self) -> Any:
        app = Starlette(routes=self.routes())
        return _FaultMiddleware(app, self)

    def start(self) -> FakeServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.build_app(),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name=f"fake-{type(self).__name__}",
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def running(*fakes: FakeServer) -> Iterator[tuple[FakeServer, ...]]:
    """Start several fakes at once (pytest fixtures: `with running(a, b): yield`)."""
    started: list[FakeServer] = []
    try:
        for fake in fakes:
            started.append(fake.start())
        yield tuple(started)
    finally:
        for fake in reversed(started):
            fake.stop()


# ---------------------------------------------------------------------- OAuth 2.0
def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@dataclass
class IssuedToken:
    user_id: str
    client_id: str
    scope: str
    expires_at: float | None
    revoked: bool = False


class OAuthProvider:
    """An auto-approving OAuth 2.0 server for fakes.

    - GET authorize: checks client_id/redirect_uri/response_type (and PKCE when
      `require_pkce`), immediately redirects back with `code` and `state`.
    - POST token: `authorization_code` (checks redirect_uri, code_verifier against the
      S256 challenge, single-use codes) and `refresh_token` (single-use + rotation
      when `rotate_refresh`; reusing an old one answers invalid_grant and, like X,
      revokes nothing else).
    - POST revoke: revokes the access or refresh token given.
    Client auth: HTTP Basic or client_id/client_secret in the form (`clients` maps id →
    secret; "" = public client).
    """

    def __init__(
        self,
        *,
        clients: dict[str, str],
        user_id: str = "1001",
        require_pkce: bool = False,
        access_ttl: float | None = 7200,
        issue_refresh: bool = True,
        rotate_refresh: bool = True,
        default_scope: str = "",
        error_style: str = "oauth",
    ) -> None:
        self.clients = clients
        self.user_id = user_id
        self.require_pkce = require_pkce
        self.access_ttl = access_ttl
        self.issue_refresh = issue_refresh
        self.rotate_refresh = rotate_refresh
        self.default_scope = default_scope
        self.error_style = error_style
        self.codes: dict[str, dict[str, Any]] = {}
        self.access: dict[str, IssuedToken] = {}
        self.refresh: dict[str, IssuedToken] = {}
        self.refresh_calls = 0
        self.token_requests: list[dict[str, str]] = []
        self.lock = threading.RLock()

    # -- state helpers for tests
    def issue(
        self, user_id: str | None = None, client_id: str = "", scope: str = ""
    ) -> dict[str, Any]:
        with self.lock:
            access = "at-" + secrets.token_urlsafe(24)
            expires = time.time() + self.access_ttl if self.access_ttl else None
            self.access[access] = IssuedToken(user_id or self.user_id, client_id, scope, expires)
            out: dict[str, Any] = {
                "access_token": access,
                "token_type": "bearer",
                "scope": scope or self.default_scope,
            }
            if self.access_ttl:
                out["expires_in"] = int(self.access_ttl)
            if self.issue_refresh:
                refresh = "rt-" + secrets.token_urlsafe(24)
                self.refresh[refresh] = IssuedToken(user_id or self.user_id, client_id, scope, None)
                out["refresh_token"] = refresh
            return out

    def revoke_all(self) -> None:
        with self.lock:
            for tok in [*self.access.values(), *self.refresh.values()]:
                tok.revoked = True

    def expire_access(self) -> None:
        with self.lock:
            for tok in self.access.values():
                tok.expires_at = time.time() - 1

    def user_for(self, request: Request) -> str | None:
        """User id of a valid Bearer token, else None."""
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return None
        tok = self.access.get(auth[7:].strip())
        if tok is None or tok.revoked:
            return None
        if tok.expires_at is not None and tok.expires_at < time.time():
            return None
        return tok.user_id

    # -- endpoints
    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        client_id = q.get("client_id", "")
        redirect_uri = q.get("redirect_uri", "")
        if client_id not in self.clients or not redirect_uri:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        if q.get("response_type") != "code":
            return JSONResponse({"error": "unsupported_response_type"}, status_code=400)
        challenge = q.get("code_challenge")
        if self.require_pkce and (not challenge or q.get("code_challenge_method") != "S256"):
            return JSONResponse(
                {"error": "invalid_request", "error_description": "PKCE S256 required"},
                status_code=400,
            )
        code = "code-" + secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "challenge": challenge,
                "scope": q.get("scope", ""),
            }
        return code_redirect(redirect_uri, code, q.get("state"))

    def _client_auth(self, request: Request, form: dict[str, str]) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return None
        else:
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        if cid not in self.clients:
            return None
        expected = self.clients[cid]
        if expected and secret != expected:
            return None
        return cid

    def _error(self, error: str, description: str, status: int = 400) -> Response:
        return JSONResponse({"error": error, "error_description": description}, status_code=status)

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(form)
        client_id = self._client_auth(request, form)
        if client_id is None:
            return self._error("invalid_client", "Client authentication failed", 401)
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                data = self.codes.pop(form.get("code", ""), None)
                if data is None or data["client_id"] != client_id:
                    return self._error("invalid_grant", "Authorization code is invalid")
                if form.get("redirect_uri") != data["redirect_uri"]:
                    return self._error("invalid_grant", "redirect_uri mismatch")
                if data["challenge"] or self.require_pkce:
                    verifier = form.get("code_verifier", "")
                    if not verifier or s256(verifier) != data["challenge"]:
                        return self._error("invalid_grant", "code_verifier does not match")
                return JSONResponse(self.issue(client_id=client_id, scope=data["scope"]))
            if grant == "refresh_token":
                self.refresh_calls += 1
                old = form.get("refresh_token", "")
                tok = self.refresh.get(old)
                if tok is None or tok.revoked:
                    return self._error("invalid_grant", "Value passed for the token was invalid.")
                if self.rotate_refresh:
                    tok.revoked = True  # single use
                out = self.issue(tok.user_id, client_id, tok.scope)
                if not self.rotate_refresh:
                    self.refresh.pop(out.pop("refresh_token", ""), None)
                return JSONResponse(out)
        return self._error("unsupported_grant_type", f"grant_type {grant!r}")

    async def revoke(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if self._client_auth(request, form) is None:
            return self._error("invalid_client", "Client authentication failed", 401)
        token = form.get("token", "")
        with self.lock:
            for store in (self.access, self.refresh):
                if token in store:
                    store[token].revoked = True
        return JSONResponse({"revoked": True})


def json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None
