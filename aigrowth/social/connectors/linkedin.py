"""LinkedIn: member profiles and organization Pages through the versioned Posts API.

Connect (authlib, authorization code; LinkedIn offers PKCE to native apps only, so web
apps rely on `state`): scopes ``openid profile w_member_social`` plus
``LINKEDIN_EXTRA_SCOPES``; asking for Pages (``extra["account_type"] == "page"``, the
Accounts page's "Connect a company page") adds the organization scopes and connects
only the Pages. ``/v2/userinfo`` gives the member (``sub``); with organization scopes,
``/rest/organizationAcls`` lists the Pages the member administers, each connected as
its own account sharing the member's token. Tokens last 60 days; refresh
tokens exist only for approved partners (used when present).

Publish: ``POST /rest/posts`` with ``LinkedIn-Version`` (settings) and
``X-Restli-Protocol-Version: 2.0.0``; the URN comes back in ``x-restli-id``. The
commentary is "little text": reserved characters are backslash-escaped, or LinkedIn
silently cuts the post at the first one. Images go up first through the Images API
(``initializeUpload`` + PUT; URNs remembered so a retry does not upload again).
LinkedIn has no idempotency key but refuses the same commentary again with 422
``DUPLICATE_POST`` naming the existing URN: a `DuplicateError` carrying that URN, which
after an unknown outcome means our earlier attempt landed — so publishing again is safe
even where the member's posts cannot be read back (``lookup`` then raises: it cannot
tell).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from aigrowth.platforms import PLATFORM_LABELS
from aigrowth.social.connectors.base import (
    AccountMetrics,
    AccountRef,
    AuthError,
    ConnectedAccount,
    Connector,
    ConnectRequest,
    DuplicateError,
    Metrics,
    PermanentError,
    PublishContext,
    PublishResult,
    ReconnectRequired,
    RetryableError,
    TokenSet,
    as_int,
    error_detail,
    oauth_client,
    oauth_token,
    raise_for_response,
    send,
    token_set_from_oauth,
)

MEMBER_SCOPES = ["openid", "profile", "w_member_social"]
ORG_SCOPES = ["w_organization_social", "r_organization_social", "rw_organization_admin"]
RESERVED = "\\|{}@[]()<>#*_~"
_ESCAPE = re.compile("([" + re.escape(RESERVED) + "])")
_URN = re.compile(r"urn:li:(?:share|ugcPost):[0-9A-Za-z_-]+")
# `lookup`'s error code when the posts cannot be read (members without r_member_social):
# then only a republish answering DuplicateError can tell that the post landed.
LOOKUP_FORBIDDEN = "lookup_forbidden"
_METRIC_TYPES = {
    "IMPRESSION": "impressions",
    "MEMBERS_REACHED": "reach",
    "REACTION": "likes",
    "COMMENT": "comments",
    "RESHARE": "shares",
}


def escape_little_text(text: str) -> str:
    r"""Backslash-escape LinkedIn's reserved characters: \ | { } @ [ ] ( ) < > # * _ ~."""
    return _ESCAPE.sub(r"\\\1", text)


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def _seconds_to_midnight_utc(now: datetime | None = None) -> float:
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def _is_duplicate(text: str) -> bool:
    """LinkedIn's duplicate answer: ``DUPLICATE_POST`` / "Content is a duplicate of …"."""
    return "DUPLICATE_POST" in text or "is a duplicate" in text.lower()


