"""Threads (graph.threads.net): OAuth short → long-lived → refresh, two-step publishing.

Connect: ``threads.net/oauth/authorize`` → code → ``POST /oauth/access_token`` (1 hour)
→ ``GET /access_token?grant_type=th_exchange_token`` (60 days). Refresh with
``GET /refresh_access_token?grant_type=th_refresh_token`` with the access token itself
(there is no refresh token) — allowed once the token is 24 h old and not yet expired,
so we refresh when less than a week is left and the token is at least a day old.

Publish: ``POST /v1.0/{user-id}/threads`` (``media_type=TEXT`` or IMAGE) → container;
wait for ``status`` FINISHED; ``POST /v1.0/{user-id}/threads_publish?creation_id=``.
The container id is remembered before publishing and checked first on any later
attempt (PUBLISHED → find the post, never publish twice).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aigrowth.social.connectors.base import (
    AccountRef,
    ConnectedAccount,
    Connector,
    ConnectRequest,
    Media,
    Metrics,
    PermanentError,
    PublishContext,
    PublishResult,
    ReconnectRequired,
    TokenSet,
    oauth_client,
    send,
)
from aigrowth.social.connectors.meta_common import (
    ContainerFlow,
    graph_call,
    graph_error_body,
    raise_for_graph,
    same_text,
)

SCOPES = ["threads_basic", "threads_content_publish", "threads_manage_insights"]
STATE_KEY = "threads_container_id"
METRICS = "views,likes,replies,reposts,quotes,shares"
REFRESH_WHEN_LEFT = timedelta(days=7)
MIN_AGE = timedelta(hours=24)  # Threads refuses to refresh a younger token


class ThreadsConnector(Connector):
    platform = "threads"
    label = "Threads"
    uses_pkce = False
    required_settings = ("threads_app_id", "threads_app_secret")
    register_url = "https://developers.facebook.com/apps/"
    max_media = 1
    refresh_with_access_token = True
    poll_interval = 2.0
    poll_timeout = 60.0

    @property
    def api(self) -> str:
        return self.settings.threads_api_base.rstrip("/")

    # ------------------------------------------------------------------ connect
    def begin_connect(self, req: ConnectRequest) -> str:
        s = self.settings
        with oauth_client(
            s.threads_app_id, redirect_uri=req.redirect_uri, scope=",".join(SCOPES)
        ) as client:
            url, _ = client.create_authorization_url(
                f"{s.threads_auth_base.rstrip('/')}/oauth/authorize", state=req.state
            )
        return url

    def _token_call(self, http: Any, method: str, path: str, *, what: str, **kw: Any) -> dict:
        resp = send(http, method, path, what=what, check=False, **kw)
        if resp.status_code >= 400:
            err = graph_error_body(resp)
            if resp.status_code < 500 and int(err.get("code") or 0) in (100, 101, 190):
                raise ReconnectRequired(
                    f"Threads did not accept the sign-in ({err.get('message', 'refused')}); "
                    "please connect again.",
                    status=resp.status_code,
                    code=str(err.get("code", "")),
                )
            raise_for_graph(resp, label=self.label, what=what)
        return resp.json()

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
            me = graph_call(
                http,
                "GET",
                "/v1.0/me",
                token=tokens.access_token,
                label=self.label,
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
                params={
                    "grant_type": "th_refresh_token",
                    "access_token": account.access_token,
                },
            )
        return _token_set(body)

    # Threads documents no token revocation endpoint: disconnecting deletes our copy.

    def validate(
        self,
        text: str,
        media: list[Media],
        *,
        account: AccountRef | None = None,
        hashtags: list[str] | None = None,
    ) -> list[str]:
        """The shared rules, plus: we publish a single image (no carousels yet)."""
        problems = super().validate(text, media, account=account, hashtags=hashtags)
        if len(media) > 1:
            problems.append(
                "Threads posts from this app take one image (carousels are not supported "
                "yet); keep one image."
            )
        return problems

    # ------------------------------------------------------------------ publish
    def _call(self, http: Any, method: str, path: str, ctx: PublishContext, **kw: Any) -> dict:
        return graph_call(
            http, method, path, token=ctx.account.access_token, label=self.label, **kw
        )

    def _flow(self, http: Any, ctx: PublishContext) -> ContainerFlow:
        uid = ctx.account.account_id
        text = ctx.full_text

        def create() -> str:
            data: dict[str, Any] = {"media_type": "TEXT", "text": text}
            if ctx.media:
                if not ctx.media[0].url:
                    raise PermanentError("Threads needs a public URL for the attached image.")
                data = {"media_type": "IMAGE", "image_url": ctx.media[0].url, "text": text}
                if ctx.media[0].alt:
                    data["alt_text"] = ctx.media[0].alt
            elif ctx.link:
                data["link_attachment"] = ctx.link
            body = self._call(
                http, "POST", f"/v1.0/{uid}/threads", ctx, what="Threads container", data=data
            )
            return str(body["id"])

        def status(container_id: str) -> str:
            body = self._call(
                http,
                "GET",
                f"/v1.0/{container_id}",
                ctx,
                what="Threads container status",
                params={"fields": "status,error_message"},
            )
            return str(body.get("status") or "")

        def publish(container_id: str) -> PublishResult:
            body = self._call(
                http,
                "POST",
                f"/v1.0/{uid}/threads_publish",
                ctx,
                what="Threads publish",
                commit=True,
                data={"creation_id": container_id},
            )
            media_id = str(body["id"])
            return PublishResult(remote_id=media_id, url=self._permalink(http, ctx, media_id))

        def find(container_id: str) -> PublishResult | None:
            body = self._call(
                http,
                "GET",
                f"/v1.0/{uid}/threads",
                ctx,
                what="Threads recent posts",
                params={"fields": "id,text,permalink,timestamp", "limit": 25},
            )
            for post in body.get("data") or []:
                if same_text(post.get("text"), text):
                    return PublishResult(
                        remote_id=str(post["id"]),
                        url=str(post.get("permalink") or ""),
                        extra={"reconciled": True},
                    )
            return None

        return ContainerFlow(
            label=self.label,
            state_key=STATE_KEY,
            create=create,
            status=status,
            publish=publish,
            find_published=find,
            interval=self.poll_interval,
            timeout=self.poll_timeout,
        )

    def _permalink(self, http: Any, ctx: PublishContext, media_id: str) -> str:
        try:
            body = self._call(
                http,
                "GET",
                f"/v1.0/{media_id}",
                ctx,
                what="Threads permalink",
                params={"fields": "permalink"},
            )
        except Exception:  # the post is live; only the URL is missing
            return ""
        return str(body.get("permalink") or "")

    def publish(self, ctx: PublishContext) -> PublishResult:
        with self.client(self.api) as http:
            return self._flow(http, ctx).run(ctx)

    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        with self.client(self.api) as http:
            return self._flow(http, ctx).lookup(ctx)

    def publishing_quota(self, ctx: PublishContext) -> tuple[int, int]:
        """(posts used, posts allowed) in the rolling 24 h window."""
        with self.client(self.api) as http:
            body = self._call(
                http,
                "GET",
                f"/v1.0/{ctx.account.account_id}/threads_publishing_limit",
                ctx,
                what="Threads publishing quota",
                params={"fields": "quota_usage,config"},
            )
        item = (body.get("data") or [{}])[0]
        return int(item.get("quota_usage") or 0), int(
            (item.get("config") or {}).get("quota_total") or 0
        )

    # ------------------------------------------------------------------ metrics
    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        with self.client(self.api) as http:
            body = self._call(
                http,
                "GET",
                f"/v1.0/{remote_id}/insights",
                ctx,
                what="Threads insights",
                params={"metric": METRICS},
            )
        values: dict[str, Any] = {}
        for item in body.get("data") or []:
            if item.get("total_value"):
                values[item.get("name")] = item["total_value"].get("value")
            else:
                values[item.get("name")] = ((item.get("values") or [{}])[0]).get("value")
        reposts = _int(values.get("reposts"))
        shares = _int(values.get("shares"))
        return Metrics(
            impressions=_int(values.get("views")),
            likes=_int(values.get("likes")),
            comments=_int(values.get("replies")),
            shares=None if reposts is None and shares is None else (reposts or 0) + (shares or 0),
            quotes=_int(values.get("quotes")),
            clicks=None,  # Threads reports no per-post link clicks
            raw=values,
        )


def _token_set(body: dict[str, Any]) -> TokenSet:
    expires_in = body.get("expires_in")
    expires_at = datetime.now(UTC) + timedelta(seconds=float(expires_in)) if expires_in else None
    return TokenSet(
        access_token=str(body["access_token"]), expires_at=expires_at, scopes=",".join(SCOPES)
    )


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


CONNECTOR_CLASS = ThreadsConnector
