"""Fake LinkedIn: OAuth, /v2/userinfo, organization ACLs, the Posts API and analytics.

Served by the shared harness (``tests.fakes.common``); ``fake.state`` holds tokens,
posts and knobs. Behaviour from PLATFORMS.md:
- authorization code → 60-day access token; a refresh token only when
  ``state.refresh_enabled`` (approved partners), with its 365-day hard end;
- ``POST /rest/posts`` requires ``LinkedIn-Version`` (a retired one → 426
  ``NONEXISTENT_VERSION``) and ``X-Restli-Protocol-Version: 2.0.0``; answers 201 with
  the URN in ``x-restli-id`` and an empty body;
- commentary is "little text": the stored text stops at the first unescaped reserved
  character (``state.posts[urn]["text"]`` is what readers see), so a test can prove
  the escaping;
- the same commentary again → 422 ``DUPLICATE_POST`` naming the existing URN (a call
  in ``state.create_calls``/``create_calls("post")``, not in ``creates``);
- ``state.timeline_lag_s``: a new post shows in ``GET /rest/posts?q=author`` only that
  many seconds later, as on the real platform;
- revoked token → 401 serviceErrorCode 65601, unknown/expired token → 401 65600;
- 429 without any rate-limit header;
- analytics: ``organizationalEntityShareStatistics`` (pages) and
  ``memberCreatorPostAnalytics`` (members, no clicks).
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.common import FakeServer, code_redirect

ACCESS_SECONDS = 60 * 86400
REFRESH_SECONDS = 365 * 86400
METRIC_TYPE_KEY = "com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1"
RESERVED = set("\\|{}@[]()<>#*_~")
COMMENTARY_LIMIT = 3000
_HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\#\|([^{}|]+)\}")
_MENTION_TEMPLATE = re.compile(r"@\[([^\]]+)\]\((urn:li:(?:person|organization):[^)]+)\)")


def render_little_text(commentary: str) -> str:
    """What LinkedIn shows for ``commentary``: cut at the first unescaped reserved char."""
    out: list[str] = []
    i = 0
    while i < len(commentary):
        ch = commentary[i]
        if ch == "\\" and i + 1 < len(commentary) and commentary[i + 1] in RESERVED:
            out.append(commentary[i + 1])
            i += 2
            continue
        if ch == "{" and (m := _HASHTAG_TEMPLATE.match(commentary, i)):
            out.append("#" + m.group(1))
            i = m.end()
            continue
        if ch == "@" and (m := _MENTION_TEMPLATE.match(commentary, i)):
            out.append(m.group(1))
            i = m.end()
            continue
        if ch in RESERVED:
            break  # silently cut, as LinkedIn does
        out.append(ch)
        i += 1
    return "".join(out)


@dataclass
class LiToken:
    sub: str
    scopes: set[str]
    expires_at: float
    revoked: bool = False


@dataclass
class LinkedInState:
    client_id: str = "li-client"
    client_secret: str = "li-secret"
    member: dict[str, str] = field(
        default_factory=lambda: {
            "sub": "782bbtaQ",
            "name": "Fran Founder",
            "given_name": "Fran",
            "family_name": "Founder",
            "picture": "https://media.licdn.example/fran.jpg",
            "locale": "en_US",
        }
    )
    organizations: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": 2414183, "localizedName": "Acme Coffee", "vanityName": "acme"}
        ]
    )
    # Versions LinkedIn still serves; anything else is "retired".
    active_versions: set[str] = field(
        default_factory=lambda: (
            {f"2025{m:02d}" for m in range(1, 13)} | {f"2026{m:02d}" for m in range(1, 13)}
        )
    )
    refresh_enabled: bool = False
    clock_offset: float = 0.0
    # Like the real API: a new post shows in the author's post list this much later.
    timeline_lag_s: float = 0.0
    tokens: dict[str, LiToken] = field(default_factory=dict)
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    create_calls: list[dict[str, Any]] = field(default_factory=list)
    revoked_calls: list[str] = field(default_factory=list)
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(7_100_000_000_000_000_001))

    def now(self) -> float:
        return time.time() + self.clock_offset

    def revoke_all(self) -> None:
        for tok in self.tokens.values():
            tok.revoked = True

    def set_stats(self, urn: str, **stats: int) -> None:
        self.posts[urn]["stats"].update(stats)

    def _issue(self, sub: str, scopes: set[str]) -> dict[str, Any]:
        token = "AQV" + secrets.token_urlsafe(32)
        self.tokens[token] = LiToken(sub, set(scopes), self.now() + ACCESS_SECONDS)
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": ACCESS_SECONDS,
            "scope": ",".join(sorted(scopes)),
            "token_type": "Bearer",
        }
        if "openid" in scopes:
            body["id_token"] = "eyJ.fake.jwt"
        return body


def _li_error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"status": status, "message": message, **extra}, status_code=status)


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


class LinkedInFake(FakeServer):
    """www.linkedin.com (OAuth) and api.linkedin.com on one local server."""

    create_paths: ClassVar[dict[str, str]] = {"post": "/rest/posts"}

    def __init__(self, **state: Any) -> None:
        super().__init__()
        self.state = LinkedInState(**state)

    def settings(self) -> dict[str, str]:
        return {
            "LINKEDIN_CLIENT_ID": self.state.client_id,
            "LINKEDIN_CLIENT_SECRET": self.state.client_secret,
            "LINKEDIN_API_BASE": self.base_url,
            "LINKEDIN_AUTH_BASE": self.base_url,
            "LINKEDIN_VERSION": "202511",
            "LINKEDIN_EXTRA_SCOPES": "",
        }

    def rate_limit(self, n: int = 1, *, path: str | None = None) -> None:
        """LinkedIn's 429: a JSON body and no rate-limit headers at all."""
        body = {
            "status": 429,
            "message": "Resource level throttle APPLICATION DAY limit for calls to this "
            "resource is reached.",
        }
        self.faults.rate_limit(n, body=body, path=path)

    def routes(self) -> list[BaseRoute]:
        return _routes(self)