def raise_for_linkedin(resp: httpx.Response, *, what: str, commit: bool = False) -> None:
    """LinkedIn's error answers → our error classes (PLATFORMS.md)."""
    status = resp.status_code
    if status < 400:
        return
    code, detail = error_detail(resp)
    try:
        body = resp.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    service_code = str(body.get("serviceErrorCode") or "")
    if status == 401:
        if service_code == "65601" or body.get("code") == "REVOKED_ACCESS_TOKEN":
            raise ReconnectRequired(
                "LinkedIn access was revoked; reconnect the account.", status=status, code="65601"
            )
        raise AuthError(f"{what}: {detail}", status=status, code=service_code or "65600")
    if status == 426:
        raise PermanentError(
            f"LinkedIn no longer serves API version {resp.request.headers.get('LinkedIn-Version')}"
            " (NONEXISTENT_VERSION); set LINKEDIN_VERSION to a current YYYYMM version.",
            status=status,
            code="NONEXISTENT_VERSION",
        )
    if status == 429:
        # No rate-limit headers: daily limits reset at midnight UTC, shorter throttles
        # clear within minutes.
        wait = _seconds_to_midnight_utc() if "DAY" in detail.upper() else 60.0
        raise RetryableError(
            f"LinkedIn rate limit reached ({detail}).", retry_after=wait, status=status, code=code
        )
    if status == 422 and _is_duplicate(resp.text):
        urn = _URN.search(resp.text)
        raise DuplicateError(
            f"{what} failed (422): duplicate content, this account already posted the same text",
            status=status,
            code="DUPLICATE_POST",
            remote_id=urn.group(0) if urn else "",
            url=post_url(urn.group(0)) if urn else "",
        )
    if status == 403:
        raise PermanentError(
            f"LinkedIn refused the permission ({detail}). Reconnect and grant every "
            "permission asked for.",
            status=status,
            code="ACCESS_DENIED",
        )
    raise_for_response(resp, commit=commit, what=what)


