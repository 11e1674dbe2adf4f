"""Mastodon (and compatible servers): per-instance app, OAuth, Idempotency-Key.

- The app registers itself once per instance (`register_app`; the service caches the
  client in mastodon_apps), then a normal OAuth code flow (PKCE S256, honoured from
  Mastodon 4.3; older servers ignore it).
- Tokens do not expire and there is no refresh: a 401 means reconnect.
- Every create carries an `Idempotency-Key` stored before the call; the server
  remembers it for about an hour, so a retry after an unknown outcome returns the same
  status instead of a second one. `lookup` also matches recent statuses by text.
- The instance's character limit (`/api/v2/instance`) is kept in account.meta.
"""

from __future__ import annotations

import html
import mimetypes
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any

from aigrowth.platforms import PLATFORM_LABELS
from aigrowth.settings import get_settings
from aigrowth.social.connectors.base import (
    AccountMetrics,
    AccountRef,
    ConnectedAccount,
    Connector,
    ConnectRequest,
    Media,
    Metrics,
    PermanentError,
    PublishContext,
    PublishResult,
    RetryableError,
    as_int,
    oauth_client,
    oauth_token,
    send,
    token_set_from_oauth,
)

SCOPES = "write:statuses write:media profile"
_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"https?://\S+")


def _plain(content_html: str) -> str:
    text = content_html.replace("<br />", "\n").replace("<br>", "\n").replace("</p><p>", "\n\n")
    return html.unescape(_TAG.sub("", text))


def _norm(text: str) -> str:
    return " ".join(_URL.sub("<url>", unicodedata.normalize("NFC", text)).split())


