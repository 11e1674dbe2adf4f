"""What Facebook Pages, Instagram and Threads share: Graph API calls and error classes.

Graph answers most failures with HTTP 400 and a JSON body
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id", "is_transient"}}``,
so the *code* decides the class, not the status (PLATFORMS.md):

- 190 (token invalid; subcodes 458 app removed, 460 password changed, 463 expired,
  467 invalid) → reconnect: these tokens have no refresh grant that could help;
- 4 / 17 / 32 / 613 and 80001-80009 → throttled: retry after the wait given in
  ``X-Business-Use-Case-Usage`` (``estimated_time_to_regain_access``, minutes) or a
  default; 9 / 2207042 (Instagram daily publishing quota) likewise;
- 9007 (container not ready) → retry shortly: nothing was published;
- 1 / 2 or any 5xx → transient: unknown outcome for a commit call, else retryable;
- 506 duplicate, 368 blocked, 10 / 200-299 permission, 100 invalid parameter and the
  rest → permanent.

The two-step container flow (Instagram, Threads) lives here too: create a container,
save its id through ``ctx.remember`` before publishing, and on a later attempt reuse it
and check its status so a post is never published twice.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
import json
import time
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from aigrowth.social.connectors.base import (
    AccountRef,
    AuthError,
    Connector,
    ConnectRequest,
    DuplicateError,
    Media,
    PermanentError,
    PublishContext,
    PublishResult,
    ReconnectRequired,
    RetryableError,
    UnknownOutcomeError,
    oauth_client,
    send,
)

THROTTLE_CODES = {4, 17, 32, 613} | set(range(80001, 80010))
TRANSIENT_CODES = {1, 2}
PERMISSION_CODES = {10} | set(range(200, 300))
DEFAULT_THROTTLE_WAIT = 300.0
QUOTA_WAIT = 3600.0
NOT_READY_WAIT = 10.0

_REASONS_190 = {
    458: "the app was removed from the account",
    459: "the account is checkpointed (log in on the platform to fix it)",
    460: "the password was changed",
    463: "the access token expired",
    464: "the account is not confirmed",
    467: "the access token is no longer valid",
}


def graph_error_body(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else {}


def throttle_wait(headers: httpx.Headers) -> float:
    """Seconds until Graph lets us in again, from its usage headers (or a default)."""
    wait = 0.0
    raw = headers.get("x-business-use-case-usage")
    if raw:
        try:
            usage = json.loads(raw)
            for entries in usage.values():
                for entry in entries or []:
                    minutes = float(entry.get("estimated_time_to_regain_access") or 0)
                    wait = max(wait, minutes * 60)
        except (ValueError, AttributeError, TypeError):
            pass
    return wait or DEFAULT_THROTTLE_WAIT


def raise_for_graph(resp: httpx.Response, *, label: str, what: str, commit: bool = False) -> None:
    """Raise the right error class for a failed Graph (or Threads) answer."""
    status = resp.status_code
    if status < 400:
        return
    err = graph_error_body(resp)
    try:
        code = int(err.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    try:
        subcode = int(err.get("error_subcode") or 0)
    except (TypeError, ValueError):
        subcode = 0
    detail = str(err.get("error_user_msg") or err.get("message") or resp.reason_phrase)[:400]
    message = f"{what} failed: {detail}"
    tag = f"{code}/{subcode}" if subcode else str(code or status)

    if code == 190 or status == 401:
        reason = _REASONS_190.get(subcode, "the access token is no longer valid")
        raise ReconnectRequired(
            f"{label} refused the connection ({reason}); reconnect the account.",
            status=status,
            code=tag,
        )
    if code == 102:  # session key invalid: a fresh token may help
        raise AuthError(message, status=status, code=tag)
    if code == 9 or subcode == 2207042:
        raise RetryableError(
            f"{label} daily publishing limit reached.",
            retry_after=QUOTA_WAIT,
            status=status,
            code=tag,
        )
    if code in THROTTLE_CODES or status == 429:
        raise RetryableError(
            f"{label} rate limit reached ({detail}).",
            retry_after=throttle_wait(resp.headers),
            status=status,
            code=tag,
        )
    if code == 9007 and subcode == 2207027:
        raise RetryableError(message, retry_after=NOT_READY_WAIT, status=status, code=tag)
    if status >= 500 or code in TRANSIENT_CODES or err.get("is_transient"):
        if commit:
            raise UnknownOutcomeError(message, status=status, code=tag)
        raise RetryableError(message, retry_after=30.0, status=status, code=tag)
    if code == 506:
        raise DuplicateError(
            f"{label} refused a duplicate: the same text was posted recently.",
            status=status,
        )
    if code == 368:
        raise PermanentError(
            f"{label} has temporarily blocked this account from posting ({detail}).",
            status=status,
            code=tag,
        )
    if code in PERMISSION_CODES:
        raise PermanentError(
            f"{label} permission missing ({detail}). Reconnect and grant every permission "
            "asked for.",
            status=status,
            code=tag,
        )
    raise PermanentError(message, status=status, code=tag)


def graph_call(
    http: httpx.Client,
    method: str,
    path: str,
    *,
    token: str,
    label: str,
    what: str,
    commit: bool = False,
    app_secret: str = "",
    params: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One Graph request with the token in the Authorization header (never in URLs).

    With ``app_secret`` the call carries ``appsecret_proof`` (HMAC-SHA256 of the token),
    which apps with "Require App Secret" switched on must send.
    """
    params = dict(params or {})
    if app_secret:
        params["appsecret_proof"] = hmac.new(
            app_secret.encode(), token.encode(), hashlib.sha256
        ).hexdigest()
    resp = send(
        http,
        method,
        path,
        commit=commit,
        what=what,
        check=False,
        params=params,
        data=data,
        headers={"Authorization": f"Bearer {token}"},
    )
    raise_for_graph(resp, label=label, what=what, commit=commit)
    try:
        body = resp.json()
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {"data": body}


