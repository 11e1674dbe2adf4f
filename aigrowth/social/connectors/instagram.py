"""Instagram professional accounts through Facebook Login (Graph API content publishing).

Connect: the Facebook Login dialog with the Instagram scopes → long-lived user token →
``/me/accounts?fields=...,instagram_business_account{...}``: one connected account per
Instagram professional account linked to a Page. Calls use that Page's token (no
expiry of its own, no refresh; 190 → reconnect).

Publish is two-step (PLATFORMS.md, ``meta_common.ContainerConnector``):
``POST /{ig-user-id}/media`` (image_url + caption) → container; wait for
``status_code`` FINISHED; ``POST /{ig-user-id}/media_publish``. The container id is
remembered before publishing and checked on every later attempt, so a publish whose
answer was lost is found (container PUBLISHED) rather than repeated. An image is
required and its URL must be publicly reachable (Instagram downloads it).
"""

from __future__ import annotations

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
    RetryableError,
    TokenSet,
    as_int,
)
from aigrowth.social.connectors.meta_common import (
    ContainerConnector,
    FacebookLoginConnector,
    insight_values,
)

SCOPES = [
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
]
METRICS = "views,reach,likes,comments,shares,saved"


class InstagramConnector(ContainerConnector, FacebookLoginConnector):
    platform = "instagram"
    label = PLATFORM_LABELS[platform]
    oauth_scopes = SCOPES
    page_fields = (
        "id,name,access_token,instagram_business_account{id,username,name,profile_picture_url}"
    )
    state_key = "ig_container_id"
    container_edge = "media"
    publish_edge = "media_publish"
    quota_edge = "content_publishing_limit"
    status_fields = "status_code,status"
    text_field = "caption"

    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        me, pages = self._login(req, code)
        accounts = [
            ConnectedAccount(
                account_id=str(ig["id"]),
                handle=str(ig.get("username", "")),
                display_name=str(ig.get("name") or ig.get("username") or ""),
                avatar_url=str(ig.get("profile_picture_url", "")),
                tokens=TokenSet(access_token=str(page["access_token"]), scopes=",".join(SCOPES)),
                meta={
                    "page_id": str(page["id"]),
                    "page_name": page.get("name", ""),
                    "user_id": str(me.get("id", "")),
                },
            )
            for page in pages
            if (ig := page.get("instagram_business_account")) and page.get("access_token")
        ]
        if not accounts:
            raise PermanentError(
                "No Instagram professional account found. Switch the Instagram account to a "
                "Business or Creator account, link it to a Facebook Page, then connect again."
            )
        return accounts

    # ------------------------------------------------------------------ publish
    def container_data(self, ctx: PublishContext) -> dict[str, Any]:
        if not ctx.media or not ctx.media[0].url:
            raise PermanentError(
                "Instagram posts need an image with a public URL; attach one to this post."
            )
        return {"image_url": ctx.media[0].url, "caption": ctx.full_text}

    def before_publish(self, http: Any, ctx: PublishContext) -> None:
        """Instagram's rolling 24 h publishing quota, read at run time."""
        used, total = self.publishing_quota(ctx, http)
        if total and used >= total:
            raise RetryableError(
                f"Instagram's limit of {total} posts per 24 hours is reached for this account.",
                retry_after=3600.0,
                code="quota",
            )

    # ------------------------------------------------------------------ metrics
    def fetch_account_metrics(self, account: AccountRef) -> AccountMetrics:
        """Followers and posts of the profile; yesterday's reach and profile views from
        its insights (missing insights permission leaves those NULL)."""
        ctx = PublishContext(account=account, text="")
        with self.client(self.api) as http:
            user = self._call(
                http,
                "GET",
                f"/{account.account_id}",
                ctx,
                what="Instagram followers",
                params={"fields": "followers_count,follows_count,media_count"},
            )
            try:  # account insights need a period; "day" gives the last full day
                daily = insight_values(
                    self._call(
                        http,
                        "GET",
                        f"/{account.account_id}/insights",
                        ctx,
                        what="Instagram account insights",
                        params={"metric": "reach,profile_views", "period": "day"},
                    )
                )
            except PermanentError:
                daily = {}
        return AccountMetrics(
            followers=as_int(user.get("followers_count")),
            following=as_int(user.get("follows_count")),
            posts=as_int(user.get("media_count")),
            reach=as_int(daily.get("reach")),
            profile_views=as_int(daily.get("profile_views")),
            raw={"user": user, "insights": daily},
        )

    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        values = self._insights(ctx, remote_id, METRICS)
        return Metrics(
            impressions=as_int(values.get("views")),
            reach=as_int(values.get("reach")),
            likes=as_int(values.get("likes")),
            comments=as_int(values.get("comments")),
            shares=as_int(values.get("shares")),
            saves=as_int(values.get("saved")),
            clicks=None,  # Instagram has no per-post link clicks
            raw=values,
        )


CONNECTOR_CLASS = InstagramConnector