class MastodonConnector(Connector):
    platform = "mastodon"
    label = PLATFORM_LABELS[platform]
    needs_instance = True
    user_servers = True
    required_settings = ()
    register_url = "https://joinmastodon.org/servers"

    # ------------------------------------------------------------------ connect
    def register_app(self, instance_url: str, redirect_uri: str) -> tuple[str, str]:
        with self.client(instance_url) as http:
            resp = send(
                http,
                "POST",
                "/api/v1/apps",
                json={
                    "client_name": "AI Growth Manager",
                    "redirect_uris": redirect_uri,
                    "scopes": SCOPES,
                    "website": get_settings().app_url,
                },
                what="Mastodon app registration",
            )
        body = resp.json()
        return str(body["client_id"]), str(body["client_secret"])

    def _oauth(self, req: ConnectRequest | AccountRef, redirect_uri: str = "") -> Any:
        return oauth_client(
            req.client_id,
            req.client_secret,
            redirect_uri=redirect_uri,
            scope=SCOPES,
            token_endpoint_auth_method="client_secret_post",
            pkce=True,
            guarded=True,
        )

    def begin_connect(self, req: ConnectRequest) -> str:
        with self._oauth(req, req.redirect_uri) as client:
            url: str
            url, _ = client.create_authorization_url(
                f"{req.instance_url}/oauth/authorize",
                state=req.state,
                code_verifier=req.code_verifier,
            )
        return url

    def instance_limits(self, instance_url: str) -> dict[str, Any]:
        """Limits from /api/v2/instance (500 characters when the server does not say)."""
        try:
            with self.client(instance_url) as http:
                body = send(http, "GET", "/api/v2/instance", what="Mastodon instance").json()
        except (RetryableError, PermanentError):
            return {"max_characters": 500, "url_length": 23}
        statuses = (body.get("configuration") or {}).get("statuses") or {}
        return {
            "max_characters": int(statuses.get("max_characters") or 500),
            "max_media": int(statuses.get("max_media_attachments") or 4),
            "url_length": int(statuses.get("characters_reserved_per_url") or 23),
        }

    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        with self._oauth(req, req.redirect_uri) as client:
            token = oauth_token(
                client,
                f"{req.instance_url}/oauth/token",
                what="Mastodon sign-in",
                code=code,
                code_verifier=req.code_verifier,
            )
        tokens = token_set_from_oauth(token)
        tokens.expires_at = None  # Mastodon tokens do not expire
        with self.client(req.instance_url) as http:
            me = send(
                http,
                "GET",
                "/api/v1/accounts/verify_credentials",
                headers={"Authorization": f"Bearer {tokens.access_token}"},
                what="Mastodon profile",
            ).json()
        host = req.instance_url.split("://", 1)[-1]
        return [
            ConnectedAccount(
                account_id=str(me["id"]),
                handle=f"{me.get('username', '')}@{host}",
                display_name=me.get("display_name") or me.get("username", ""),
                avatar_url=me.get("avatar", ""),
                instance_url=req.instance_url,
                tokens=tokens,
                meta=self.instance_limits(req.instance_url),
            )
        ]

    def revoke(self, account: AccountRef) -> bool:
        with self.client(account.instance_url) as http:
            send(
                http,
                "POST",
                "/oauth/revoke",
                data={
                    "client_id": account.client_id,
                    "client_secret": account.client_secret,
                    "token": account.access_token,
                },
                what="Mastodon revoke",
            )
        return True

    # ------------------------------------------------------------------ posts
    def _headers(self, ctx: PublishContext) -> dict[str, str]:
        return {"Authorization": f"Bearer {ctx.account.access_token}"}

    def _upload(self, http: Any, ctx: PublishContext, media: Media) -> str:
        if media.path:
            data, name = Path(media.path).read_bytes(), Path(media.path).name
        else:
            with self.client() as dl:
                data = send(dl, "GET", media.url, what="download media").content
            name = media.url.rsplit("/", 1)[-1] or "image"
        mime = media.mime_type or mimetypes.guess_type(name)[0] or "image/jpeg"
        resp = send(
            http,
            "POST",
            "/api/v2/media",
            headers=self._headers(ctx),
            files={"file": (name, data, mime)},
            data={"description": media.alt[:1500]} if media.alt else {},
            what="Mastodon media upload",
        )
        return str(resp.json()["id"])

    def _parts(self, ctx: PublishContext) -> list[str]:
        return [ctx.full_text, *ctx.thread]

    def _result(self, posted: list[dict[str, str]]) -> PublishResult:
        return PublishResult(
            remote_id=posted[0]["id"], url=posted[0]["url"], extra={"thread": posted}
        )

    def publish(self, ctx: PublishContext) -> PublishResult:
        parts = self._parts(ctx)
        key = ctx.publish_state.get("idempotency_key") or ctx.idempotency_key or str(uuid.uuid4())
        if ctx.publish_state.get("idempotency_key") != key:
            ctx.remember(idempotency_key=key)  # stored before the call, stable on retries
        posted: list[dict[str, str]] = list(ctx.publish_state.get("masto_posted") or [])
        with self.client(ctx.account.instance_url) as http:
            media_ids: list[str] = list(ctx.publish_state.get("masto_media_ids") or [])
            if ctx.media and not media_ids and not posted:
                media_ids = [self._upload(http, ctx, m) for m in ctx.media]
                ctx.remember(masto_media_ids=media_ids)
            for index in range(len(posted), len(parts)):
                body: dict[str, Any] = {"status": parts[index], "visibility": "public"}
                if ctx.langs:
                    body["language"] = ctx.langs[0]
                if index == 0 and media_ids:
                    body["media_ids"] = media_ids
                if index > 0:
                    body["in_reply_to_id"] = posted[-1]["id"]
                ctx.before_create()
                resp = send(
                    http,
                    "POST",
                    "/api/v1/statuses",
                    commit=True,
                    json=body,
                    headers={
                        **self._headers(ctx),
                        "Idempotency-Key": key if index == 0 else f"{key}-{index}",
                    },
                    what="Mastodon post" if index == 0 else f"Mastodon thread part {index + 1}",
                )
                status = resp.json()
                posted.append({"id": str(status["id"]), "url": status.get("url") or ""})
                ctx.remember(masto_posted=posted)
        return self._result(posted)

    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        parts = self._parts(ctx)
        posted: list[dict[str, str]] = list(ctx.publish_state.get("masto_posted") or [])
        if len(posted) >= len(parts):
            return self._result(posted)
        with self.client(ctx.account.instance_url) as http:
            recent = send(
                http,
                "GET",
                f"/api/v1/accounts/{ctx.account.account_id}/statuses",
                params={"limit": 40, "exclude_reblogs": "true"},
                headers=self._headers(ctx),
                what="Mastodon recent posts",
            ).json()
        if not isinstance(recent, list):  # not a list of statuses: cannot tell
            raise RetryableError("Mastodon recent posts could not be read (no list of posts).")
        changed = False
        for index in range(len(posted), len(parts)):
            want = _norm(parts[index])
            match = next(
                (
                    s
                    for s in recent
                    if _norm(_plain(s.get("content", ""))) == want
                    and (index == 0 or s.get("in_reply_to_id") == posted[-1]["id"])
                ),
                None,
            )
            if match is None:
                break
            posted.append({"id": str(match["id"]), "url": match.get("url") or ""})
            changed = True
        if changed:
            ctx.remember(masto_posted=posted)
        return self._result(posted) if len(posted) >= len(parts) else None

    def fetch_account_metrics(self, account: AccountRef) -> AccountMetrics:
        """Followers/following/statuses from verify_credentials (no views on Mastodon)."""
        with self.client(account.instance_url) as http:
            me = send(
                http,
                "GET",
                "/api/v1/accounts/verify_credentials",
                headers={"Authorization": f"Bearer {account.access_token}"},
                what="Mastodon account metrics",
            ).json()
        return AccountMetrics(
            followers=as_int(me.get("followers_count")),
            following=as_int(me.get("following_count")),
            posts=as_int(me.get("statuses_count")),
            raw={k: me.get(k) for k in ("followers_count", "following_count", "statuses_count")},
        )

    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        with self.client(ctx.account.instance_url) as http:
            s = send(
                http,
                "GET",
                f"/api/v1/statuses/{remote_id}",
                headers=self._headers(ctx),
                what="Mastodon metrics",
            ).json()
        return Metrics(
            impressions=None,
            clicks=None,
            likes=s.get("favourites_count"),
            shares=s.get("reblogs_count"),
            comments=s.get("replies_count"),
            raw={k: s.get(k) for k in ("favourites_count", "reblogs_count", "replies_count")},
        )


CONNECTOR_CLASS = MastodonConnector