def same_text(a: str | None, b: str | None) -> bool:
    """Posted text compared loosely (Unicode form and whitespace may change)."""

    def norm(s: str | None) -> str:
        return " ".join(unicodedata.normalize("NFC", s or "").split())

    return norm(a) == norm(b)


def wait_for_container(
    get_status: Callable[[], str],
    *,
    label: str,
    interval: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Poll a container until it leaves IN_PROGRESS; return the final status.

    Still processing at the deadline → RetryableError (nothing was published; the next
    attempt reuses the container).
    """
    deadline = time.monotonic() + timeout
    while True:
        status = get_status()
        if status != "IN_PROGRESS":
            return status
        if time.monotonic() >= deadline:
            raise RetryableError(
                f"{label} is still processing the media; will try again.",
                retry_after=max(interval, 15.0),
                code="container_in_progress",
            )
        sleep(interval)


def token_call(
    http: httpx.Client,
    method: str,
    path: str,
    *,
    label: str,
    what: str,
    reconnect_codes: tuple[int, ...],
    **kw: Any,
) -> dict[str, Any]:
    """A sign-in/token request. Graph's token endpoints answer Graph-style errors (not
    RFC 6749 ones), so this is plain HTTP; a refused code or token (`reconnect_codes`)
    means the person has to connect again."""
    resp = send(http, method, path, what=what, check=False, **kw)
    if resp.status_code >= 400:
        err = graph_error_body(resp)
        if resp.status_code < 500 and int(err.get("code") or 0) in reconnect_codes:
            raise ReconnectRequired(
                f"{label} did not accept the sign-in ({err.get('message', 'refused')}); "
                "please connect again.",
                status=resp.status_code,
                code=str(err.get("code", "")),
            )
        raise_for_graph(resp, label=label, what=what)
    return dict(resp.json())


def insight_values(body: dict[str, Any]) -> dict[str, Any]:
    """{metric name: value} from an insights answer (``values[0]`` or ``total_value``)."""
    values: dict[str, Any] = {}
    for item in body.get("data") or []:
        if item.get("total_value"):
            values[item.get("name")] = item["total_value"].get("value")
        else:
            values[item.get("name")] = ((item.get("values") or [{}])[0]).get("value")
    return values


# ------------------------------------------------------------------ connectors
class GraphConnector(Connector):
    """Calls with the account's token to a Graph API (Facebook, Instagram, Threads)."""

    uses_pkce = False
    register_url = "https://developers.facebook.com/apps/"
    api_prefix: ClassVar[str] = ""  # "/v1.0" on graph.threads.net

    @property
    @abc.abstractmethod
    def api(self) -> str:
        """The Graph API base URL (with its version) this connector calls."""

    @property
    def app_secret(self) -> str:
        """For ``appsecret_proof`` (Facebook Login apps); "" = not sent."""
        return ""

    def _call(
        self, http: Any, method: str, path: str, ctx: PublishContext, **kw: Any
    ) -> dict[str, Any]:
        return graph_call(
            http,
            method,
            f"{self.api_prefix}{path}",
            token=ctx.account.access_token,
            label=self.label,
            app_secret=self.app_secret,
            **kw,
        )

    def _permalink(self, http: Any, ctx: PublishContext, media_id: str) -> str:
        """The post's URL; the post is already live, so a failure here costs only the URL."""
        try:
            body = self._call(
                http,
                "GET",
                f"/{media_id}",
                ctx,
                what=f"{self.label} permalink",
                params={"fields": "permalink"},
            )
        except Exception:  # never turn a published post into a failure
            return ""
        return str(body.get("permalink") or "")


