"""Facebook Pages (Graph API): Facebook Login → page tokens, page posts, insights.

Connect: dialog → code → short-lived user token → ``fb_exchange_token`` (~60 days) →
``GET /me/accounts``: one connected account per Page, each with its own page token.
Page tokens made from a long-lived user token do not expire on their own, so there is
no refresh; if the person removes the app or changes their password Graph answers 190
and the account needs reconnecting. The user token itself is not stored.

Publish: ``POST /{page-id}/feed`` with the page token → ``{"id": "{page}_{post}"}``.
Images are uploaded first as unpublished photos (``published=false``, a retryable
prepare step whose ids are remembered) and attached with ``attached_media``. Facebook
has no idempotency key: after an unknown outcome ``lookup`` reads the Page's recent
posts and matches the text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
    PublishResult,
    RetryableError,
    TokenSet,
    as_int,
    send,
)
from aigrowth.social.connectors.meta_common import (
    FacebookLoginConnector,
    insight_values,
    raise_for_graph,
    same_text,
)

SCOPES = ["pages_show_list", "pages_manage_posts", "pages_read_engagement", "read_insights"]
# Only tasks that allow creating content make a Page publishable.
_PUBLISH_TASKS = {"CREATE_CONTENT", "MANAGE"}
LOOKUP_WINDOW = timedelta(hours=24)


class FacebookConnector(FacebookLoginConnector):
    platform = "facebook"
    label = PLATFORM_LABELS[platform]
    max_media = 10
    oauth_scopes = SCOPES
    page_fields = "id,name,access_token,tasks,picture{url}"

    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        me, pages = self._login(req, code)
        accounts = []
        for page in pages:
            tasks = set(page.get("tasks") or _PUBLISH_TASKS)
            if not page.get("access_token") or not tasks & _PUBLISH_TASKS:
                continue
            picture = ((page.get("picture") or {}).get("data") or {}).get("url", "")
            accounts.append(
                ConnectedAccount(
                    account_id=str(page["id"]),
                    handle=str(page.get("name", "")),
                    display_name=str(page.get("name", "")),
                    avatar_url=picture,
                    account_type="page",
                    tokens=TokenSet(
                        access_token=str(page["access_token"]), scopes=",".join(SCOPES)
                    ),
                    meta={"user_id": str(me.get("id", "")), "user_name": me.get("name", "")},
                )
            )
        if not accounts:
            raise PermanentError(
                "No Facebook Page to publish to: this login manages no Page (or did not "
                "grant access to one). Create a Page or pick one when connecting."
            )
        return accounts

    # ------------------------------------------------------------------ publish
    def _upload_photos(self, http: Any, ctx: PublishContext) -> list[str]:
        """Unpublished photos for ``attached_media`` (ids kept across attempts)."""
        done: list[str] = list(ctx.publish_state.get("fb_photo_ids") or [])
        page_id = ctx.account.account_id
        for media in ctx.media[len(done) :]:
            if media.url:
                body = self._call(
                    http,
                    "POST",
                    f"/{page_id}/photos",
                    ctx,
                    what="Facebook photo upload",
                    data={"url": media.url, "published": "false", "alt_text_custom": media.alt},
                )
            elif media.path:
                resp = send(
                    http,
                    "POST",
                    f"/{page_id}/photos",
                    what="Facebook photo upload",
                    check=False,
                    headers={"Authorization": f"Bearer {ctx.account.access_token}"},
                    data={"published": "false", "alt_text_custom": media.alt},
                    files={"source": (Path(media.path).name, Path(media.path).read_bytes())},
                )
                raise_for_graph(resp, label=self.label, what="Facebook photo upload")
                body = resp.json()
            else:
                raise PermanentError("An attached image has neither a URL nor a file.")
            done.append(str(body["id"]))
            ctx.remember(fb_photo_ids=done)
        return done

    def publish(self, ctx: PublishContext) -> PublishResult:
        page_id = ctx.account.account_id
        with self.client(self.api) as http:
            photo_ids = self._upload_photos(http, ctx) if ctx.media else []
            data: dict[str, Any] = {"message": ctx.full_text}
            if ctx.link and not photo_ids:
                data["link"] = ctx.link
            for i, photo in enumerate(photo_ids):
                data[f"attached_media[{i}]"] = json.dumps({"media_fbid": photo})
            ctx.before_create()
            body = self._call(
                http, "POST", f"/{page_id}/feed", ctx, what="Facebook post", commit=True, data=data
            )
        post_id = str(body["id"])
        return PublishResult(remote_id=post_id, url=self._url(post_id))

    @staticmethod
    def _url(post_id: str) -> str:
        page, _, post = post_id.partition("_")
        return (
            f"https://www.facebook.com/{page}/posts/{post}"
            if post
            else (f"https://www.facebook.com/{post_id}")
        )

    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        """The Page's recent posts with the same text (newest first), else None."""
        page_id = ctx.account.account_id
        since = datetime.now(UTC) - LOOKUP_WINDOW
        with self.client(self.api) as http:
            body = self._call(
                http,
                "GET",
                f"/{page_id}/published_posts",
                ctx,
                what="Facebook recent posts",
                params={"fields": "id,message,created_time,permalink_url", "limit": 25},
            )
        if not isinstance(body.get("data"), list):  # not a list of posts: cannot tell
            raise RetryableError("Facebook recent posts could not be read (no list of posts).")
        for post in body["data"]:
            created = _parse_time(post.get("created_time"))
            if created is not None and created < since:
                continue
            if same_text(post.get("message"), ctx.full_text):
                post_id = str(post["id"])
                return PublishResult(
                    remote_id=post_id,
                    url=str(post.get("permalink_url") or self._url(post_id)),
                    extra={"reconciled": True},
                )
        return None

    # ------------------------------------------------------------------ metrics
    def fetch_account_metrics(self, account: AccountRef) -> AccountMetrics:
        """The Page's followers (fan_count, "likes", when followers_count is absent)."""
        ctx = PublishContext(account=account, text="")
        with self.client(self.api) as http:
            page = self._call(
                http,
                "GET",
                f"/{account.account_id}",
                ctx,
                what="Facebook Page followers",
                params={"fields": "followers_count,fan_count"},
            )
        followers = as_int(page.get("followers_count"))
        if followers is None:
            followers = as_int(page.get("fan_count"))
        return AccountMetrics(followers=followers, raw=page)

    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        with self.client(self.api) as http:
            counts = self._call(
                http,
                "GET",
                f"/{remote_id}",
                ctx,
                what="Facebook post counts",
                params={
                    "fields": "shares,comments.summary(true).limit(0),"
                    "reactions.summary(true).limit(0)"
                },
            )
            try:
                insights = self._call(
                    http,
                    "GET",
                    f"/{remote_id}/insights",
                    ctx,
                    what="Facebook post insights",
                    params={"metric": "post_total_media_view_unique,post_clicks"},
                )
            except PermanentError:
                # Insights need read_insights and a Page with enough followers; the
                # counts above still stand, the missing figures stay NULL.
                insights = {}
        values = insight_values(insights)
        views = as_int(values.get("post_total_media_view_unique"))
        return Metrics(
            # The unique-views metric replaced the retired *_impressions_unique ones.
            impressions=views,
            reach=views,
            clicks=as_int(values.get("post_clicks")),
            likes=_summary_total(counts, "reactions"),
            comments=_summary_total(counts, "comments"),
            # Graph omits "shares" when nobody shared: that is a zero, not a missing figure.
            shares=as_int((counts.get("shares") or {}).get("count", 0)),
            raw={"counts": counts, "insights": values},
        )


def _summary_total(counts: dict[str, Any], edge: str) -> int | None:
    return as_int(((counts.get(edge) or {}).get("summary") or {}).get("total_count"))


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


CONNECTOR_CLASS = FacebookConnector
