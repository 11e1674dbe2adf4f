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

import hashlib
import hmac
import json
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import httpx

from aigrowth.social.connectors.base import (
    AuthError,
    PermanentError,
    ReconnectRequired,
    RetryableError,
    UnknownOutcomeError,
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
        raise PermanentError(
            f"{label} refused a duplicate: the same text was posted recently.",
            status=status,
            code="duplicate",
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


# ----------------------------------------------------------------- Facebook Login
def graph_base(settings: Any) -> str:
    return f"{settings.graph_api_base.rstrip('/')}/{settings.graph_api_version}"


def facebook_login_url(settings: Any, *, redirect_uri: str, state: str, scopes: list[str]) -> str:
    """The Facebook Login dialog (comma-separated scopes, `state` bound to the browser)."""
    from aigrowth.social.connectors.base import oauth_client

    dialog = f"{settings.facebook_auth_base.rstrip('/')}/{settings.graph_api_version}/dialog/oauth"
    with oauth_client(
        settings.meta_app_id, redirect_uri=redirect_uri, scope=",".join(scopes)
    ) as client:
        url, _ = client.create_authorization_url(dialog, state=state)
    return url


def facebook_user_token(
    http: httpx.Client, settings: Any, *, code: str, redirect_uri: str, label: str
) -> tuple[str, float | None]:
    """code → short-lived user token → ~60-day user token (`fb_exchange_token`).

    Returns (long-lived user token, seconds it lives). Graph's token endpoint answers
    Graph-style errors, not RFC 6749 ones, so this is plain HTTP rather than authlib.
    """
    what = f"{label} sign-in"
    resp = send(
        http,
        "GET",
        "/oauth/access_token",
        what=what,
        check=False,
        params={
            "client_id": settings.meta_app_id,
            "client_secret": settings.meta_app_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        },
    )
    _raise_login(resp, label=label, what=what)
    short = resp.json()["access_token"]
    resp = send(
        http,
        "GET",
        "/oauth/access_token",
        what=what,
        check=False,
        params={
            "grant_type": "fb_exchange_token",
            "client_id": settings.meta_app_id,
            "client_secret": settings.meta_app_secret,
            "fb_exchange_token": short,
        },
    )
    _raise_login(resp, label=label, what=what)
    body = resp.json()
    expires = body.get("expires_in")
    return str(body["access_token"]), float(expires) if expires else None


def _raise_login(resp: httpx.Response, *, label: str, what: str) -> None:
    """A refused code is the user's sign-in failing: ask them to connect again."""
    if resp.status_code < 400:
        return
    err = graph_error_body(resp)
    if resp.status_code < 500 and int(err.get("code") or 0) in (100, 190, 1):
        raise ReconnectRequired(
            f"{label} did not accept the sign-in ({err.get('message', 'refused')}); "
            "please connect again.",
            status=resp.status_code,
            code=str(err.get("code", "")),
        )
    raise_for_graph(resp, label=label, what=what)


def facebook_pages(
    http: httpx.Client, settings: Any, *, user_token: str, label: str, fields: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the user, the pages they manage with their page tokens) for one user token."""
    me = graph_call(
        http,
        "GET",
        "/me",
        token=user_token,
        label=label,
        what=f"{label} profile",
        app_secret=settings.meta_app_secret,
        params={"fields": "id,name"},
    )
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"fields": fields, "limit": 100}
    for _ in range(10):  # follow paging for people with many pages
        body = graph_call(
            http,
            "GET",
            "/me/accounts",
            token=user_token,
            label=label,
            what=f"{label} pages",
            app_secret=settings.meta_app_secret,
            params=params,
        )
        pages.extend(body.get("data") or [])
        after = (body.get("paging") or {}).get("cursors", {}).get("after")
        if not body.get("paging", {}).get("next") or not after:
            break
        params = {**params, "after": after}
    return me, pages


def revoke_facebook_login(http: httpx.Client, settings: Any, *, user_id: str, label: str) -> None:
    """Remove the app's permissions for a user (`DELETE /{user-id}/permissions`).

    Authenticated with the app access token (``app_id|app_secret``), so it works without
    the user token, which we do not keep.
    """
    app_token = f"{settings.meta_app_id}|{settings.meta_app_secret}"
    graph_call(
        http,
        "DELETE",
        f"/{user_id}/permissions",
        token=app_token,
        label=label,
        what=f"{label} revoke",
    )


# ------------------------------------------------------------------ containers
class ContainerFlow:
    """Create → wait → publish, idempotent across attempts (Instagram, Threads).

    The container id is remembered (``ctx.remember``) before the publish call. A later
    attempt looks at that container first: PUBLISHED means the earlier publish landed,
    so the post is found instead of published again; FINISHED is published as is;
    EXPIRED/ERROR get one fresh container (nothing was published from them).
    """

    def __init__(
        self,
        *,
        label: str,
        state_key: str,
        create: Callable[[], str],
        status: Callable[[str], str],
        publish: Callable[[str], Any],
        find_published: Callable[[str], Any],
        interval: float,
        timeout: float,
    ) -> None:
        self.label = label
        self.state_key = state_key
        self.create = create
        self.status = status
        self.publish_container = publish
        self.find_published = find_published
        self.interval = interval
        self.timeout = timeout

    def _found(self, container_id: str) -> Any:
        found = self.find_published(container_id)
        if found is None:
            # Published (the container says so) but not listed yet: do not publish again.
            raise UnknownOutcomeError(
                f"{self.label} reports the post as published but it is not visible yet.",
                code="container_published",
            )
        return found

    def run(self, ctx: Any) -> Any:
        container_id = ctx.publish_state.get(self.state_key)
        status = self.status(container_id) if container_id else ""
        if status == "PUBLISHED":
            return self._found(container_id)
        if status in ("EXPIRED", "ERROR"):
            container_id = None
        if not container_id:
            container_id = self.create()
            ctx.remember(**{self.state_key: container_id})
            status = self.status(container_id)
        if status == "IN_PROGRESS":
            status = wait_for_container(
                lambda: self.status(container_id),
                label=self.label,
                interval=self.interval,
                timeout=self.timeout,
            )
        if status == "PUBLISHED":
            return self._found(container_id)
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
        return self.publish_container(container_id)

    def lookup(self, ctx: Any) -> Any:
        """The post if the remembered container was published; None = confirmed absent."""
        container_id = ctx.publish_state.get(self.state_key)
        if not container_id:
            return None  # the id is saved before publishing, so nothing was published
        if self.status(container_id) == "PUBLISHED":
            return self._found(container_id)
        return None