class FacebookLoginConnector(GraphConnector):
    """Facebook Pages and Instagram: one Facebook Login per person covers every Page and
    Instagram account they manage (so disconnecting one account revokes nothing; the
    service calls `revoke_login` when the last account of that login goes)."""

    required_settings = ("meta_app_id", "meta_app_secret")
    login_family = "meta"
    oauth_scopes: ClassVar[list[str]] = []
    page_fields: ClassVar[str] = "id,name,access_token"  # what /me/accounts returns

    @property
    def api(self) -> str:
        s = self.settings
        return f"{s.graph_api_base.rstrip('/')}/{s.graph_api_version}"

    @property
    def app_secret(self) -> str:
        return self.settings.meta_app_secret

    def begin_connect(self, req: ConnectRequest) -> str:
        """The Facebook Login dialog (comma-separated scopes, `state` bound to the browser)."""
        s = self.settings
        dialog = f"{s.facebook_auth_base.rstrip('/')}/{s.graph_api_version}/dialog/oauth"
        with oauth_client(
            s.meta_app_id, redirect_uri=req.redirect_uri, scope=",".join(self.oauth_scopes)
        ) as client:
            url: str
            url, _ = client.create_authorization_url(dialog, state=req.state)
        return url

    def _login(self, req: ConnectRequest, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """code → short-lived user token → ~60-day user token (``fb_exchange_token``) →
        (the person, the Pages they manage with their page tokens and `page_fields`)."""
        s = self.settings
        what = f"{self.label} sign-in"
        app = {"client_id": s.meta_app_id, "client_secret": s.meta_app_secret}
        with self.client(self.api) as http:

            def exchange(**params: str) -> str:
                body = token_call(
                    http,
                    "GET",
                    "/oauth/access_token",
                    label=self.label,
                    what=what,
                    reconnect_codes=(1, 100, 190),
                    params={**app, **params},
                )
                return str(body["access_token"])

            short = exchange(redirect_uri=req.redirect_uri, code=code)
            user_token = exchange(grant_type="fb_exchange_token", fb_exchange_token=short)
            ctx = PublishContext(account=AccountRef(self.platform, "", user_token), text="")
            me = self._call(
                http, "GET", "/me", ctx, what=f"{self.label} profile", params={"fields": "id,name"}
            )
            pages: list[dict[str, Any]] = []
            params: dict[str, Any] = {"fields": self.page_fields, "limit": 100}
            for _ in range(10):  # follow paging for people with many pages
                body = self._call(
                    http, "GET", "/me/accounts", ctx, what=f"{self.label} pages", params=params
                )
                pages.extend(body.get("data") or [])
                after = (body.get("paging") or {}).get("cursors", {}).get("after")
                if not body.get("paging", {}).get("next") or not after:
                    break
                params = {**params, "after": after}
        return me, pages

    def revoke_login(self, account: AccountRef) -> bool:
        """Remove the app from the person's Facebook account (``DELETE /{user-id}/
        permissions`` with the app token ``app_id|app_secret``, as we keep no user
        token): every Page and Instagram account of that login stops working."""
        user_id = account.meta.get("user_id")
        if not user_id:
            return False
        s = self.settings
        with self.client(self.api) as http:
            graph_call(
                http,
                "DELETE",
                f"/{user_id}/permissions",
                token=f"{s.meta_app_id}|{s.meta_app_secret}",
                label=self.label,
                what=f"{self.label} revoke",
            )
        return True


class ContainerConnector(GraphConnector):
    """Two-step publishing (Instagram, Threads): create → wait → publish, idempotent.

    The container id is remembered (``ctx.remember``) before the publish call. A later
    attempt looks at that container first: PUBLISHED means the earlier publish landed,
    so the post is found instead of published again; FINISHED is published as is;
    EXPIRED/ERROR get one fresh container (nothing was published from them).
    """

    max_media = 1
    # Container processing: poll every `poll_interval` s for at most `poll_timeout` s.
    poll_interval = 2.0
    poll_timeout = 60.0
    state_key: ClassVar[str]  # publish_state key of the container id
    container_edge: ClassVar[str]  # POST /{user}/<edge> creates, GET lists recent posts
    publish_edge: ClassVar[str]
    quota_edge: ClassVar[str]
    status_fields: ClassVar[str]  # asked for; the first one is the status
    text_field: ClassVar[str]  # the post's text in listings

    def container_data(self, ctx: PublishContext) -> dict[str, Any]:
        """Form fields of the container for this post."""
        raise NotImplementedError

    def before_publish(self, http: Any, ctx: PublishContext) -> None:
        """Last check before the commit call (Instagram: the daily quota)."""

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
                f"{self.label} posts from this app take one image (carousels are not "
                "supported yet); keep one image."
            )
        return problems

    # ---- the steps
    def _create(self, http: Any, ctx: PublishContext) -> str:
        body = self._call(
            http,
            "POST",
            f"/{ctx.account.account_id}/{self.container_edge}",
            ctx,
            what=f"{self.label} container",
            data=self.container_data(ctx),
        )
        return str(body["id"])

    def _status(self, http: Any, ctx: PublishContext, container_id: str) -> str:
        body = self._call(
            http,
            "GET",
            f"/{container_id}",
            ctx,
            what=f"{self.label} container status",
            params={"fields": self.status_fields},
        )
        return str(body.get(self.status_fields.split(",")[0]) or "")

    def _publish_container(
        self, http: Any, ctx: PublishContext, container_id: str
    ) -> PublishResult:
        self.before_publish(http, ctx)
        ctx.before_create()
        body = self._call(
            http,
            "POST",
            f"/{ctx.account.account_id}/{self.publish_edge}",
            ctx,
            what=f"{self.label} publish",
            commit=True,
            data={"creation_id": container_id},
        )
        media_id = str(body["id"])
        return PublishResult(remote_id=media_id, url=self._permalink(http, ctx, media_id))

    def _found(self, http: Any, ctx: PublishContext) -> PublishResult:
        """The published post, from the account's recent posts with the same text."""
        body = self._call(
            http,
            "GET",
            f"/{ctx.account.account_id}/{self.container_edge}",
            ctx,
            what=f"{self.label} recent posts",
            params={"fields": f"id,{self.text_field},permalink,timestamp", "limit": 25},
        )
        for post in body.get("data") or []:
            if same_text(post.get(self.text_field), ctx.full_text):
                return PublishResult(
                    remote_id=str(post["id"]),
                    url=str(post.get("permalink") or ""),
                    extra={"reconciled": True},
                )
        # Published (the container says so) but not listed yet: do not publish again.
        raise UnknownOutcomeError(
            f"{self.label} reports the post as published but it is not visible yet.",
            code="container_published",
        )

    def publish(self, ctx: PublishContext) -> PublishResult:
        with self.client(self.api) as http:
            container_id = ctx.publish_state.get(self.state_key)
            status = self._status(http, ctx, container_id) if container_id else ""
            if status == "PUBLISHED":
                return self._found(http, ctx)
            if status in ("EXPIRED", "ERROR"):
                container_id = None
            if not container_id:
                container_id = self._create(http, ctx)
                ctx.remember(**{self.state_key: container_id})
                status = self._status(http, ctx, container_id)
            if status == "IN_PROGRESS":
                status = wait_for_container(
                    lambda: self._status(http, ctx, container_id),
                    label=self.label,
                    interval=self.poll_interval,
                    timeout=self.poll_timeout,
                )
            if status == "PUBLISHED":
                return self._found(http, ctx)
            if status == "ERROR":
                raise PermanentError(
                    f"{self.label} could not process the post's media (container error).",
                    code="container_error",
                )
            if status == "EXPIRED":
                ctx.remember(**{self.state_key: None})
                raise RetryableError(
                    f"{self.label} let the prepared post expire; preparing it again.",
                    retry_after=5.0,
                    code="container_expired",
                )
            return self._publish_container(http, ctx, container_id)

    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        """The post if the remembered container was published; None = confirmed absent."""
        container_id = ctx.publish_state.get(self.state_key)
        if not container_id:
            return None  # the id is saved before publishing, so nothing was published
        with self.client(self.api) as http:
            if self._status(http, ctx, container_id) == "PUBLISHED":
                return self._found(http, ctx)
        return None

    def publishing_quota(self, ctx: PublishContext, http: Any = None) -> tuple[int, int]:
        """(posts used, posts allowed) in the rolling 24 h window."""
        if http is None:
            with self.client(self.api) as own:
                return self.publishing_quota(ctx, own)
        body = self._call(
            http,
            "GET",
            f"/{ctx.account.account_id}/{self.quota_edge}",
            ctx,
            what=f"{self.label} publishing quota",
            params={"fields": "quota_usage,config"},
        )
        item = (body.get("data") or [{}])[0]
        return int(item.get("quota_usage") or 0), int(
            (item.get("config") or {}).get("quota_total") or 0
        )

    def _insights(self, ctx: PublishContext, remote_id: str, metrics: str) -> dict[str, Any]:
        with self.client(self.api) as http:
            body = self._call(
                http,
                "GET",
                f"/{remote_id}/insights",
                ctx,
                what=f"{self.label} insights",
                params={"metric": metrics},
            )
        return insight_values(body)
