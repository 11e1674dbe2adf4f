"""Instagram professional accounts through Facebook Login (Graph API content publishing).

Connect: the Facebook Login dialog with the Instagram scopes → long-lived user token →
``/me/accounts?fields=...,instagram_business_account{...}``: one connected account per
Instagram professional account linked to a Page. Calls use that Page's token (no
expiry of its own, no refresh; 190 → reconnect).

Publish is two-step (PLATFORMS.md): ``POST /{ig-user-id}/media`` (image_url + caption)
→ container; wait for ``status_code`` FINISHED; ``POST /{ig-user-id}/media_publish``.
The container id is remembered before publishing and checked on every later attempt,
so a publish whose answer was lost is found (container PUBLISHED) rather than repeated.
An image is required and its URL must be publicly reachable (Instagram downloads it).
"""

from __future__ import annotations

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
    RetryableError,
    TokenSet,
)
from aigrowth.social.connectors.meta_common import (
    ContainerFlow,
    facebook_login_url,
    facebook_pages,
    facebook_user_token,
    graph_base,
    graph_call,
    revoke_facebook_login,
    same_text,
)

SCOPES = [
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
]
STATE_KEY = "ig_container_id"
METRICS = "views,reach,likes,comments,shares,saved"


class InstagramConnector(Connector):
    platform = "instagram"
    label = "Instagram"
    uses_pkce = False
    required_settings = ("meta_app_id", "meta_app_secret")
    register_url = "https://developers.facebook.com/apps/"
    login_family = "meta"
    max_media = 1
    # Container processing: poll every `poll_interval` s for at most `poll_timeout` s.
    poll_interval = 2.0
    poll_timeout = 60.0

    @property
    def api(self) -> str:
        return graph_base(self.settings)

    # ------------------------------------------------------------------ connect
    def begin_connect(self, req: ConnectRequest) -> str:
        return facebook_login_url(
            self.settings, redirect_uri=req.redirect_uri, state=req.state, scopes=SCOPES
        )

    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        s = self.settings
        with self.client(self.api) as http:
            user_token, _ = facebook_user_token(
                http, s, code=code, redirect_uri=req.redirect_uri, label=self.label
            )
            me, pages = facebook_pages(
                http,
                s,
                user_token=user_token,
                label=self.label,
                fields="id,name,access_token,"
                "instagram_business_account{id,username,name,profile_picture_url}",
            )
        accounts = []
        for page in pages:
            ig = page.get("instagram_business_account")
            if not ig or not page.get("access_token"):
                continue
            accounts.append(
                ConnectedAccount(
                    account_id=str(ig["id"]),
                    handle=str(ig.get("username", "")),
                    display_name=str(ig.get("name") or ig.get("username") or ""),
                    avatar_url=str(ig.get("profile_picture_url", "")),
                    account_type="profile",
                    tokens=TokenSet(
                        access_token=str(page["access_token"]), scopes=",".join(SCOPES)
                    ),
                    meta={
                        "page_id": str(page["id"]),
                        "page_name": page.get("name", ""),
                        "user_id": str(me.get("id", "")),
                    },
                )
            )
        if not accounts:
            raise PermanentError(
                "No Instagram professional account found. Switch the Instagram account to a "
                "Business or Creator account, link it to a Facebook Page, then connect again."
            )
        return accounts

    # No per-account revocation: Meta grants the app once per person, and that grant
    # also serves their other Pages and Instagram accounts. The service calls
    # `revoke_login` when the last account from that login is disconnected.

    def revoke_login(self, account: AccountRef) -> bool:
        """Remove the app from the person's Facebook account (every Page and Instagram
        account connected through that login stops working)."""
        user_id = account.meta.get("user_id")
        if not user_id:
            return False
        with self.client(self.api) as http:
            revoke_facebook_login(http, self.settings, user_id=str(user_id), label=self.label)
        return True

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
                "Instagram posts from this app take one image (carousels are not supported "
                "yet); keep one image."
            )
        return problems

    # ------------------------------------------------------------------ publish
    def _call(self, http: Any, method: str, path: str, ctx: PublishContext, **kw: Any) -> dict:
        return graph_call(
            http,
            method,
            path,
            token=ctx.account.access_token,
            label=self.label,
            app_secret=self.settings.meta_app_secret,
            **kw,
        )

    def _flow(self, http: Any, ctx: PublishContext) -> ContainerFlow:
        ig = ctx.account.account_id
        caption = ctx.full_text

        def create() -> str:
            if not ctx.media or not ctx.media[0].url:
                raise PermanentError(
                    "Instagram posts need an image with a public URL; attach one to this post."
                )
            body = self._call(
                http,
                "POST",
                f"/{ig}/media",
                ctx,
                what="Instagram media container",
                data={"image_url": ctx.media[0].url, "caption": caption},
            )
            return str(body["id"])

        def status(container_id: str) -> str:
            body = self._call(
                http,
                "GET",
                f"/{container_id}",
                ctx,
                what="Instagram container status",
                params={"fields": "status_code,status"},
            )
            return str(body.get("status_code") or "")

        def publish(container_id: str) -> PublishResult:
            self._check_quota(http, ctx)
            body = self._call(
                http,
                "POST",
                f"/{ig}/media_publish",
                ctx,
                what="Instagram publish",
                commit=True,
                data={"creation_id": container_id},
            )
            media_id = str(body["id"])
            return PublishResult(remote_id=media_id, url=self._permalink(http, ctx, media_id))

        def find(container_id: str) -> PublishResult | None:
            return self._find_recent(http, ctx, caption)

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

    def _check_quota(self, http: Any, ctx: PublishContext) -> None:
        """Instagram's rolling 24 h publishing quota, read at run time."""
        body = self._call(
            http,
            "GET",
            f"/{ctx.account.account_id}/content_publishing_limit",
            ctx,
            what="Instagram publishing quota",
            params={"fields": "quota_usage,config"},
        )
        item = (body.get("data") or [{}])[0]
        used = int(item.get("quota_usage") or 0)
        total = int((item.get("config") or {}).get("quota_total") or 0)
        if total and used >= total:
            raise RetryableError(
                f"Instagram's limit of {total} posts per 24 hours is reached for this account.",
                retry_after=3600.0,
                code="quota",
            )

    def _permalink(self, http: Any, ctx: PublishContext, media_id: str) -> str:
        """The post's URL; the post is already live, so a failure here costs only the URL."""
        try:
            body = self._call(
                http,
                "GET",
                f"/{media_id}",
                ctx,
                what="Instagram permalink",
                params={"fields": "permalink"},
            )
        except Exception:  # never turn a published post into a failure
            return ""
        return str(body.get("permalink") or "")

    def _find_recent(self, http: Any, ctx: PublishContext, caption: str) -> PublishResult | None:
        body = self._call(
            http,
            "GET",
            f"/{ctx.account.account_id}/media",
            ctx,
            what="Instagram recent posts",
            params={"fields": "id,caption,permalink,timestamp", "limit": 25},
        )
        for media in body.get("data") or []:
            if same_text(media.get("caption"), caption):
                return PublishResult(
                    remote_id=str(media["id"]),
                    url=str(media.get("permalink") or ""),
                    extra={"reconciled": True},
                )
        return None

    def publish(self, ctx: PublishContext) -> PublishResult:
        with self.client(self.api) as http:
            return self._flow(http, ctx).run(ctx)

    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        with self.client(self.api) as http:
            return self._flow(http, ctx).lookup(ctx)

    # ------------------------------------------------------------------ metrics
    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        with self.client(self.api) as http:
            body = self._call(
                http,
                "GET",
                f"/{remote_id}/insights",
                ctx,
                what="Instagram insights",
                params={"metric": METRICS},
            )
        values = {
            item.get("name"): ((item.get("values") or [{}])[0]).get("value")
            for item in body.get("data") or []
        }
        return Metrics(
            impressions=_int(values.get("views")),
            reach=_int(values.get("reach")),
            likes=_int(values.get("likes")),
            comments=_int(values.get("comments")),
            shares=_int(values.get("shares")),
            saves=_int(values.get("saved")),
            clicks=None,  # Instagram has no per-post link clicks
            raw=values,
        )


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


CONNECTOR_CLASS = InstagramConnector
