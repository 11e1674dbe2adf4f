"""X (API v2): OAuth 2.0 + PKCE, rotating refresh tokens, threads as reply chains.

X has no idempotency key: after an unknown outcome `lookup` reads the user's recent
posts and matches the text (URLs compared loosely, since X rewrites them to t.co).
Thread parts already posted are kept in publish_state["x_posted"], so a retry continues
the chain instead of starting a second one.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from pathlib import Path
from typing import Any

import httpx

from aigrowth.platforms import PLATFORM_LABELS
from aigrowth.social.connectors.base import (
    AccountMetrics,
    AccountRef,
    ConnectedAccount,
    Connector,
    ConnectRequest,
    DuplicateError,
    Media,
    Metrics,
    PermanentError,
    PublishContext,
    PublishResult,
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

SCOPES = "tweet.read tweet.write users.read offline.access media.write"
_URL = re.compile(r"https?://\S+")


def raise_for_x(resp: httpx.Response, *, what: str) -> None:
    """A create call's answer: X's 403 "duplicate content" → DuplicateError, the rest
    as usual (a 5xx after sending is an unknown outcome)."""
    if resp.status_code == 403:
        _code, detail = error_detail(resp)
        if "duplicate" in detail.lower():
            raise DuplicateError(
                f"{what} failed (403): duplicate content, this account already posted the "
                "same text",
                status=403,
            )
    raise_for_response(resp, commit=True, what=what)


def _norm(text: str) -> str:
    """Text as compared after X rewrote URLs (t.co) and normalised whitespace."""
    text = unicodedata.normalize("NFC", text)
    text = _URL.sub("<url>", text)
    return " ".join(text.split())


class XConnector(Connector):
    platform = "x"
    label = PLATFORM_LABELS[platform]
    required_settings = ("x_client_id",)
    register_url = "https://developer.x.com/en/portal/dashboard"

    # ------------------------------------------------------------------ OAuth
    @property
    def api(self) -> str:
        return self.settings.x_api_base.rstrip("/")

    def _oauth(self, redirect_uri: str = "", token: dict[str, Any] | None = None) -> Any:
        s = self.settings
        return oauth_client(
            s.x_client_id,
            s.x_client_secret,
            redirect_uri=redirect_uri,
            scope=SCOPES,
            # Confidential clients authenticate with HTTP Basic; public ones send client_id.
            token_endpoint_auth_method="client_secret_basic" if s.x_client_secret else "none",
            pkce=True,
            token=token,
        )

    def begin_connect(self, req: ConnectRequest) -> str:
        with self._oauth(req.redirect_uri) as client:
            url: str
            url, _ = client.create_authorization_url(
                self.settings.x_auth_url, state=req.state, code_verifier=req.code_verifier
            )
        return url

    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        with self._oauth(req.redirect_uri) as client:
            token = oauth_token(
                client,
                f"{self.api}/2/oauth2/token",
                what="X sign-in",
                code=code,
                code_verifier=req.code_verifier,
            )
        tokens = token_set_from_oauth(token)
        with self.client(self.api) as http:
            me = send(
                http,
                "GET",
                "/2/users/me",
                params={"user.fields": "profile_image_url"},
                headers=self._bearer(tokens.access_token),
                what="X profile",
            ).json()["data"]
        return [
            ConnectedAccount(
                account_id=str(me["id"]),
                handle=me.get("username", ""),
                display_name=me.get("name", ""),
                avatar_url=me.get("profile_image_url", ""),
                tokens=tokens,
            )
        ]

    def refresh(self, account: AccountRef) -> TokenSet:
        with self._oauth() as client:
            token = oauth_token(
                client,
                f"{self.api}/2/oauth2/token",
                what="X token refresh",
                refresh_token=account.refresh_token,
            )
        return token_set_from_oauth(token)

    def revoke(self, account: AccountRef) -> bool:
        with self._oauth() as client:
            for token, hint in (
                (account.refresh_token, "refresh_token"),
                (account.access_token, "access_token"),
            ):
                if token:
                    resp = client.revoke_token(
                        f"{self.api}/2/oauth2/revoke", token=token, token_type_hint=hint
                    )
                    if resp.status_code >= 400:
                        raise PermanentError(f"X revocation failed ({resp.status_code})")
        return True

    # ------------------------------------------------------------------ posts
    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _upload(self, http: Any, ctx: PublishContext, media: Media) -> str:
        if media.path:
            data = Path(media.path).read_bytes()
            name = Path(media.path).name
        else:
            data = send(http, "GET", media.url, what="download media").content
            name = media.url.rsplit("/", 1)[-1] or "image"
        mime = media.mime_type or mimetypes.guess_type(name)[0] or "image/jpeg"
        category = "tweet_video" if mime.startswith("video/") else "tweet_image"
        resp = send(
            http,
            "POST",
            "/2/media/upload",
            headers=self._bearer(ctx.account.access_token),
            files={"media": (name, data, mime)},
            data={"media_category": category},
            what="X media upload",
        )
        media_id = str(resp.json()["data"]["id"])
        if media.alt:
            send(
                http,
                "POST",
                "/2/media/metadata",
                headers=self._bearer(ctx.account.access_token),
                json={"id": media_id, "metadata": {"alt_text": {"text": media.alt[:1000]}}},
                what="X alt text",
            )
        return media_id

    def _parts(self, ctx: PublishContext) -> list[str]:
        parts = [ctx.full_text, *ctx.thread]
        return [unicodedata.normalize("NFC", p) for p in parts]

    def publish(self, ctx: PublishContext) -> PublishResult:
        parts = self._parts(ctx)
        posted: list[str] = list(ctx.publish_state.get("x_posted") or [])
        with self.client(self.api) as http:
            media_ids: list[str] = list(ctx.publish_state.get("x_media_ids") or [])
            if ctx.media and not media_ids and not posted:
                media_ids = [self._upload(http, ctx, m) for m in ctx.media]
                ctx.remember(x_media_ids=media_ids)
            for index in range(len(posted), len(parts)):
                body: dict[str, Any] = {"text": parts[index]}
                if index == 0 and media_ids:
                    body["media"] = {"media_ids": media_ids}
                if index > 0:
                    body["reply"] = {"in_reply_to_tweet_id": posted[-1]}
                what = "X post" if index == 0 else f"X thread part {index + 1}"
                ctx.before_create()
                resp = send(
                    http,
                    "POST",
                    "/2/tweets",
                    commit=True,
                    check=False,
                    json=body,
                    headers=self._bearer(ctx.account.access_token),
                    what=what,
                )
                raise_for_x(resp, what=what)
                posted.append(str(resp.json()["data"]["id"]))
                ctx.remember(x_posted=posted)
        return self._result(ctx, posted)

    def _result(self, ctx: PublishContext, posted: list[str]) -> PublishResult:
        handle = ctx.account.handle or "i"
        root = posted[0]
        return PublishResult(
            remote_id=root,
            url=f"https://x.com/{handle}/status/{root}",
            extra={"thread_ids": posted},
        )

    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        parts = self._parts(ctx)
        posted: list[str] = list(ctx.publish_state.get("x_posted") or [])
        if len(posted) >= len(parts):
            return self._result(ctx, posted)
        with self.client(self.api) as http:
            resp = send(
                http,
                "GET",
                f"/2/users/{ctx.account.account_id}/tweets",
                params={
                    "max_results": 50,
                    "tweet.fields": "created_at,referenced_tweets",
                    "exclude": "retweets",
                },
                headers=self._bearer(ctx.account.access_token),
                what="X recent posts",
            )
        body = resp.json()
        if "data" not in body and (body.get("errors") or "meta" not in body):
            # A 200 that is not a timeline read (partial errors): we cannot tell.
            raise RetryableError(f"X recent posts could not be read: {str(body)[:200]}")
        timeline = body.get("data") or []
        changed = False
        for index in range(len(posted), len(parts)):
            want = _norm(parts[index])
            match = None
            for tweet in timeline:
                if _norm(tweet.get("text", "")) != want:
                    continue
                if index > 0:
                    refs = tweet.get("referenced_tweets") or []
                    if not any(r.get("id") == posted[-1] for r in refs):
                        continue
                match = str(tweet["id"])
                break
            if match is None:
                break
            posted.append(match)
            changed = True
        if changed:
            ctx.remember(x_posted=posted)
        if len(posted) >= len(parts):
            return self._result(ctx, posted)
        return None  # absent (or partly posted: publish continues the chain)

    def fetch_account_metrics(self, account: AccountRef) -> AccountMetrics:
        """Followers, following and post count from the user's public_metrics."""
        with self.client(self.api) as http:
            me = send(
                http,
                "GET",
                "/2/users/me",
                params={"user.fields": "public_metrics"},
                headers=self._bearer(account.access_token),
                what="X account metrics",
            ).json()["data"]
        pub = me.get("public_metrics") or {}
        return AccountMetrics(
            followers=as_int(pub.get("followers_count")),
            following=as_int(pub.get("following_count")),
            posts=as_int(pub.get("tweet_count")),
            raw=pub,
        )

    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        with self.client(self.api) as http:
            headers = self._bearer(ctx.account.access_token)
            resp = send(
                http,
                "GET",
                "/2/tweets",
                params={"ids": remote_id, "tweet.fields": "public_metrics,non_public_metrics"},
                headers=headers,
                what="X metrics",
                check=False,
            )
            if resp.status_code == 403:  # older than 30 days or not ours: public only
                resp = send(
                    http,
                    "GET",
                    "/2/tweets",
                    params={"ids": remote_id, "tweet.fields": "public_metrics"},
                    headers=headers,
                    what="X metrics",
                )
            else:
                raise_for_response(resp, what="X metrics")
        body = resp.json()
        data = body.get("data") or []
        if not data:
            raise PermanentError(f"X post {remote_id} not found", status=404, code="not_found")
        tweet = data[0]
        pub = tweet.get("public_metrics") or {}
        private = tweet.get("non_public_metrics")
        impressions = (private or {}).get("impression_count", pub.get("impression_count"))
        return Metrics(
            impressions=impressions,
            likes=pub.get("like_count"),
            comments=pub.get("reply_count"),
            shares=pub.get("retweet_count"),
            quotes=pub.get("quote_count"),
            saves=pub.get("bookmark_count"),
            clicks=private.get("url_link_clicks") if private else None,
            raw=tweet,
        )


CONNECTOR_CLASS = XConnector