class LinkedInConnector(Connector):
    platform = "linkedin"
    label = PLATFORM_LABELS[platform]
    uses_pkce = False
    required_settings = ("linkedin_client_id", "linkedin_client_secret")
    register_url = "https://www.linkedin.com/developers/apps"
    max_media = 20

    @property
    def api(self) -> str:
        return self.settings.linkedin_api_base.rstrip("/")

    @property
    def auth_base(self) -> str:
        return self.settings.linkedin_auth_base.rstrip("/")

    def scopes(self, *, pages: bool = False) -> list[str]:
        out = list(MEMBER_SCOPES)
        extra = self.settings.linkedin_extra_scopes.replace(",", " ").split()
        for scope in [*(ORG_SCOPES if pages else []), *extra]:
            if scope not in out:
                out.append(scope)
        return out

    def _oauth(self, redirect_uri: str = "", scope: str = "") -> Any:
        s = self.settings
        return oauth_client(
            s.linkedin_client_id,
            s.linkedin_client_secret,
            redirect_uri=redirect_uri,
            scope=scope,
            token_endpoint_auth_method="client_secret_post",
        )

    def _headers(self, token: str, *, versioned: bool = True) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        if versioned:
            headers["LinkedIn-Version"] = self.settings.linkedin_version
            headers["X-Restli-Protocol-Version"] = "2.0.0"
        return headers

    def _get(self, http: httpx.Client, url: str, token: str, *, what: str, **kw: Any) -> Any:
        resp = send(
            http,
            "GET",
            url,
            what=what,
            check=False,
            headers=self._headers(token, versioned=url.startswith("/rest/")),
            **kw,
        )
        raise_for_linkedin(resp, what=what)
        return resp.json()

    # ------------------------------------------------------------------ connect
    def begin_connect(self, req: ConnectRequest) -> str:
        pages = req.extra.get("account_type") == "page"
        with self._oauth(req.redirect_uri, " ".join(self.scopes(pages=pages))) as client:
            url: str
            url, _ = client.create_authorization_url(
                f"{self.auth_base}/oauth/v2/authorization", state=req.state
            )
        return url

    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        pages_only = req.extra.get("account_type") == "page"
        with self._oauth(req.redirect_uri) as client:
            token = oauth_token(
                client, f"{self.auth_base}/oauth/v2/accessToken", what="LinkedIn sign-in", code=code
            )
        tokens = self._token_set(token)
        granted = set(tokens.scopes.replace(",", " ").split())
        with self.client(self.api) as http:
            me = self._get(http, "/v2/userinfo", tokens.access_token, what="LinkedIn profile")
            accounts: list[ConnectedAccount] = []
            if not pages_only and (not granted or "w_member_social" in granted):
                accounts.append(
                    ConnectedAccount(
                        account_id=str(me["sub"]),
                        handle=str(me.get("name", "")),
                        display_name=str(me.get("name", "")),
                        avatar_url=str(me.get("picture", "")),
                        tokens=tokens,
                        meta={"author_urn": f"urn:li:person:{me['sub']}"},
                    )
                )
            can_list_pages = bool(granted & {"rw_organization_admin", "r_organization_admin"})
            if can_list_pages or (pages_only and not granted):
                accounts.extend(self._pages(http, tokens, str(me["sub"])))
        if pages_only and not accounts:
            raise PermanentError(
                "no company page to connect: you are not an administrator of any page."
                if can_list_pages
                else "company pages were not granted (the LinkedIn app needs the "
                "Community Management API product)."
            )
        if len(accounts) > 1:
            # One token serves the profile and the Pages: revoking it for one would
            # disconnect the others.
            for account in accounts:
                account.meta["shared_token"] = True
        if not accounts:
            raise PermanentError("LinkedIn granted no permission to post; connect again.")
        return accounts

    def _pages(self, http: httpx.Client, tokens: TokenSet, sub: str) -> list[ConnectedAccount]:
        acls = self._get(
            http,
            "/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED",
            tokens.access_token,
            what="LinkedIn Pages",
        )
        out = []
        for element in acls.get("elements") or []:
            org_urn = str(element.get("organization", ""))
            org_id = org_urn.rsplit(":", 1)[-1]
            if not org_id.isdigit():
                continue
            org = self._get(
                http, f"/rest/organizations/{org_id}", tokens.access_token, what="LinkedIn Page"
            )
            name = str(org.get("localizedName") or org.get("vanityName") or org_id)
            out.append(
                ConnectedAccount(
                    account_id=org_id,
                    handle=str(org.get("vanityName") or name),
                    display_name=name,
                    account_type="page",
                    tokens=tokens,
                    meta={"author_urn": org_urn, "member_sub": sub},
                )
            )
        return out

    @staticmethod
    def _token_set(token: dict[str, Any], previous_refresh: str | None = None) -> TokenSet:
        tokens = token_set_from_oauth(token, previous_refresh=previous_refresh)
        if token.get("refresh_token_expires_in"):
            tokens.refresh_expires_at = datetime.now(UTC) + timedelta(
                seconds=float(token["refresh_token_expires_in"])
            )
        return tokens

    def refresh(self, account: AccountRef) -> TokenSet:
        if not account.refresh_token:
            raise ReconnectRequired(
                "LinkedIn access expired (LinkedIn gives this app no refresh token); reconnect."
            )
        with self._oauth() as client:
            token = oauth_token(
                client,
                f"{self.auth_base}/oauth/v2/accessToken",
                what="LinkedIn token refresh",
                refresh_token=account.refresh_token,
            )
        return self._token_set(token, previous_refresh=account.refresh_token)

    def revoke(self, account: AccountRef) -> bool:
        """Revoke the token, unless the profile and Pages share it (see connect)."""
        if account.meta.get("shared_token"):
            return False
        s = self.settings
        with self.client(self.auth_base) as http:
            send(
                http,
                "POST",
                "/oauth/v2/revoke",
                what="LinkedIn revoke",
                data={
                    "client_id": s.linkedin_client_id,
                    "client_secret": s.linkedin_client_secret,
                    "token": account.access_token,
                },
            )
        return True

    # ------------------------------------------------------------------ posts
    @staticmethod
    def author(account: AccountRef) -> str:
        urn = account.meta.get("author_urn")
        if urn:
            return str(urn)
        kind = "organization" if account.account_type == "page" else "person"
        return f"urn:li:{kind}:{account.account_id}"

    def commentary(self, ctx: PublishContext) -> str:
        return escape_little_text(ctx.full_text)

    def _upload_images(self, http: httpx.Client, ctx: PublishContext) -> list[str]:
        """Images API: initializeUpload → PUT the bytes. A retryable prepare step; the
        image URNs are remembered so a retry does not upload them again."""
        done: list[str] = list(ctx.publish_state.get("li_image_urns") or [])
        token = ctx.account.access_token
        for media in ctx.media[len(done) :]:
            if media.path:
                data = Path(media.path).read_bytes()
            elif media.url:
                data = send(http, "GET", media.url, what="download image").content
            else:
                raise PermanentError("An attached image has neither a URL nor a file.")
            resp = send(
                http,
                "POST",
                "/rest/images?action=initializeUpload",
                what="LinkedIn image upload",
                check=False,
                json={"initializeUploadRequest": {"owner": self.author(ctx.account)}},
                headers=self._headers(token),
            )
            raise_for_linkedin(resp, what="LinkedIn image upload")
            value = resp.json()["value"]
            put = send(
                http,
                "PUT",
                value["uploadUrl"],
                what="LinkedIn image upload",
                check=False,
                content=data,
                headers={"Authorization": f"Bearer {token}"},
            )
            raise_for_linkedin(put, what="LinkedIn image upload")
            done.append(str(value["image"]))
            ctx.remember(li_image_urns=done)
        return done

    def publish(self, ctx: PublishContext) -> PublishResult:
        body: dict[str, Any] = {
            "author": self.author(ctx.account),
            "commentary": self.commentary(ctx),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        with self.client(self.api) as http:
            if ctx.media:
                urns = self._upload_images(http, ctx)
                alts = [m.alt for m in ctx.media]
                images = [{"id": u, "altText": a[:4086]} for u, a in zip(urns, alts, strict=True)]
                if len(images) == 1:
                    body["content"] = {"media": images[0]}
                else:
                    body["content"] = {"multiImage": {"images": images}}
            ctx.before_create()
            resp = send(
                http,
                "POST",
                "/rest/posts",
                commit=True,
                check=False,
                what="LinkedIn post",
                json=body,
                headers=self._headers(ctx.account.access_token),
            )
        # 422 DUPLICATE_POST → DuplicateError naming the live post (the publisher decides).
        raise_for_linkedin(resp, what="LinkedIn post", commit=True)
        urn = resp.headers.get("x-restli-id") or resp.headers.get("x-linkedin-id") or ""
        if not urn:
            raise PermanentError("LinkedIn accepted the post but returned no id.")
        return PublishResult(remote_id=urn, url=post_url(urn))

    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        """Recent posts of the author with the same commentary.

        Reading a member's own posts needs a permission most apps do not get: that 403,
        like any failed read, raises (we cannot tell), never "absent". Publishing again
        is the way to find out there: it answers DUPLICATE_POST with the existing URN
        (a DuplicateError) if the first attempt landed.
        """
        author = self.author(ctx.account)
        url = f"/rest/posts?q=author&author={quote(author, safe='')}&count=20&sortBy=LAST_MODIFIED"
        with self.client(self.api) as http:
            try:
                body = self._get(http, url, ctx.account.access_token, what="LinkedIn recent posts")
            except PermanentError as exc:
                if exc.status != 403:
                    raise
                raise PermanentError(
                    "LinkedIn does not let this app read the account's posts, so we cannot "
                    "check whether the post went out.",
                    status=403,
                    code=LOOKUP_FORBIDDEN,
                ) from exc
        if not isinstance(body, dict) or not isinstance(body.get("elements"), list):
            raise RetryableError("LinkedIn recent posts could not be read (no list of posts).")
        wanted = self.commentary(ctx)
        for post in body.get("elements") or []:
            if post.get("commentary") == wanted:
                urn = str(post["id"])
                return PublishResult(remote_id=urn, url=post_url(urn), extra={"reconciled": True})
        return None

    # ------------------------------------------------------------------ metrics
    def fetch_account_metrics(self, account: AccountRef) -> AccountMetrics:
        """Followers of the Page (networkSizes) or of the member (memberFollowersCount,
        which needs r_member_profileAnalytics: without it the figure stays NULL)."""
        author = self.author(account)
        with self.client(self.api) as http:
            if author.startswith("urn:li:organization:"):
                body = self._get(
                    http,
                    f"/rest/networkSizes/{quote(author, safe='')}",
                    account.access_token,
                    what="LinkedIn Page followers",
                    params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
                )
                return AccountMetrics(followers=as_int(body.get("firstDegreeSize")), raw=body)
            try:
                body = self._get(
                    http,
                    "/rest/memberFollowersCount",
                    account.access_token,
                    what="LinkedIn followers",
                    params={"q": "me"},
                )
            except PermanentError as exc:
                return AccountMetrics(raw={"unavailable": exc.message})
        elements = body.get("elements") or [{}]
        return AccountMetrics(followers=as_int(elements[0].get("memberFollowersCount")), raw=body)

    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        with self.client(self.api) as http:
            if self.author(ctx.account).startswith("urn:li:organization:"):
                return self._page_metrics(http, ctx, remote_id)
            return self._member_metrics(http, ctx, remote_id)

    def _page_metrics(self, http: httpx.Client, ctx: PublishContext, urn: str) -> Metrics:
        key = "ugcPosts" if urn.startswith("urn:li:ugcPost:") else "shares"
        url = (
            "/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={quote(self.author(ctx.account), safe='')}"
            f"&{key}=List({quote(urn, safe='')})"
        )
        try:
            body = self._get(http, url, ctx.account.access_token, what="LinkedIn Page statistics")
        except PermanentError as exc:
            return Metrics(raw={"unavailable": exc.message})
        elements = body.get("elements") or []
        if not elements:
            return Metrics(raw={"unavailable": "no statistics yet"})
        total = elements[0].get("totalShareStatistics") or {}
        return Metrics(
            impressions=as_int(total.get("impressionCount")),
            reach=as_int(total.get("uniqueImpressionsCount")),
            clicks=as_int(total.get("clickCount")),
            likes=as_int(total.get("likeCount")),
            comments=as_int(total.get("commentCount")),
            shares=as_int(total.get("shareCount")),
            raw=total,
        )

    def _member_metrics(self, http: httpx.Client, ctx: PublishContext, urn: str) -> Metrics:
        """memberCreatorPostAnalytics, one query per figure; members get no clicks."""
        kind = "ugc" if urn.startswith("urn:li:ugcPost:") else "share"
        values: dict[str, int | None] = {}
        for query_type, name in _METRIC_TYPES.items():
            url = (
                f"/rest/memberCreatorPostAnalytics?q=entity&entity=({kind}:{quote(urn, safe='')})"
                f"&queryType={query_type}&aggregation=TOTAL"
            )
            try:
                body = self._get(http, url, ctx.account.access_token, what="LinkedIn analytics")
            except PermanentError as exc:
                # Needs r_member_postAnalytics (LINKEDIN_EXTRA_SCOPES): figures stay NULL.
                return Metrics(raw={"unavailable": exc.message})
            elements = body.get("elements") or []
            values[name] = as_int(elements[0].get("count")) if elements else 0
        return Metrics(
            impressions=values.get("impressions"),
            reach=values.get("reach"),
            likes=values.get("likes"),
            comments=values.get("comments"),
            shares=values.get("shares"),
            clicks=None,
            raw=dict(values),
        )


CONNECTOR_CLASS = LinkedInConnector
