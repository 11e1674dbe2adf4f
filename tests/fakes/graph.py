"""Fake Meta Graph API: Facebook Login, Facebook Pages and Instagram content publishing.

One Starlette app plays www.facebook.com (the OAuth dialog) and graph.facebook.com
(everything else), as PLATFORMS.md describes them:

- dialog → code → short-lived user token → ``fb_exchange_token`` → ~60-day user token →
  ``/me/accounts`` page tokens (with ``instagram_business_account`` when asked for);
- ``POST /{page-id}/feed`` → ``{"id": "{page}_{post}"}`` (page token only), photos,
  ``/{post-id}?fields=...summary(true)`` and ``/{post-id}/insights``;
- Instagram: ``POST /{ig-user-id}/media`` → container (IN_PROGRESS, then FINISHED),
  ``POST /{ig-user-id}/media_publish`` → media id (container becomes PUBLISHED),
  ``content_publishing_limit``, media insights;
- errors as ``{"error": {message, type, code, error_subcode, fbtrace_id}}``: 190 with
  subcodes 458/460/463, 4/17/32/613 throttling (HTTP 400 — callers must read the code),
  506 duplicate, 100 invalid parameter; ``X-App-Usage`` and
  ``X-Business-Use-Case-Usage`` headers on every Graph answer.

Served by the shared harness (:mod:`tests.fakes.common`): ``fake.faults`` injects
429/500/hangs, ``fake.throttle()`` answers Graph's own throttling errors, and
``fake.creates`` records every create. ``fake.state`` holds tokens, posts, containers,
media, a clock offset and ``revoke_all()``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.common import FakeServer, bearer_token, code_redirect, request_params

SHORT_TOKEN_SECONDS = 2 * 3600
LONG_TOKEN_SECONDS = 5_183_944  # what Graph really answers for a ~60-day token
CAPTION_LIMIT = 2200
MAX_HASHTAGS = 30
IG_QUOTA_TOTAL = 100


def _trace() -> str:
    return "A" + secrets.token_urlsafe(15)


def graph_error(
    message: str,
    code: int,
    *,
    status: int = 400,
    type_: str = "OAuthException",
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    body["fbtrace_id"] = _trace()
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def insights(
    node: str, params: dict[str, Any], values: dict[str, Any], refused: Any
) -> JSONResponse:
    """``GET /{node}/insights?metric=a,b``: lifetime values, or error 100 with
    `refused(metric)` for a metric the object does not have."""
    data = []
    for metric in [m for m in str(params.get("metric", "")).split(",") if m]:
        if metric not in values:
            return graph_error(refused(metric), 100)
        data.append(
            {
                "name": metric,
                "period": "lifetime",
                "values": [{"value": values[metric]}],
                "id": f"{node}/insights/{metric}/lifetime",
            }
        )
    return JSONResponse({"data": data, "paging": {}})


def count_hashtags(text: str) -> int:
    import re

    return len(re.findall(r"(?<![\w#])#\w+", text))


# ----------------------------------------------------------------------- state
@dataclass
class Token:
    kind: str  # user_short | user_long | page
    user_id: str
    scopes: list[str]
    expires_at: float | None
    page_id: str | None = None
    revoked_subcode: int | None = None


@dataclass
class GraphState:
    app_id: str = "meta-app-id"
    app_secret: str = "meta-app-secret"
    version: str = "v24.0"
    user: dict[str, str] = field(default_factory=lambda: {"id": "10001", "name": "Fran Founder"})
    pages: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "id": "20001",
                "name": "Acme Coffee",
                "category": "Coffee shop",
                "ig": {
                    "id": "17841400000000001",
                    "username": "acmecoffee",
                    "name": "Acme Coffee",
                    "profile_picture_url": "https://scontent.example/ig.jpg",
                },
            },
            {"id": "20002", "name": "Side Project", "category": "Software", "ig": None},
        ]
    )
    throttle_code: int = 4
    regain_minutes: int = 7
    clock_offset: float = 0.0
    # Polls of a container's status before it reports FINISHED.
    container_polls: int = 1
    # When True, POST /media downloads image_url like Instagram does.
    fetch_media: bool = True
    tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # Facebook posts
    photos: dict[str, dict[str, Any]] = field(default_factory=dict)
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # Instagram media
    publish_calls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    ig_quota_used: int = 0
    revoke_calls: int = 0
    calls: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def now(self) -> float:
        return time.time() + self.clock_offset

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def issue(self, kind: str, *, scopes: list[str], seconds: float | None, page_id=None) -> str:
        token = f"EAA{kind[:1].upper()}{secrets.token_urlsafe(24)}"
        expires = self.now() + seconds if seconds else None
        self.tokens[token] = Token(kind, self.user["id"], scopes, expires, page_id)
        return token

    def revoke_all(self, subcode: int = 458) -> None:
        """The user removed the app (458), changed password (460)..."""
        for tok in self.tokens.values():
            tok.revoked_subcode = subcode

    def page(self, page_id: str) -> dict[str, Any] | None:
        return next((p for p in self.pages if p["id"] == page_id), None)

    def ig_user(self, ig_id: str) -> dict[str, Any] | None:
        return next((p["ig"] for p in self.pages if p["ig"] and p["ig"]["id"] == ig_id), None)

    def set_post_stats(self, post_id: str, **stats: int) -> None:
        target = self.posts.get(post_id) or self.media[post_id]
        target["stats"].update(stats)


# ----------------------------------------------------------------------- helpers
_params = request_params


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(ts))


def _fields(params: dict[str, Any]) -> str:
    return str(params.get("fields", ""))


THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}


class GraphFake(FakeServer):
    """graph.facebook.com + the www.facebook.com dialog on one local server."""

    create_paths: ClassVar[dict[str, str]] = {
        "fb_post": r"/v[0-9.]+/[0-9]+/feed",
        "ig_publish": r"/v[0-9.]+/[0-9]+/media_publish",
    }

    def __init__(self, **state: Any) -> None:
        super().__init__()
        self.state = GraphState(**state)

    def settings(self) -> dict[str, str]:
        return {
            "META_APP_ID": self.state.app_id,
            "META_APP_SECRET": self.state.app_secret,
            "GRAPH_API_BASE": self.base_url,
            "GRAPH_API_VERSION": self.state.version,
            "FACEBOOK_AUTH_BASE": self.base_url,
        }

    def image_url(self, name: str = "photo.jpg") -> str:
        """A "public" JPEG this server serves, for Instagram containers."""
        return f"{self.base_url}/media/{name}"

    def throttle(
        self,
        n: int = 1,
        *,
        code: int = 4,
        page_id: str | None = None,
        regain_minutes: int = 7,
        path: str | None = None,
    ) -> None:
        """Next n Graph calls answer HTTP 400 with throttling code 4/17/32/613."""
        headers = {
            "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 40, "total_time": 40})
        }
        if page_id:
            headers["X-Business-Use-Case-Usage"] = json.dumps(
                {
                    page_id: [
                        {
                            "type": "pages",
                            "call_count": 100,
                            "total_cputime": 40,
                            "total_time": 40,
                            "estimated_time_to_regain_access": regain_minutes,
                        }
                    ]
                }
            )
        body = {
            "error": {
                "message": THROTTLE_MESSAGES.get(code, "(#4) Rate limited"),
                "type": "OAuthException",
                "code": code,
                "is_transient": True,
                "fbtrace_id": _trace(),
            }
        }
        self.faults.fail_before(n, status=400, body=body, headers=headers, path=path)

    def routes(self) -> list[BaseRoute]:
        return _routes(self)


def _routes(fake: GraphFake) -> list[BaseRoute]:
    state = fake.state
    v = state.version

    def usage_headers(page_id: str | None = None) -> dict[str, str]:
        pct = min(100, state.calls)
        headers = {
            "X-App-Usage": json.dumps(
                {"call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2}
            )
        }
        if page_id:
            headers["X-Business-Use-Case-Usage"] = json.dumps(
                {
                    page_id: [
                        {
                            "type": "pages",
                            "call_count": pct,
                            "total_cputime": pct // 2,
                            "total_time": pct // 2,
                            "estimated_time_to_regain_access": 0,
                        }
                    ]
                }
            )
        return headers

    def auth(request: Request, params: dict[str, Any]) -> Token | JSONResponse:
        raw = bearer_token(request, params)
        if not raw:
            return graph_error(
                "An active access token must be used to query information about the current user.",
                2500,
            )
        if raw == f"{state.app_id}|{state.app_secret}":  # app access token
            return Token("app", "", [], None)
        tok = state.tokens.get(raw)
        if tok is None:
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190)
        if tok.revoked_subcode is not None:
            messages = {
                458: "Error validating access token: The user has not authorized application "
                + state.app_id
                + ".",
                460: "Error validating access token: The session has been invalidated because "
                "the user changed their password.",
                463: "Error validating access token: Session has expired.",
            }
            return graph_error(
                messages.get(tok.revoked_subcode, "Error validating access token"),
                190,
                subcode=tok.revoked_subcode,
            )
        if tok.expires_at is not None and tok.expires_at < state.now():
            return graph_error(
                f"Error validating access token: Session has expired on {_iso(tok.expires_at)}.",
                190,
                subcode=463,
            )
        return tok

    # ---------------------------------------------------------------- OAuth dialog
    async def dialog(request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != state.app_id:
            return Response("Invalid App ID", status_code=400)
        redirect = q.get("redirect_uri", "")
        code = secrets.token_urlsafe(16)
        state.codes[code] = {
            "redirect_uri": redirect,
            "scopes": [s for s in q.get("scope", "").split(",") if s],
        }
        return code_redirect(redirect, code, q.get("state", ""), "#_=_")

    async def access_token(request: Request) -> Response:
        p = await _params(request)
        if p.get("client_id") != state.app_id or p.get("client_secret") != state.app_secret:
            return graph_error("Error validating client secret.", 1, subcode=None)
        if p.get("grant_type") == "fb_exchange_token":
            short = state.tokens.get(p.get("fb_exchange_token", ""))
            if short is None or short.revoked_subcode or (short.expires_at or 0) < state.now():
                return graph_error("Error validating access token", 190, subcode=463)
            token = state.issue("user_long", scopes=short.scopes, seconds=LONG_TOKEN_SECONDS)
            return JSONResponse(
                {"access_token": token, "token_type": "bearer", "expires_in": LONG_TOKEN_SECONDS}
            )
        grant = state.codes.pop(p.get("code", ""), None)
        if grant is None:
            return graph_error("This authorization code has been used.", 100, subcode=36009)
        if grant["redirect_uri"] != p.get("redirect_uri"):
            return graph_error(
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                100,
                subcode=36008,
            )
        token = state.issue("user_short", scopes=grant["scopes"], seconds=SHORT_TOKEN_SECONDS)
        return JSONResponse(
            {"access_token": token, "token_type": "bearer", "expires_in": SHORT_TOKEN_SECONDS}
        )

    # ------------------------------------------------------------------ dispatcher
    async def graph(request: Request) -> Response:
        path = request.path_params["path"].strip("/")
        parts = path.split("/")
        params = await _params(request)
        state.requests.append((request.method, path))
        if parts == ["oauth", "access_token"]:
            return await access_token(request)
        state.calls += 1
        node = parts[0]
        edge = parts[1] if len(parts) > 1 else ""
        page_hint = node if state.page(node) else None
        tok = auth(request, params)
        if isinstance(tok, Response):
            return tok
        try:
            resp = await route(request, tok, node, edge, params)
        except KeyError as exc:
            resp = graph_error(
                f"Unsupported get request. Object with ID '{exc.args[0]}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation.",
                100,
                subcode=33,
            )
        for k, val in usage_headers(page_hint).items():
            resp.headers.setdefault(k, val)
        return resp

    async def route(
        request: Request, tok: Token, node: str, edge: str, params: dict[str, Any]
    ) -> Response:
        method = request.method
        if tok.kind == "app" and edge != "permissions":
            return graph_error("(#200) An app access token cannot be used here", 200)
        if node == "me" and not edge:
            return JSONResponse({"id": tok.user_id, "name": state.user["name"]})
        if node == "me" and edge == "accounts":
            return me_accounts(tok, params)
        if node == state.user["id"] and edge == "permissions" and method == "DELETE":
            if tok.kind not in ("app", "user_long", "user_short"):
                return graph_error("(#200) Requires a user or app access token", 200)
            state.revoke_calls += 1
            for t in state.tokens.values():
                if t.user_id == node:
                    t.revoked_subcode = 458
            return JSONResponse({"success": True})
        if (page := state.page(node)) is not None:
            return await page_edge(request, tok, page, edge, params)
        if (ig := state.ig_user(node)) is not None:
            return await ig_edge(request, tok, ig, edge, params)
        if node in state.containers and not edge:
            return container_status(node, params)
        if node in state.posts:
            return fb_post(node, edge, params)
        if node in state.media:
            return ig_media(node, edge, params)
        raise KeyError(node)

    def me_accounts(tok: Token, params: dict[str, Any]) -> Response:
        if "pages_show_list" not in tok.scopes:
            return JSONResponse({"data": []})
        fields = _fields(params)
        data = []
        for page in state.pages:
            page_token = state.issue("page", scopes=tok.scopes, seconds=None, page_id=page["id"])
            item: dict[str, Any] = {
                "id": page["id"],
                "name": page["name"],
                "category": page["category"],
                "access_token": page_token,
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
            }
            if "instagram_business_account" in fields and page["ig"]:
                ig = page["ig"]
                item["instagram_business_account"] = {
                    k: ig[k] for k in ("id", "username", "name", "profile_picture_url")
                }
            data.append(item)
        return JSONResponse(
            {"data": data, "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}}
        )

    # --------------------------------------------------------------- Facebook Pages
    async def page_edge(
        request: Request, tok: Token, page: dict[str, Any], edge: str, params: dict[str, Any]
    ) -> Response:
        pid = page["id"]
        if not edge:
            view: dict[str, Any] = {"id": pid, "name": page["name"]}
            for key, default in (("followers_count", 250), ("fan_count", 240)):
                if key in _fields(params):  # account-level figures (tests may set them)
                    view[key] = page.get(key, default)
            return JSONResponse(view)
        if request.method == "POST" and edge in ("feed", "photos"):
            if tok.kind != "page" or tok.page_id != pid:
                return graph_error(
                    "(#200) If posting to a page, requires both pages_read_engagement and "
                    "pages_manage_posts as an admin with sufficient administrative permission",
                    200,
                    type_="OAuthException",
                )
            if edge == "photos":
                photo_id = state.new_id("9")
                published = str(params.get("published", "true")).lower() != "false"
                state.photos[photo_id] = {"url": params.get("url"), "published": published}
                if not published:
                    return JSONResponse({"id": photo_id})
                # A published photo is a post of its own; it is a commit call.
                return await create_fb_post(
                    pid, params.get("caption", ""), None, [photo_id], record=params
                )
            message = params.get("message", "")
            link = params.get("link")
            attached = []
            for key, value in params.items():
                if key.startswith("attached_media"):
                    item = json.loads(value) if isinstance(value, str) else value
                    items = item if isinstance(item, list) else [item]
                    attached.extend(str(i["media_fbid"]) for i in items)
            if not message and not link and not attached:
                return graph_error(
                    "(#100) Missing message or attachment", 100, type_="OAuthException"
                )
            for photo in attached:
                if photo not in state.photos:
                    return graph_error(f"(#100) Invalid media_fbid {photo}", 100)
            return await create_fb_post(pid, message, link, attached, record=params)
        if request.method == "GET" and edge in ("feed", "posts", "published_posts"):
            limit = int(params.get("limit", 25))
            items = [p for p in state.posts.values() if p["page_id"] == pid]
            items.sort(key=lambda p: p["created"], reverse=True)
            return JSONResponse({"data": [post_view(p, _fields(params)) for p in items[:limit]]})
        raise KeyError(edge)

    async def create_fb_post(
        pid: str, message: str, link: str | None, attached: list[str], *, record: dict
    ) -> Response:
        recent = [
            p
            for p in state.posts.values()
            if p["page_id"] == pid
            and p["message"] == message
            and message
            and state.now() - p["created"] < 3600
        ]
        if recent:
            return graph_error("(#506) Duplicate status message", 506)
        fake.record_create("fb_post", {"page_id": pid, **record})  # accepted ones only
        post_id = f"{pid}_{state.new_id('3')}"
        state.posts[post_id] = {
            "id": post_id,
            "page_id": pid,
            "message": message,
            "link": link,
            "attached": attached,
            "created": state.now(),
            "stats": {"reactions": 0, "comments": 0, "shares": 0, "views": 0, "clicks": 0},
        }
        return JSONResponse({"id": post_id})

    def post_view(post: dict[str, Any], fields: str) -> dict[str, Any]:
        pid, _, num = post["id"].partition("_")
        view: dict[str, Any] = {"id": post["id"], "created_time": _iso(post["created"])}
        if (not fields or "message" in fields) and post["message"]:
            view["message"] = post["message"]
        if "permalink_url" in fields:
            view["permalink_url"] = f"https://www.facebook.com/{pid}/posts/{num}"
        stats = post["stats"]
        # Graph leaves "shares" out entirely when nobody shared the post.
        if "shares" in fields and stats["shares"]:
            view["shares"] = {"count": stats["shares"]}
        if "comments.summary" in fields:
            view["comments"] = {
                "data": [],
                "summary": {
                    "order": "ranked",
                    "total_count": stats["comments"],
                    "can_comment": True,
                },
            }
        if "reactions.summary" in fields:
            view["reactions"] = {
                "data": [],
                "summary": {"total_count": stats["reactions"], "viewer_reaction": "NONE"},
            }
        return view

    def fb_post(post_id: str, edge: str, params: dict[str, Any]) -> Response:
        post = state.posts[post_id]
        if not edge:
            return JSONResponse(post_view(post, _fields(params) or "message"))
        if edge == "insights":
            known = {"post_total_media_view_unique": "views", "post_clicks": "clicks"}
            values = {name: post["stats"][key] for name, key in known.items()}
            return insights(
                post_id,
                params,
                values,
                lambda _m: "(#100) The value must be a valid insights metric",
            )
        raise KeyError(edge)

    # ------------------------------------------------------------------- Instagram
    async def ig_edge(
        request: Request, tok: Token, ig: dict[str, Any], edge: str, params: dict[str, Any]
    ) -> Response:
        igid = ig["id"]
        if "instagram_content_publish" not in tok.scopes and request.method == "POST":
            return graph_error("(#10) Application does not have permission for this action", 10)
        if not edge:
            view = {k: ig[k] for k in ("id", "username", "name", "profile_picture_url")}
            for key, default in (
                ("followers_count", 310),
                ("follows_count", 90),
                ("media_count", 25),
            ):
                if key in _fields(params):  # account-level figures (tests may set them)
                    view[key] = ig.get(key, default)
            return JSONResponse(view)
        if edge == "insights" and request.method == "GET":  # account insights, period=day
            if params.get("period") not in ("day", "week", "days_28", "lifetime"):
                return graph_error("(#100) The parameter period is required", 100)
            values = ig.get("insights") or {"reach": 900, "profile_views": 35}
            return insights(igid, params, values, lambda m: f"(#100) metric[0] must be one of: {m}")
        if edge == "media" and request.method == "POST":
            return await ig_create_container(igid, params)
        if edge == "media" and request.method == "GET":
            limit = int(params.get("limit", 25))
            items = [m for m in state.media.values() if m["ig_user"] == igid]
            items.sort(key=lambda m: m["created"], reverse=True)
            return JSONResponse({"data": [media_view(m) for m in items[:limit]]})
        if edge == "media_publish" and request.method == "POST":
            return await ig_publish(igid, params)
        if edge == "content_publishing_limit":
            return JSONResponse(
                {
                    "data": [
                        {
                            "quota_usage": state.ig_quota_used,
                            "config": {"quota_total": IG_QUOTA_TOTAL, "quota_duration": 86400},
                        }
                    ]
                }
            )
        raise KeyError(edge)

    async def ig_create_container(igid: str, params: dict[str, Any]) -> Response:
        image_url = params.get("image_url")
        caption = params.get("caption", "") or ""
        if not image_url and not params.get("video_url"):
            return graph_error(
                "(#100) The parameter image_url is required.", 100, type_="OAuthException"
            )
        if len(caption) > CAPTION_LIMIT:
            return graph_error(
                "The caption is too long.", 100, subcode=2207010, type_="OAuthException"
            )
        if count_hashtags(caption) > MAX_HASHTAGS:
            return graph_error("The caption contains more than 30 hashtags.", 100, subcode=2207010)
        if state.fetch_media:
            ok = False
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    got = await client.get(image_url)
                ok = got.status_code == 200 and got.headers.get("content-type", "").startswith(
                    "image/jpeg"
                )
            except httpx.HTTPError:
                ok = False
            if not ok:
                return graph_error(
                    "Only photo or video can be accepted as media type.",
                    9004,
                    subcode=2207052,
                )
        cid = state.new_id("178")
        fake.record_create("ig_container", {"ig_user": igid, **params})
        state.containers[cid] = {
            "id": cid,
            "ig_user": igid,
            "image_url": image_url,
            "caption": caption,
            "status_code": "IN_PROGRESS",
            "polls": 0,
            "media_id": None,
            "created": state.now(),
        }
        return JSONResponse({"id": cid})

    def container_status(cid: str, params: dict[str, Any]) -> Response:
        c = state.containers[cid]
        if c["status_code"] == "IN_PROGRESS":
            if c["polls"] >= state.container_polls:
                c["status_code"] = "FINISHED"
            c["polls"] += 1
        if c["status_code"] in ("IN_PROGRESS", "FINISHED") and state.now() - c["created"] > 86400:
            c["status_code"] = "EXPIRED"
        body: dict[str, Any] = {"id": cid}
        fields = _fields(params) or "id"
        if "status_code" in fields:
            body["status_code"] = c["status_code"]
        if "status" in fields.replace("status_code", ""):
            body["status"] = c["status_code"].title()
        return JSONResponse(body)

    async def ig_publish(igid: str, params: dict[str, Any]) -> Response:
        cid = str(params.get("creation_id", ""))
        state.publish_calls.append({"ig_user": igid, "creation_id": cid})
        c = state.containers.get(cid)
        if c is None or c["ig_user"] != igid:
            return graph_error("(#100) Param creation_id is not a valid container", 100)
        if c["status_code"] == "PUBLISHED":
            return graph_error("The media has already been published.", 9007, subcode=2207008)
        if c["status_code"] == "EXPIRED":
            return graph_error("The media container has expired.", 9007, subcode=2207008)
        if c["status_code"] != "FINISHED":
            return graph_error(
                "Media ID is not available", 9007, subcode=2207027, type_="OAuthException"
            )
        if state.ig_quota_used >= IG_QUOTA_TOTAL:
            return graph_error("Application request limit reached", 9, subcode=2207042)
        state.ig_quota_used += 1
        fake.record_create("ig_publish", {"ig_user": igid, "creation_id": cid})  # accepted
        mid = state.new_id("179")
        shortcode = secrets.token_urlsafe(8).replace("-", "a").replace("_", "b")
        state.media[mid] = {
            "id": mid,
            "ig_user": igid,
            "caption": c["caption"],
            "created": state.now(),
            "permalink": f"https://www.instagram.com/p/{shortcode}/",
            "stats": {"views": 0, "reach": 0, "likes": 0, "comments": 0, "shares": 0, "saved": 0},
        }
        c["status_code"] = "PUBLISHED"
        c["media_id"] = mid
        return JSONResponse({"id": mid})

    def media_view(m: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": m["id"],
            "caption": m["caption"],
            "media_type": "IMAGE",
            "permalink": m["permalink"],
            "timestamp": _iso(m["created"]),
        }

    def ig_media(mid: str, edge: str, params: dict[str, Any]) -> Response:
        m = state.media[mid]
        if not edge:
            return JSONResponse(media_view(m))
        if edge == "insights":
            return insights(
                mid,
                params,
                m["stats"],
                lambda _m: (
                    f"(#100) metric[0] must be one of the following values: {', '.join(m['stats'])}"
                ),
            )
        raise KeyError(edge)

    async def media_file(request: Request) -> Response:
        """A JPEG the fake can serve to itself as a "public" image URL."""
        jpeg = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
        return Response(jpeg, media_type="image/jpeg")

    routes = [
        Route(f"/{v}/dialog/oauth", dialog, methods=["GET"]),
        Route("/media/{name}", media_file, methods=["GET"]),
        Route(f"/{v}/{{path:path}}", graph, methods=["GET", "POST", "DELETE"]),
    ]
    return routes
