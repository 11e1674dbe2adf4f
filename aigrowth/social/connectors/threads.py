"""Threads (graph.threads.net): OAuth short → long-lived → refresh, two-step publishing.

Connect: ``threads.net/oauth/authorize`` → code → ``POST /oauth/access_token`` (1 hour)
→ ``GET /access_token?grant_type=th_exchange_token`` (60 days). Refresh with
``GET /refresh_access_token?grant_type=th_refresh_token`` with the access token itself
(there is no refresh token) — allowed once the token is 24 h old and not yet expired,
so we refresh when less than a week is left and the token is at least a day old.

Publish (``meta_common.ContainerConnector``): ``POST /v1.0/{user-id}/threads``
(``media_type=TEXT`` or IMAGE) → container; wait for ``status`` FINISHED;
``POST /v1.0/{user-id}/threads_publish?creation_id=``. The container id is remembered
before publishing and checked first on any later attempt (PUBLISHED → find the post,
never publish twice).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aigrowth.platforms import PLATFORM_LABELS
from aigrowth.social.connectors.base import (
    AccountMetrics,
    AccountRef,
    ConnectedAccount,
    ConnectRequest,
    Metrics,
    PermanentError,
    PublishContext,
    TokenSet,
    as_int,
    oauth_client,
)
from aigrowth.social.connectors.meta_common import ContainerConnector, token_call

SCOPES = ["threads_basic", "threads_content_publish", "threads_manage_insights"]
METRICS = "views,likes,replies,reposts,quotes,shares"
REFRESH_WHEN_LEFT = timedelta(days=7)
MIN_AGE = timedelta(hours=24)  # Threads refuses to refresh a younger token


class ThreadsConnector(ContainerConnector):
    platform = "threads"
    label = PLATFORM_LABELS[platform]
    required_settings = ("threads_app_id", "threads_app_secret")
    refresh_with_access_token = True
    api_prefix = "/v1.0"
    state_key = "threads_container_id"
    container_edge = "threads"
    publish_edge = "threads_publish"
    quota_edge = "threads_publishing_limit"
    status_fields = "status,error_message"
    text_field = "text"

    @property
    def api(self) -> str:
        return self.settings.threads_api_base.rstrip("/")

    # ------------------------------------------------------------------ connect
    def begin_connect(self, req: ConnectRequest) -> str:
        s = self.settings
        with oauth_client(
            s.threads_app_id, redirect_uri=req.redirect_uri, scope=",".join(SCOPES)
        ) as client:
            url: str
            url, _ = client.create_authorization_url(
                f"{s.threads_auth_base.rstrip('/')}/oauth/authorize", state=req.state
            )
        return url

    def _token_call(
        self, http: Any, method: str, path: str, *, what: str, **kw: Any
    ) -> dict[str, Any]:
        return token_call(
            http, method, path, label=self.label, what=what, reconnect_codes=(100, 101, 190), **kw
        )

    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        s = self.settings
        # Threads appends "#_" to the redirect; tolerate it if a caller passes it on.
        code = code.split("#", 1)[0]
        with self.client(self.api) as http:
            short = self._token_call(
                http,
                "POST",
                "/oauth/access_token",
                what="Threads sign-in",
                data={
                    "client_id": s.threads_app_id,
                    "client_secret": s.threads_app_secret,
                    "grant_type": "authorization_code",
                    "redirect_uri": req.redirect_uri,
                    "code": code,
                },
            )
            long = self._token_call(
                http,
                "GET",
                "/access_token",
                what="Threads sign-in",
                params={
                    "grant_type": "th_exchange_token",
                    "client_secret": s.threads_app_secret,
                    "access_token": short["access_token"],
                },
            )
            tokens = _token_set(long)
            me = self._call(
                http,
                "GET",
                "/me",
                PublishContext(account=AccountRef(self.platform, "", tokens.access_token), text=""),
                what="Threads profile",
                params={"fields": "id,username,name,threads_profile_picture_url"},
            )
        return [
            ConnectedAccount(
                account_id=str(me.get("id") or short.get("user_id")),
                handle=str(me.get("username", "")),
                display_name=str(me.get("name") or me.get("username") or ""),
                avatar_url=str(me.get("threads_profile_picture_url", "")),
                tokens=tokens,
            )
        ]

    # ------------------------------------------------------------------ tokens
    def needs_refresh(self, account: AccountRef, *, margin_s: float = 300) -> bool:
        """Less than a week left, and old enough for Threads to accept the refresh."""
        if account.token_expires_at is None:
            return False
        now = datetime.now(UTC)
        if account.token_issued_at is not None and now - account.token_issued_at < MIN_AGE:
            return False
        left = account.token_expires_at - now
        return left < max(REFRESH_WHEN_LEFT, timedelta(seconds=margin_s))

    def refresh(self, account: AccountRef) -> TokenSet:
        with self.client(self.api) as http:
            body = self._token_call(
                http,
                "GET",
                "/refresh_access_token",
                what="Threads token refresh",
                params={"grant_type": "th_refresh_token", "access_token": account.access_token},
            )
        return _token_set(body)

    # Threads documents no token revocation endpoint: disconnecting deletes our copy.

    # ------------------------------------------------------------------ publish
    def container_data(self, ctx: PublishContext) -> dict[str, Any]:
        text = ctx.full_text
        if not ctx.media:
            data: dict[str, Any] = {"media_type": "TEXT", "text": text}
            if ctx.link:
                data["link_attachment"] = ctx.link
            return data
        if not ctx.media[0].url:
            raise PermanentError("Threads needs a public URL for the attached image.")
        data = {"media_type": "IMAGE", "image_url": ctx.media[0].url, "text": text}
        if ctx.media[0].alt:
            data["alt_text"] = ctx.media[0].alt
        return data

    # ------------------------------------------------------------------ metrics
    def fetch_account_metrics(self, account: AccountRef) -> AccountMetrics:
        """Followers (total) and profile views (latest day) from the user insights."""
        ctx = PublishContext(account=account, text="")
        with self.client(self.api) as http:
            body = self._call(
                http,
                "GET",
                f"/{account.account_id}/threads_insights",
                ctx,
                what="Threads account insights",
                params={"metric": "followers_count,views"},
            )
        followers: int | None = None
        views: int | None = None
        for item in body.get("data") or []:
            if item.get("name") == "followers_count":
                followers = as_int((item.get("total_value") or {}).get("value"))
            elif item.get("name") == "views" and item.get("values"):
                views = as_int(item["values"][-1].get("value"))  # most recent day
        return AccountMetrics(followers=followers, profile_views=views, raw=body)

    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        values = self._insights(ctx, remote_id, METRICS)
        reposts = as_int(values.get("reposts"))
        shares = as_int(values.get("shares"))
        return Metrics(
            impressions=as_int(values.get("views")),
            likes=as_int(values.get("likes")),
            comments=as_int(values.get("replies")),
            shares=None if reposts is None and shares is None else (reposts or 0) + (shares or 0),
            quotes=as_int(values.get("quotes")),
            clicks=None,  # Threads reports no per-post link clicks
            raw=values,
        )


def _token_set(body: dict[str, Any]) -> TokenSet:
    expires_in = body.get("expires_in")
    expires_at = datetime.now(UTC) + timedelta(seconds=float(expires_in)) if expires_in else None
    return TokenSet(
        access_token=str(body["access_token"]), expires_at=expires_at, scopes=",".join(SCOPES)
    )


CONNECTOR_CLASS = ThreadsConnector
