"""Fake Bluesky PDS + AppView (PLATFORMS.md "Bluesky", behaviour of @atproto/pds 0.5).

One server answers both the PDS (`com.atproto.*`) and the AppView
(`app.bsky.feed.getPosts`, `app.bsky.actor.getProfile`) XRPC methods; point the
account's PDS URL and BLUESKY_APPVIEW_URL at `base_url`.

- createSession: handle/DID + app password → JWT pair (limited per 5 min); wrong
  password 401 AuthenticationRequired.
- access JWT expiry → 400 ExpiredToken; a refresh JWT used elsewhere → 400 InvalidToken.
- refreshSession rotates both tokens; reusing the old refresh token inside the grace
  window returns the same new pair; after it → 400 ExpiredToken.
- createRecord: rkey must be a TID (400 InvalidRequest "Invalid record key"); an
  existing rkey → 500 InternalServerError; >300 graphemes / >3000 bytes → 400.
- getRecord: 200 {uri, cid, value} or 400 RecordNotFound.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from typing import Any, ClassVar

import grapheme
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common import FakeServer, json_body

TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
POST = "app.bsky.feed.post"


def xrpc_error(status: int, error: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def make_jwt(payload: dict) -> str:
    header = {
        "typ": "at+jwt" if payload.get("scope") != "com.atproto.refresh" else "refresh+jwt",
        "alg": "HS256",
    }
    sig = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"{_b64(header)}.{_b64(payload)}.{sig}"


def fake_cid(data: Any) -> str:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return "bafyrei" + digest[:52]


class BlueskyFake(FakeServer):
    create_paths: ClassVar[dict[str, str]] = {"post": "/xrpc/com.atproto.repo.createRecord"}

    def __init__(
        self,
        *,
        handle: str = "alice.test",
        app_password: str = "abcd-efgh-ijkl-mnop",
        access_ttl: float = 7200,
        grace_s: float = 5.0,
    ) -> None:
        super().__init__()
        self.users: dict[str, dict[str, Any]] = {}
        self.add_user(handle, app_password)
        self.access_ttl = access_ttl
        self.grace_s = grace_s
        self.sessions: dict[str, dict[str, Any]] = {}  # jwt → {did, kind, exp, revoked}
        self.rotated: dict[str, tuple[float, dict[str, Any]]] = {}  # old refresh → (t, pair)
        self.records: dict[str, dict[str, Any]] = {}  # at-uri → {cid, value, did, rkey}
        self.blobs: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, dict[str, int]] = {}  # at-uri → likeCount...
        self.create_session_calls = 0
        self.refresh_calls = 0
        self.session_limit = 30
        self._session_window: list[float] = []

    def add_user(self, handle: str, password: str, did: str | None = None) -> str:
        did = did or f"did:plc:{hashlib.sha256(handle.encode()).hexdigest()[:24]}"
        self.users[did] = {
            "did": did,
            "handle": handle,
            "password": password,
            "displayName": handle.split(".")[0].title(),
            "avatar": f"https://cdn.bsky.example/avatar/{did}.jpg",
        }
        return did

    def did_of(self, handle: str) -> str:
        return next(d for d, u in self.users.items() if u["handle"] == handle)

    def settings(self) -> dict[str, str]:
        return {"BLUESKY_APPVIEW_URL": self.base_url}

    def routes(self) -> list[Route]:
        x = "/xrpc/"
        return [
            Route(x + "com.atproto.server.createSession", self.create_session, methods=["POST"]),
            Route(x + "com.atproto.server.refreshSession", self.refresh_session, methods=["POST"]),
            Route(x + "com.atproto.server.deleteSession", self.delete_session, methods=["POST"]),
            Route(x + "com.atproto.server.getSession", self.get_session, methods=["GET"]),
            Route(x + "com.atproto.identity.resolveHandle", self.resolve_handle, methods=["GET"]),
            Route(x + "com.atproto.repo.createRecord", self.create_record, methods=["POST"]),
            Route(x + "com.atproto.repo.getRecord", self.get_record, methods=["GET"]),
            Route(x + "com.atproto.repo.uploadBlob", self.upload_blob, methods=["POST"]),
            Route(x + "app.bsky.actor.getProfile", self.get_profile, methods=["GET"]),
            Route(x + "app.bsky.feed.getPosts", self.get_posts, methods=["GET"]),
        ]

    # ----------------------------------------------------------------- tokens
    def _issue(self, did: str) -> dict[str, Any]:
        now = time.time()
        access = make_jwt(
            {
                "scope": "com.atproto.appPass",
                "sub": did,
                "iat": int(now),
                "exp": int(now + self.access_ttl),
                "aud": "did:web:pds.test",
            }
        )
        refresh = make_jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": did,
                "iat": int(now),
                "exp": int(now + 90 * 86400),
                "jti": secrets.token_hex(8),
            }
        )
        self.sessions[access] = {
            "did": did,
            "kind": "access",
            "exp": now + self.access_ttl,
            "revoked": False,
        }
        self.sessions[refresh] = {
            "did": did,
            "kind": "refresh",
            "exp": now + 90 * 86400,
            "revoked": False,
        }
        user = self.users[did]
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "did": did,
            "handle": user["handle"],
            "active": True,
        }

    def expire_access(self) -> None:
        for s in self.sessions.values():
            if s["kind"] == "access":
                s["exp"] = time.time() - 1

    def revoke_all(self) -> None:
        for s in self.sessions.values():
            s["revoked"] = True
        self.rotated.clear()

    def _bearer(self, request: Request) -> str:
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else ""

    def _auth(self, request: Request, kind: str = "access") -> tuple[str | None, Response | None]:
        token = self._bearer(request)
        if not token:
            return None, xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        s = self.sessions.get(token)
        if s is None or s["revoked"]:
            return None, xrpc_error(401, "AuthenticationRequired", "Token could not be verified")
        if s["kind"] != kind:
            return None, xrpc_error(400, "InvalidToken", "Invalid token type")
        if s["exp"] < time.time():
            return None, xrpc_error(400, "ExpiredToken", "Token has expired")
        return s["did"], None

    def _rl_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(max(0, remaining)),
            "RateLimit-Reset": str(int(reset)),
            "RateLimit-Policy": f"{limit};w=300",
        }

    # ----------------------------------------------------------------- server.*
    async def create_session(self, request: Request) -> Response:
        body = json_body(await request.body()) or {}
        with self.lock:
            now = time.time()
            self._session_window = [t for t in self._session_window if now - t < 300]
            reset = (self._session_window[0] if self._session_window else now) + 300
            if len(self._session_window) >= self.session_limit:
                return xrpc_error(
                    429,
                    "RateLimitExceeded",
                    "Rate Limit Exceeded",
                    self._rl_headers(self.session_limit, 0, reset),
                )
            self._session_window.append(now)
            self.create_session_calls += 1
            ident = str(body.get("identifier", "")).lower().lstrip("@")
            user = self.users.get(ident) or next(
                (u for u in self.users.values() if u["handle"] == ident), None
            )
            if user is None or body.get("password") != user["password"]:
                return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
            out = self._issue(user["did"])
        return JSONResponse(
            out,
            headers=self._rl_headers(
                self.session_limit, self.session_limit - len(self._session_window), reset
            ),
        )

    async def refresh_session(self, request: Request) -> Response:
        with self.lock:
            self.refresh_calls += 1
            token = self._bearer(request)
            if token in self.rotated:
                at, pair = self.rotated[token]
                if time.time() - at <= self.grace_s:
                    return JSONResponse(pair)  # same new pair within the grace window
                return xrpc_error(400, "ExpiredToken", "Token has been revoked")
            did, err = self._auth(request, "refresh")
            if err is not None:
                return err
            self.sessions[token]["revoked"] = True
            pair = self._issue(did)
            self.rotated[token] = (time.time(), pair)
            return JSONResponse(pair)

    async def delete_session(self, request: Request) -> Response:
        did, err = self._auth(request, "refresh")
        if err is not None:
            return err
        with self.lock:
            for s in self.sessions.values():
                if s["did"] == did:
                    s["revoked"] = True
        return Response(status_code=200)

    async def get_session(self, request: Request) -> Response:
        did, err = self._auth(request)
        if err is not None:
            return err
        return JSONResponse({"did": did, "handle": self.users[did]["handle"], "active": True})

    async def resolve_handle(self, request: Request) -> Response:
        handle = request.query_params.get("handle", "").lower()
        for u in self.users.values():
            if u["handle"] == handle:
                return JSONResponse({"did": u["did"]})
        return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")

    # ------------------------------------------------------------------ repo.*
    async def create_record(self, request: Request) -> Response:
        did, err = self._auth(request)
        if err is not None:
            return err
        body = json_body(await request.body())
        if not isinstance(body, dict):
            return xrpc_error(400, "InvalidRequest", "Request body must be JSON")
        if body.get("repo") not in (did, self.users[did]["handle"]):
            return xrpc_error(400, "InvalidRequest", "Input/repo must be the session's DID")
        collection = body.get("collection")
        record = body.get("record") or {}
        rkey = body.get("rkey") or self.next_tid()
        if not TID_RE.match(rkey):
            return xrpc_error(400, "InvalidRequest", "Invalid record key")
        if collection == POST:
            text = record.get("text", "")
            if not isinstance(text, str) or record.get("$type") != POST:
                return xrpc_error(400, "InvalidRequest", "Invalid app.bsky.feed.post record")
            if grapheme.length(text) > 300:
                return xrpc_error(
                    400,
                    "InvalidRequest",
                    "Invalid app.bsky.feed.post record: Record/text must not be "
                    "longer than 300 graphemes",
                )
            if len(text.encode()) > 3000:
                return xrpc_error(
                    400,
                    "InvalidRequest",
                    "Invalid app.bsky.feed.post record: Record/text must not be "
                    "longer than 3000 characters",
                )
            if not record.get("createdAt"):
                return xrpc_error(
                    400,
                    "InvalidRequest",
                    'Invalid app.bsky.feed.post record: Record must have the property "createdAt"',
                )
            embed = record.get("embed") or {}
            for image in embed.get("images", []):
                link = ((image.get("image") or {}).get("ref") or {}).get("$link")
                if link not in self.blobs:
                    return xrpc_error(400, "InvalidRequest", "Could not find blob")
        uri = f"at://{did}/{collection}/{rkey}"
        with self.lock:
            if uri in self.records:
                # What @atproto/pds 0.5 answers for an rkey that already exists.
                return xrpc_error(500, "InternalServerError", "Internal Server Error")
            cid = fake_cid(record)
            self.records[uri] = {
                "cid": cid,
                "value": record,
                "did": did,
                "rkey": rkey,
                "indexedAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
            self.record_create("post", {"uri": uri, "rkey": rkey, **record})
        return JSONResponse(
            {
                "uri": uri,
                "cid": cid,
                "validationStatus": "valid",
                "commit": {"cid": fake_cid(uri), "rev": self.next_tid()},
            }
        )

    _clock = 0

    def next_tid(self) -> str:
        alphabet = "234567abcdefghijklmnopqrstuvwxyz"
        BlueskyFake._clock += 1
        n = (int(time.time() * 1_000_000) << 10) | (BlueskyFake._clock & 1023)
        out = ""
        for _ in range(13):
            out = alphabet[n & 31] + out
            n >>= 5
        return out

    async def get_record(self, request: Request) -> Response:
        q = request.query_params
        repo = q.get("repo", "")
        if not repo.startswith("did:"):
            try:
                repo = self.did_of(repo)
            except StopIteration:
                return xrpc_error(400, "InvalidRequest", f"Could not find repo: {repo}")
        uri = f"at://{repo}/{q.get('collection')}/{q.get('rkey')}"
        rec = self.records.get(uri)
        if rec is None:
            return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return JSONResponse({"uri": uri, "cid": rec["cid"], "value": rec["value"]})

    async def upload_blob(self, request: Request) -> Response:
        _did, err = self._auth(request)
        if err is not None:
            return err
        data = await request.body()
        if len(data) > 1_000_000:
            return xrpc_error(
                400,
                "BlobTooLarge",
                "This file is too large. It is 1.2MB but the maximum size is 976.56KB.",
            )
        mime = request.headers.get("content-type", "application/octet-stream")
        link = fake_cid({"blob": hashlib.sha256(data).hexdigest()})
        self.blobs[link] = {"size": len(data), "mimeType": mime}
        return JSONResponse(
            {"blob": {"$type": "blob", "ref": {"$link": link}, "mimeType": mime, "size": len(data)}}
        )

    # ----------------------------------------------------------------- AppView
    async def get_profile(self, request: Request) -> Response:
        actor = request.query_params.get("actor", "").lower()
        user = self.users.get(actor) or next(
            (u for u in self.users.values() if u["handle"] == actor), None
        )
        if user is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        return JSONResponse(
            {
                "did": user["did"],
                "handle": user["handle"],
                "displayName": user["displayName"],
                "avatar": user["avatar"],
                "followersCount": user.get("followersCount", 0),
                "followsCount": user.get("followsCount", 0),
                "postsCount": sum(1 for r in self.records.values() if r["did"] == user["did"]),
            }
        )

    async def get_posts(self, request: Request) -> Response:
        uris = request.query_params.getlist("uris")
        if len(uris) > 25:
            return xrpc_error(400, "InvalidRequest", "uris must not have more than 25 elements")
        posts = []
        for uri in uris:
            rec = self.records.get(uri)
            if rec is None:
                continue  # the AppView silently omits unknown posts
            user = self.users[rec["did"]]
            c = self.counts.get(uri, {})
            posts.append(
                {
                    "uri": uri,
                    "cid": rec["cid"],
                    "author": {
                        "did": user["did"],
                        "handle": user["handle"],
                        "displayName": user["displayName"],
                    },
                    "record": rec["value"],
                    "replyCount": c.get("replyCount", 0),
                    "repostCount": c.get("repostCount", 0),
                    "likeCount": c.get("likeCount", 0),
                    "quoteCount": c.get("quoteCount", 0),
                    "indexedAt": rec["indexedAt"],
                }
            )
        return JSONResponse({"posts": posts})