def _routes(fake: LinkedInFake) -> list[BaseRoute]:
    state = fake.state

    # ---------------------------------------------------------------------- OAuth
    async def authorization(request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != state.client_id or q.get("response_type") != "code":
            return _oauth_error("invalid_request", "Invalid client_id or response_type")
        scopes = set(q.get("scope", "").split())
        code = secrets.token_urlsafe(24)
        state.codes[code] = {"redirect_uri": q.get("redirect_uri"), "scopes": scopes}
        redirect = q.get("redirect_uri", "")
        return code_redirect(redirect, code, q.get("state", ""))

    async def access_token(request: Request) -> Response:
        form = await request.form()
        if (
            form.get("client_id") != state.client_id
            or form.get("client_secret") != state.client_secret
        ):
            return _oauth_error("invalid_client", "Client authentication failed", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            got = state.codes.pop(str(form.get("code", "")), None)
            if got is None or got["redirect_uri"] != form.get("redirect_uri"):
                return _oauth_error(
                    "invalid_request",
                    "Unable to retrieve access token: appid/redirect uri/code verifier does not "
                    "match authorization code. Or authorization code expired.",
                )
            body = state._issue(state.member["sub"], got["scopes"])
            if state.refresh_enabled:
                rt = "AQX" + secrets.token_urlsafe(32)
                state.refresh_tokens[rt] = {
                    "scopes": got["scopes"],
                    "expires_at": state.now() + REFRESH_SECONDS,
                }
                body["refresh_token"] = rt
                body["refresh_token_expires_in"] = REFRESH_SECONDS
            return JSONResponse(body)
        if grant == "refresh_token":
            if not state.refresh_enabled:
                return _oauth_error(
                    "invalid_request", "Refresh tokens are not enabled for this application"
                )
            rt = str(form.get("refresh_token", ""))
            info = state.refresh_tokens.get(rt)
            if info is None or info["expires_at"] < state.now():
                return _oauth_error("invalid_grant", "The provided refresh token is invalid")
            body = state._issue(state.member["sub"], info["scopes"])
            # LinkedIn keeps the same refresh token and its original end date.
            body["refresh_token"] = rt
            body["refresh_token_expires_in"] = int(info["expires_at"] - state.now())
            return JSONResponse(body)
        return _oauth_error("unsupported_grant_type", f"grant_type {grant} is not supported")

    async def revoke(request: Request) -> Response:
        form = await request.form()
        if (
            form.get("client_id") != state.client_id
            or form.get("client_secret") != state.client_secret
        ):
            return _oauth_error("invalid_client", "Client authentication failed", 401)
        token = str(form.get("token", ""))
        state.revoked_calls.append(token)
        if token in state.tokens:
            state.tokens[token].revoked = True
        return Response(status_code=200)

    # ------------------------------------------------------------------- API gate
    def gate(request: Request, *, versioned: bool) -> LiToken | Response:
        header = request.headers.get("authorization", "")
        raw = header[7:].strip() if header.lower().startswith("bearer ") else ""
        tok = state.tokens.get(raw)
        if tok is not None and tok.revoked:
            return _li_error(
                401,
                "The token used in the request has been revoked by the user",
                serviceErrorCode=65601,
                code="REVOKED_ACCESS_TOKEN",
            )
        if tok is None or tok.expires_at < state.now():
            return _li_error(
                401, "Invalid access token", serviceErrorCode=65600, code="INVALID_ACCESS_TOKEN"
            )
        if versioned:
            version = request.headers.get("linkedin-version")
            if not version:
                return _li_error(
                    400,
                    "A version must be present. Please specify a version by adding the "
                    "LinkedIn-Version header.",
                    code="VERSION_MISSING",
                )
            if version not in state.active_versions:
                return _li_error(
                    426, f"Requested version {version} is not active", code="NONEXISTENT_VERSION"
                )
        return tok

    def denied(what: str) -> Response:
        return _li_error(
            403,
            f"Not enough permissions to access: {what}",
            serviceErrorCode=100,
            code="ACCESS_DENIED",
        )

    async def userinfo(request: Request) -> Response:
        tok = gate(request, versioned=False)
        if isinstance(tok, Response):
            return tok
        if "openid" not in tok.scopes:
            return denied("GET /userinfo")
        return JSONResponse(state.member)

    async def organization_acls(request: Request) -> Response:
        tok = gate(request, versioned=True)
        if isinstance(tok, Response):
            return tok
        if not tok.scopes & {"rw_organization_admin", "r_organization_admin"}:
            return denied("organizationAcls.FINDER-roleAssignee")
        elements = [
            {
                "roleAssignee": f"urn:li:person:{tok.sub}",
                "role": "ADMINISTRATOR",
                "state": "APPROVED",
                "organization": f"urn:li:organization:{org['id']}",
            }
            for org in state.organizations
        ]
        return JSONResponse({"elements": elements, "paging": {"count": 10, "start": 0}})

    async def organization(request: Request) -> Response:
        tok = gate(request, versioned=True)
        if isinstance(tok, Response):
            return tok
        oid = int(request.path_params["oid"])
        org = next((o for o in state.organizations if o["id"] == oid), None)
        if org is None:
            return _li_error(404, "Not Found")
        return JSONResponse(org)

    def may_write(tok: LiToken, author: str) -> bool:
        if author == f"urn:li:person:{tok.sub}":
            return "w_member_social" in tok.scopes
        if author.startswith("urn:li:organization:"):
            oid = author.rsplit(":", 1)[1]
            return "w_organization_social" in tok.scopes and any(
                str(o["id"]) == oid for o in state.organizations
            )
        return False

    async def posts(request: Request) -> Response:
        tok = gate(request, versioned=True)
        if isinstance(tok, Response):
            return tok
        if request.method == "GET":
            return find_posts(request, tok)
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return _li_error(
                400, "Restli protocol version 2.0.0 is required (X-Restli-Protocol-Version)."
            )
        try:
            body = await request.json()
        except ValueError:
            return _li_error(400, "Malformed JSON body")
        state.create_calls.append({"headers": dict(request.headers), "body": body})
        author = str(body.get("author", ""))
        if not may_write(tok, author):
            return denied("partnerApiPostsExternal.CREATE.20251101")
        missing = [
            k for k in ("author", "lifecycleState", "distribution", "visibility") if k not in body
        ]
        if missing:
            return _li_error(
                422,
                f"/{missing[0]} :: field is required but not found and has no default value",
                code="UNPROCESSABLE_ENTITY",
            )
        commentary = str(body.get("commentary", ""))
        if len(commentary) > COMMENTARY_LIMIT:
            return _li_error(
                422,
                f"/commentary :: length {len(commentary)} exceeds {COMMENTARY_LIMIT}",
                code="UNPROCESSABLE_ENTITY",
            )
        for urn, post in state.posts.items():
            if post["author"] == author and post["commentary"] == commentary:
                return _li_error(
                    422,
                    f"Content is a duplicate of {urn}",
                    code="DUPLICATE_POST",
                )
        content = body.get("content") or {}
        wanted = [content["media"]] if "media" in content else []
        wanted += list((content.get("multiImage") or {}).get("images") or [])
        for item in wanted:
            image = state.images.get(str(item.get("id")))
            if image is None or image["data"] is None:
                return _li_error(
                    422,
                    f"/content/media/id :: {item.get('id')} is not in AVAILABLE state",
                    code="UNPROCESSABLE_ENTITY",
                )
        urn = f"urn:li:share:{next(state._ids)}"
        fake.record_create("post", body)  # accepted creates only; refused ones are calls
        state.posts[urn] = {
            "id": urn,
            "author": author,
            "commentary": commentary,
            "text": render_little_text(commentary),
            "images": [str(item["id"]) for item in wanted],
            "created": int(state.now() * 1000),
            "stats": {
                "impressions": 0,
                "clicks": 0,
                "likes": 0,
                "comments": 0,
                "shares": 0,
                "reach": 0,
            },
        }
        return Response(status_code=201, headers={"x-restli-id": urn, "x-linkedin-id": urn})

    def post_view(post: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": post["id"],
            "author": post["author"],
            "commentary": post["commentary"],
            "createdAt": post["created"],
            "publishedAt": post["created"],
            "lastModifiedAt": post["created"],
            "lifecycleState": "PUBLISHED",
            "visibility": "PUBLIC",
        }

    def find_posts(request: Request, tok: LiToken) -> Response:
        q = request.query_params
        if q.get("q") != "author":
            return _li_error(400, "Unsupported finder")
        author = unquote(q.get("author", ""))
        if author.startswith("urn:li:organization:"):
            if "r_organization_social" not in tok.scopes:
                return denied("partnerApiPostsExternal.FINDER-author.20251101")
        elif "r_member_social" not in tok.scopes:
            # Reading a member's own posts is a closed permission for most apps.
            return denied("partnerApiPostsExternal.FINDER-author.20251101")
        count = int(q.get("count", 10))
        shown_before = (state.now() - state.timeline_lag_s) * 1000
        items = sorted(
            (
                p
                for p in state.posts.values()
                if p["author"] == author and p["created"] <= shown_before
            ),
            key=lambda p: p["created"],
            reverse=True,
        )
        return JSONResponse(
            {
                "elements": [post_view(p) for p in items[:count]],
                "paging": {"count": count, "start": 0},
            }
        )

    async def post_one(request: Request) -> Response:
        tok = gate(request, versioned=True)
        if isinstance(tok, Response):
            return tok
        urn = unquote(request.path_params["urn"])
        post = state.posts.get(urn)
        if post is None:
            return _li_error(404, f"Post {urn} not found", code="NOT_FOUND")
        return JSONResponse(post_view(post))

    async def share_statistics(request: Request) -> Response:
        tok = gate(request, versioned=request.url.path.startswith("/rest/"))
        if isinstance(tok, Response):
            return tok
        if "r_organization_social" not in tok.scopes:
            return denied("organizationalEntityShareStatistics.FINDER-organizationalEntity")
        q = request.query_params
        org = unquote(q.get("organizationalEntity", ""))
        raw = q.get("shares") or q.get("ugcPosts") or ""
        m = re.fullmatch(r"List\((.*)\)", raw)
        urns = [unquote(u) for u in m.group(1).split(",")] if m else []
        elements = []
        for urn in urns:
            post = state.posts.get(urn)
            if post is None or post["author"] != org:
                continue
            s = post["stats"]
            total = {
                "uniqueImpressionsCount": s["reach"],
                "impressionCount": s["impressions"],
                "clickCount": s["clicks"],
                "likeCount": s["likes"],
                "commentCount": s["comments"],
                "shareCount": s["shares"],
                "engagement": (
                    (s["clicks"] + s["likes"] + s["comments"] + s["shares"]) / s["impressions"]
                    if s["impressions"]
                    else 0.0
                ),
            }
            key = "share" if urn.startswith("urn:li:share:") else "ugcPost"
            elements.append({"organizationalEntity": org, key: urn, "totalShareStatistics": total})
        return JSONResponse({"elements": elements, "paging": {"count": 10, "start": 0}})

    async def member_analytics(request: Request) -> Response:
        tok = gate(request, versioned=True)
        if isinstance(tok, Response):
            return tok
        if "r_member_postAnalytics" not in tok.scopes:
            return denied("memberCreatorPostAnalytics.FINDER-entity")
        q = request.query_params
        m = re.fullmatch(r"\((share|ugc):(.+)\)", q.get("entity", ""))
        if q.get("q") != "entity" or not m:
            return _li_error(400, "Invalid entity")
        urn = unquote(m.group(2))
        post = state.posts.get(urn)
        if post is None:
            return JSONResponse({"elements": [], "paging": {"count": 10, "start": 0}})
        kinds = {
            "IMPRESSION": "impressions",
            "MEMBERS_REACHED": "reach",
            "RESHARE": "shares",
            "REACTION": "likes",
            "COMMENT": "comments",
        }
        qt = q.get("queryType", "")
        if qt not in kinds:
            return _li_error(400, f"Invalid queryType {qt}")
        element = {
            "count": post["stats"][kinds[qt]],
            "metricType": {METRIC_TYPE_KEY: qt},
        }
        return JSONResponse({"elements": [element], "paging": {"count": 10, "start": 0}})

    async def network_sizes(request: Request) -> Response:
        """Followers of an organization (account-level figure)."""
        tok = gate(request, versioned=True)
        if isinstance(tok, Response):
            return tok
        urn = unquote(request.path_params["urn"])
        oid = urn.rsplit(":", 1)[-1]
        org = next((o for o in state.organizations if str(o["id"]) == oid), None)
        if org is None or request.query_params.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
            return _li_error(400, "Invalid organization or edgeType")
        return JSONResponse({"firstDegreeSize": org.get("followers", 1200)})

    async def member_followers(request: Request) -> Response:
        """The member's follower count (needs r_member_profileAnalytics)."""
        tok = gate(request, versioned=True)
        if isinstance(tok, Response):
            return tok
        if "r_member_profileAnalytics" not in tok.scopes:
            return denied("memberFollowersCount.FINDER-me")
        count = int(state.member.get("followers", 530))
        return JSONResponse({"elements": [{"memberFollowersCount": count}]})

    async def images(request: Request) -> Response:
        tok = gate(request, versioned=True)
        if isinstance(tok, Response):
            return tok
        if request.query_params.get("action") != "initializeUpload":
            return _li_error(400, "Unsupported action")
        owner = str(((await request.json()).get("initializeUploadRequest") or {}).get("owner"))
        if not may_write(tok, owner):
            return denied("images.ACTION-initializeUpload")
        urn = f"urn:li:image:C4D{secrets.token_hex(8)}"
        state.images[urn] = {"owner": owner, "data": None}
        upload = f"{str(request.base_url).rstrip('/')}/upload/{quote(urn, safe='')}"
        return JSONResponse(
            {
                "value": {
                    "uploadUrlExpiresAt": int((state.now() + 3600) * 1000),
                    "uploadUrl": upload,
                    "image": urn,
                }
            }
        )

    async def upload(request: Request) -> Response:
        tok = gate(request, versioned=False)
        if isinstance(tok, Response):
            return tok
        urn = unquote(request.path_params["urn"])
        if urn not in state.images:
            return _li_error(404, "Unknown upload")
        state.images[urn]["data"] = await request.body()
        return Response(status_code=201)

    routes = [
        Route("/rest/images", images, methods=["POST"]),
        Route("/upload/{urn:path}", upload, methods=["PUT"]),
        Route("/oauth/v2/authorization", authorization, methods=["GET"]),
        Route("/oauth/v2/accessToken", access_token, methods=["POST"]),
        Route("/oauth/v2/revoke", revoke, methods=["POST"]),
        Route("/v2/userinfo", userinfo, methods=["GET"]),
        Route("/rest/organizationAcls", organization_acls, methods=["GET"]),
        Route("/rest/organizations/{oid:int}", organization, methods=["GET"]),
        Route("/rest/posts", posts, methods=["GET", "POST"]),
        Route("/rest/posts/{urn:path}", post_one, methods=["GET"]),
        Route("/rest/organizationalEntityShareStatistics", share_statistics, methods=["GET"]),
        Route("/v2/organizationalEntityShareStatistics", share_statistics, methods=["GET"]),
        Route("/rest/memberCreatorPostAnalytics", member_analytics, methods=["GET"]),
        Route("/rest/networkSizes/{urn:path}", network_sizes, methods=["GET"]),
        Route("/rest/memberFollowersCount", member_followers, methods=["GET"]),
    ]
    return routes
