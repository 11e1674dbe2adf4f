"""Fake X API v2 (PLATFORMS.md "X"): OAuth 2.0 + PKCE with rotating single-use refresh
tokens, POST /2/tweets with duplicate and length checks, user timeline, metrics, media
upload, problem-JSON errors and x-rate-limit-* headers.

    with XFake() as x:
        settings: X_API_BASE=x.base_url, X_AUTH_URL=x.authorize_url,
                  X_CLIENT_ID=x.client_id, X_CLIENT_SECRET=x.client_secret
        x.tweets                # {id: {...}} everything created
        x.oauth.revoke_all()    # every token now answers 401 / invalid_grant
        x.post_limit = 2        # POST /2/tweets per window before 429
        x.timeline_lag_s = 5    # new tweets show in the timeline 5 s later (like X)
        x.create_calls("tweet") # every POST /2/tweets, duplicates refused with 403 too
"""

from __future__ import annotations

import itertools
import time
import unicodedata
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twitter_text import parse_tweet

from tests.fakes.common import FakeServer, OAuthProvider, json_body


def problem(
    status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any
) -> JSONResponse:
    body = {"title": title, "detail": detail, "type": type_, "status": status, **extra}
    return JSONResponse(body, status_code=status)


class XFake(FakeServer):
    client_id = "x-client-id"
    client_secret = "x-client-secret"
    create_paths: ClassVar[dict[str, str]] = {"tweet": "/2/tweets"}

    def __init__(
        self,
        *,
        user_id: str = "1500000000000000001",
        username: str = "founder",
        timeline_lag_s: float = 0.0,
    ) -> None:
        super().__init__()
        # Like the real X: a new tweet shows in the user timeline only this much later
        # (reading it by id works at once).
        self.timeline_lag_s = timeline_lag_s
        self.user = {
            "id": user_id,
            "name": "Founder Example",
            "username": username,
            "profile_image_url": "https://pbs.example/avatar.jpg",
        }
        self.oauth = OAuthProvider(
            clients={self.client_id: self.client_secret},
            user_id=user_id,
            require_pkce=True,
            access_ttl=7200,
            rotate_refresh=True,
            default_scope="tweet.read tweet.write users.read offline.access",
        )
        self.tweets: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1800000000000000000)
        self.post_limit = 100
        self.window_s = 900
        self._window_start = time.time()
        self._posts_in_window = 0
        self.metrics: dict[str, dict[str, int]] = {}
        # The user's public_metrics (account-level figures) served by /2/users/me.
        self.account_metrics: dict[str, int] = {
            "followers_count": 120, "following_count": 80, "tweet_count": 42, "listed_count": 1,
        }  # fmt: skip

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/i/oauth2/authorize"

    def settings(self) -> dict[str, str]:
        return {
            "X_CLIENT_ID": self.client_id,
            "X_CLIENT_SECRET": self.client_secret,
            "X_API_BASE": self.base_url,
            "X_AUTH_URL": self.authorize_url,
        }

    def routes(self) -> list[Route]:
        return [
            Route("/i/oauth2/authorize", self.oauth.authorize, methods=["GET"]),
            Route("/2/oauth2/token", self.oauth.token, methods=["POST"]),
            Route("/2/oauth2/revoke", self.oauth.revoke, methods=["POST"]),
            Route("/2/users/me", self.me, methods=["GET"]),
            Route("/2/users/{uid}/tweets", self.timeline, methods=["GET"]),
            Route("/2/tweets", self.create, methods=["POST"]),
            Route("/2/tweets", self.lookup, methods=["GET"]),
            Route("/2/media/upload", self.upload, methods=["POST"]),
            Route("/2/media/metadata", self.media_metadata, methods=["POST"]),
        ]

    # ------------------------------------------------------------------ helpers
    def _auth(self, request: Request) -> str | None:
        return self.oauth.user_for(request)

    def _unauthorized(self) -> Response:
        return problem(401, "Unauthorized", "Unauthorized")

    def _rate_headers(self) -> dict[str, str]:
        reset = int(self._window_start + self.window_s)
        return {
            "x-rate-limit-limit": str(self.post_limit),
            "x-rate-limit-remaining": str(max(0, self.post_limit - self._posts_in_window)),
            "x-rate-limit-reset": str(reset),
        }

    def set_metrics(self, tweet_id: str, **counts: int) -> None:
        self.metrics[tweet_id] = counts

    # ------------------------------------------------------------------ endpoints
    async def me(self, request: Request) -> Response:
        if self._auth(request) is None:
            return self._unauthorized()
        fields = request.query_params.get("user.fields", "")
        data = {k: self.user[k] for k in ("id", "name", "username")}
        if "profile_image_url" in fields:
            data["profile_image_url"] = self.user["profile_image_url"]
        if "public_metrics" in fields:
            data["public_metrics"] = dict(self.account_metrics)
        return JSONResponse({"data": data})

    async def create(self, request: Request) -> Response:
        uid = self._auth(request)
        if uid is None:
            return self._unauthorized()
        with self.lock:
            now = time.time()
            if now - self._window_start >= self.window_s:
                self._window_start, self._posts_in_window = now, 0
            if self._posts_in_window >= self.post_limit:
                resp = problem(429, "Too Many Requests", "Too Many Requests")
                resp.headers.update(self._rate_headers())
                return resp
            self._posts_in_window += 1
            headers = self._rate_headers()
        body = json_body(await request.body())
        if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
            return problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        text = unicodedata.normalize("NFC", body.get("text", ""))
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not text and not media_ids:
            return problem(
                400,
                "Invalid Request",
                "Tweet text or media is required.",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        if parse_tweet(text).weightedLength > 280:
            return problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
                errors=[{"message": "Tweet text is too long."}],
            )
        for mid in media_ids:
            if mid not in self.media:
                return problem(
                    400,
                    "Invalid Request",
                    f"Media id {mid} is invalid.",
                    "https://api.twitter.com/2/problems/invalid-request",
                )
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to and reply_to not in self.tweets:
            return problem(
                400,
                "Invalid Request",
                "The tweet you are replying to does not exist.",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        with self.lock:
            if any(t["author_id"] == uid and t["text"] == text for t in self.tweets.values()):
                return problem(
                    403,
                    "Forbidden",
                    "You are not allowed to create a Tweet with duplicate content.",
                )
            tid = str(next(self._ids))
            tweet = {
                "id": tid,
                "text": text,
                "author_id": uid,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "created_ts": time.time(),
                "reply_to": reply_to,
                "media_ids": media_ids,
            }
            self.tweets[tid] = tweet
            self.record_create("tweet", dict(tweet))
        return JSONResponse({"data": {"id": tid, "text": text}}, status_code=201, headers=headers)

    def _view(self, tweet: dict[str, Any], fields: str) -> dict[str, Any]:
        view: dict[str, Any] = {"id": tweet["id"], "text": tweet["text"]}
        if "created_at" in fields:
            view["created_at"] = tweet["created_at"]
        if "author_id" in fields:
            view["author_id"] = tweet["author_id"]
        if "referenced_tweets" in fields and tweet["reply_to"]:
            view["referenced_tweets"] = [{"type": "replied_to", "id": tweet["reply_to"]}]
        m = self.metrics.get(tweet["id"], {})
        if "public_metrics" in fields:
            view["public_metrics"] = {
                "retweet_count": m.get("retweet_count", 0),
                "reply_count": m.get("reply_count", 0),
                "like_count": m.get("like_count", 0),
                "quote_count": m.get("quote_count", 0),
                "bookmark_count": m.get("bookmark_count", 0),
                "impression_count": m.get("impression_count", 0),
            }
        return view

    async def timeline(self, request: Request) -> Response:
        uid = self._auth(request)
        if uid is None:
            return self._unauthorized()
        owner = request.path_params["uid"]
        fields = request.query_params.get("tweet.fields", "")
        limit = min(100, max(5, int(request.query_params.get("max_results", "10"))))
        shown_before = time.time() - self.timeline_lag_s
        mine = [
            t
            for t in self.tweets.values()
            if t["author_id"] == owner and t["created_ts"] <= shown_before
        ]
        mine.sort(key=lambda t: t["created_ts"], reverse=True)
        data = [self._view(t, fields) for t in mine[:limit]]
        body: dict[str, Any] = {"meta": {"result_count": len(data)}}
        if data:
            body["data"] = data
            body["meta"].update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        return JSONResponse(body)

    async def lookup(self, request: Request) -> Response:
        uid = self._auth(request)
        if uid is None:
            return self._unauthorized()
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        fields = request.query_params.get("tweet.fields", "")
        data, errors = [], []
        for tid in ids:
            tweet = self.tweets.get(tid)
            if tweet is None:
                errors.append(
                    {
                        "value": tid,
                        "detail": f"Could not find tweet with ids: [{tid}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
                continue
            view = self._view(tweet, fields)
            if "non_public_metrics" in fields:
                own = tweet["author_id"] == uid
                fresh = time.time() - tweet["created_ts"] < 30 * 86400
                if not (own and fresh):
                    return problem(
                        403,
                        "Authorization Error",
                        "Sorry, you are not authorized to access 'non_public_metrics'.",
                        "https://api.twitter.com/2/problems/not-authorized-for-field",
                    )
                m = self.metrics.get(tid, {})
                view["non_public_metrics"] = {
                    "impression_count": m.get("impression_count", 0),
                    "url_link_clicks": m.get("url_link_clicks", 0),
                    "user_profile_clicks": m.get("user_profile_clicks", 0),
                }
            data.append(view)
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return JSONResponse(body)

    async def upload(self, request: Request) -> Response:
        if self._auth(request) is None:
            return self._unauthorized()
        form = await request.form()
        media = form.get("media")
        if media is None or not hasattr(media, "read"):
            return problem(400, "Invalid Request", "media is required")
        data = await media.read()
        if not data:
            return problem(400, "Invalid Request", "media is empty")
        category = form.get("media_category")
        if category == "tweet_image" and len(data) > 5 * 1024 * 1024:  # X: images <= 5 MB
            return problem(400, "Invalid Request", "Image file size must be <= 5242880 bytes")
        mid = str(next(self._ids))
        self.media[mid] = {"size": len(data), "category": category, "alt": "", "data": data}
        return JSONResponse({"data": {"id": mid, "media_key": f"3_{mid}", "size": len(data)}})

    async def media_metadata(self, request: Request) -> Response:
        if self._auth(request) is None:
            return self._unauthorized()
        body = json_body(await request.body()) or {}
        mid = body.get("id")
        if mid not in self.media:
            return problem(400, "Invalid Request", "unknown media id")
        self.media[mid]["alt"] = ((body.get("metadata") or {}).get("alt_text") or {}).get(
            "text", ""
        )
        return JSONResponse({"data": {"id": mid, "associated_metadata": True}})
