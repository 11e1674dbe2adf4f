"""The connector interface every social platform implements (DESIGN.md §7).

A connector is stateless: it gets everything it needs (tokens, ids, instance URL,
settings) in plain dataclasses and talks HTTP. The service (`aigrowth.social.service`)
owns the database, the token vault and refresh locking; the publishing engine owns the
post state machine. Connectors only *classify* what happened, with four error classes:

- `RetryableError`   - provably not done (connect/DNS error, 429); wait `retry_after`.
- `AuthError`        - token expired/revoked: refresh once, else needs_reconnect.
- `PermanentError`   - validation, duplicate, permission: retrying will not help.
  `DuplicateError` (a PermanentError) marks the platform's "this post already exists".
- `UnknownOutcomeError` - the request was sent and we do not know if it landed
  (timeout or 5xx after sending): call `lookup` before publishing again.

Every base URL comes from settings (or the account's instance/PDS URL), so tests point
connectors at the local fakes in `tests/fakes/`.
"""

from __future__ import annotations

import abc
import base64
import email.utils
import functools
import hashlib
import logging
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import certifi
import httpx

from aigrowth.platforms import PLATFORMS, blocking, validate_post
from aigrowth.platforms import compose_text as _compose
from aigrowth.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Connect quickly or fail (provably not sent); give the platform time to answer.
HTTP_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)


def http_timeout() -> httpx.Timeout:
    """Connect 5 s (fail fast: provably not sent); read per SOCIAL_HTTP_TIMEOUT."""
    read = get_settings().social_http_timeout
    return httpx.Timeout(connect=5.0, read=read, write=read, pool=5.0)


USER_AGENT = "AIGrowthManager/0.1 (+self-hosted)"


# --------------------------------------------------------------------------- errors
class ConnectorError(Exception):
    """Base class. `message` is safe to show to users (never contains a secret)."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class RetryableError(ConnectorError):
    """The request provably did not take effect; try again after `retry_after` seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class AuthError(ConnectorError):
    """Token expired, revoked or invalid: refresh once, then needs_reconnect."""


class ReconnectRequired(AuthError):
    """Refreshing cannot help (invalid_grant, revoked, wrong password, undecryptable)."""


class PermanentError(ConnectorError):
    """Validation, duplicate or permission error: the same request will fail again."""


class DuplicateError(PermanentError):
    """The platform says this exact post already exists.

    After an unknown outcome that means our earlier attempt landed: look it up (or use
    `remote_id`/`url` when the platform named the existing post, as LinkedIn does). On a
    first attempt it is a plain refusal, and `message` says so in plain words.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "duplicate",
        remote_id: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.remote_id = remote_id
        self.url = url


class UnknownOutcomeError(ConnectorError):
    """Sent, but we cannot tell whether it landed: reconcile with `lookup`."""


# --------------------------------------------------------------------- data classes
@dataclass
class TokenSet:
    """What a platform gave us; the service encrypts and stores it."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: str = ""


@dataclass
class AccountRef:
    """A connected account as a connector sees it (decrypted, no ORM object)."""

    platform: str
    account_id: str  # the platform's id (X user id, Bluesky DID, Mastodon account id…)
    access_token: str
    refresh_token: str | None = None
    token_expires_at: datetime | None = None
    token_issued_at: datetime | None = None  # when we last stored tokens (connect/refresh)
    instance_url: str = ""  # Mastodon instance / Bluesky PDS ("" elsewhere)
    handle: str = ""
    account_type: str = "profile"  # "profile" or "page"
    meta: dict[str, Any] = field(default_factory=dict)
    # Per-instance OAuth app (Mastodon); centralised platforms read settings instead.
    client_id: str = ""
    client_secret: str = ""
    db_id: str = ""  # our SocialAccount.id, for logs


@dataclass
class ConnectedAccount:
    """One account found by `complete_connect` (a login can yield several pages)."""

    account_id: str
    handle: str
    display_name: str
    tokens: TokenSet
    avatar_url: str = ""
    instance_url: str = ""
    account_type: str = "profile"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConnectRequest:
    """Inputs of the connect flow; unused fields stay empty."""

    redirect_uri: str = ""
    state: str = ""
    code_verifier: str = ""
    instance_url: str = ""  # Mastodon instance / Bluesky PDS
    client_id: str = ""  # Mastodon per-instance app
    client_secret: str = ""
    handle: str = ""  # Bluesky
    app_password: str = ""  # Bluesky
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Media:
    """An attached image or video: a public URL and/or a local file, plus alt text."""

    url: str = ""
    path: str = ""
    alt: str = ""
    mime_type: str = ""


@dataclass
class PublishResult:
    remote_id: str
    url: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Metrics:
    """Counters for one post. None = the platform has no such figure (store NULL)."""

    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    clicks: int | None = None
    saves: int | None = None
    quotes: int | None = None
    reach: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class AccountMetrics:
    """Account-level figures today. None = the platform does not report it (store NULL)."""

    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    profile_views: int | None = None
    reach: int | None = None
    impressions: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def as_int(value: Any) -> int | None:
    """A platform's counter as an int; None when absent or not a number (store NULL)."""
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _noop_save(_state: dict[str, Any]) -> None:
    return None


def _noop_before_create() -> None:
    return None


@dataclass
class PublishContext:
    """Everything a publish/lookup/metrics call needs.

    `publish_state` holds idempotency values kept by the publisher between attempts
    (Mastodon idempotency key, Bluesky rkey, Instagram/Threads container ids, X ids of
    thread parts already posted). A connector that chooses such a value calls
    `save_state(new_state)` BEFORE the commit call, so a crash after the call still
    lets `lookup` find the post.

    `before_create()` is the publisher's fencing check: it re-checks its claim on the
    post (and renews its lease) and raises if the claim was lost, because another
    worker may be publishing the same post by now. Connectors MUST call it immediately
    before every request that makes a post (or thread part) visible, and let whatever
    it raises propagate out of `publish` unchanged.
    """

    account: AccountRef
    text: str
    hashtags: list[str] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    thread: list[str] = field(default_factory=list)  # extra parts after `text`
    link: str = ""
    idempotency_key: str = ""
    publish_state: dict[str, Any] = field(default_factory=dict)
    save_state: Callable[[dict[str, Any]], None] = _noop_save
    before_create: Callable[[], None] = _noop_before_create
    langs: list[str] = field(default_factory=list)
    settings: Settings | None = None

    def remember(self, **values: Any) -> None:
        """Merge values into publish_state and persist them now."""
        self.publish_state.update(values)
        self.save_state(dict(self.publish_state))

    @property
    def full_text(self) -> str:
        """Text plus hashtags not already present (what is actually posted)."""
        return compose_text(self.text, self.hashtags)


def compose_text(text: str, hashtags: list[str]) -> str:
    """The text as published (shared rule in aigrowth.platforms)."""

    return _compose(text, hashtags)


# ---------------------------------------------------------------------- connector
class Connector(abc.ABC):
    """Base class of every platform connector."""

    platform: ClassVar[str]
    label: ClassVar[str]
    # "oauth" (redirect flow) or "password" (Bluesky handle + app password).
    auth_kind: ClassVar[str] = "oauth"
    uses_pkce: ClassVar[bool] = True
    needs_instance: ClassVar[bool] = False  # user types a server (Mastodon)
    # The servers this connector talks to were typed by users (Mastodon instance,
    # Bluesky PDS): every request is SSRF-checked when it is made (netguard).
    user_servers: ClassVar[bool] = False
    # Settings that must be set for this platform to be offered, and where to get them.
    required_settings: ClassVar[tuple[str, ...]] = ()
    register_url: ClassVar[str] = ""
    max_media: ClassVar[int] = 4
    # True where the platform renews a long-lived access token with itself instead of
    # a refresh token (Threads `th_refresh_token`, Instagram-login `ig_refresh_token`).
    refresh_with_access_token: ClassVar[bool] = False

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    def is_configured(self, settings: Settings | None = None) -> bool:
        s = settings or self.settings
        return all(bool(getattr(s, name)) for name in self.required_settings)

    # ---- connect
    def begin_connect(self, req: ConnectRequest) -> str:
        """Return the authorization URL to send the browser to (OAuth platforms)."""
        raise NotImplementedError(f"{self.platform} does not use a redirect flow")

    @abc.abstractmethod
    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        """Exchange the code (or credentials) for tokens and describe the account(s)."""

    def register_app(self, instance_url: str, redirect_uri: str) -> tuple[str, str]:
        """Per-instance app registration (Mastodon) → (client_id, client_secret)."""
        raise NotImplementedError

    # ---- tokens
    def can_refresh(self, account: AccountRef) -> bool:
        """Whether `refresh` has something to work with (a refresh token, or the access
        token itself on platforms that renew it)."""
        return bool(account.refresh_token) or self.refresh_with_access_token

    def needs_refresh(self, account: AccountRef, *, margin_s: float = 300) -> bool:
        """True when the access token expires within `margin_s` and can be refreshed."""
        if not self.can_refresh(account) or account.token_expires_at is None:
            return False
        return account.token_expires_at.timestamp() - time.time() < margin_s

    def refresh(self, account: AccountRef) -> TokenSet:
        """New tokens. Raises ReconnectRequired when the grant is gone."""
        raise ReconnectRequired(f"{self.label} tokens cannot be refreshed; reconnect")

    def revoke(self, account: AccountRef) -> bool:
        """Revoke at the platform where it offers that; True when it confirmed.

        Default: the platform has no revocation for this account (False)."""
        return False

    # ---- logins shared by several accounts (one Facebook login → Pages + Instagram)
    # Connectors with the same family share one platform login per person (`user_id` in
    # the account's meta); "" = every account holds its own grant.
    login_family: ClassVar[str] = ""

    def login_key(self, meta: dict[str, Any]) -> str:
        """Which shared login an account came from ("" = not shared)."""
        user_id = meta.get("user_id")
        return f"{self.login_family}:{user_id}" if self.login_family and user_id else ""

    def revoke_login(self, account: AccountRef) -> bool:
        """Remove the whole shared login (the service calls it for its last account)."""
        return False

    # ---- posts
    def validate(
        self,
        text: str,
        media: list[Media],
        *,
        account: AccountRef | None = None,
        hashtags: list[str] | None = None,
    ) -> list[str]:
        """Problems that would make the platform refuse the post ([] = fine).

        Default: the shared platform rules (aigrowth.platforms), errors only, with
        the account's own limit where it has one (Mastodon instance limit).
        """

        limit = None
        if account is not None:
            limit = account.meta.get("max_characters")
        problems = validate_post(
            self.platform,
            text,
            hashtags=list(hashtags or []),
            media_count=len(media),
            instance_limit=int(limit) if limit else None,
        )
        return [p.message for p in blocking(problems)]

    @abc.abstractmethod
    def publish(self, ctx: PublishContext) -> PublishResult:
        """Create the post (and thread parts). Raises the error classes above."""

    @abc.abstractmethod
    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        """Find the post after an unknown outcome.

        None only when a successful read shows the post is not there (timelines lag, so
        the publisher asks twice). When the connector cannot tell (any failed read,
        403 included) it raises: RetryableError to try later, PermanentError when this
        account's posts cannot be read at all.
        """

    @abc.abstractmethod
    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        """Current counters of a published post."""

    def fetch_account_metrics(self, account: AccountRef) -> AccountMetrics:
        """Today's account figures (followers...). Platforms override; the default
        reports nothing, which is stored as NULLs, never zeros."""
        return AccountMetrics()

    # ---- helpers
    def client(self, base_url: str = "", **kwargs: Any) -> httpx.Client:
        return http_client(base_url, guarded=self.user_servers, **kwargs)


# ----------------------------------------------------------------- HTTP + errors
@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle costs ~18 ms, per client otherwise."""
    return ssl.create_default_context(cafile=certifi.where())


def http_client(base_url: str = "", *, guarded: bool = False, **kwargs: Any) -> httpx.Client:
    """The one way connectors make HTTP clients: fixed timeouts, no env proxies.

    `guarded`: the server was entered by a user (Mastodon instance, Bluesky PDS), so
    every request is checked against SSRF at the moment it is made (netguard).
    """
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    verify = kwargs.pop("verify", None) or _tls_context()
    if guarded:
        from aigrowth.social.connectors.netguard import GuardedTransport

        kwargs["transport"] = GuardedTransport(verify=verify)
    return httpx.Client(
        base_url=base_url.rstrip("/") if base_url else "",
        timeout=kwargs.pop("timeout", None) or http_timeout(),
        headers=headers,
        follow_redirects=kwargs.pop("follow_redirects", False),
        trust_env=False,
        verify=verify,
        **kwargs,
    )


def parse_retry_after(
    headers: httpx.Headers | dict[str, str], *, now: float | None = None
) -> float | None:
    """Seconds to wait from Retry-After or the platforms' reset headers.

    Retry-After: delta seconds or an HTTP date. Reset headers: epoch seconds (X,
    Bluesky), ISO 8601 (Mastodon), or small numbers meaning "seconds from now".
    """
    now = time.time() if now is None else now
    h = {k.lower(): v for k, v in headers.items()}
    value = h.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now)
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        value = h.get(name)
        if not value:
            continue
        value = value.strip()
        try:
            number = float(value)
        except ValueError:
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return max(0.0, when.timestamp() - now)
        if number > 1_000_000_000:  # epoch seconds
            return max(0.0, number - now)
        return max(0.0, number)
    return None


def error_detail(resp: httpx.Response) -> tuple[str, str]:
    """(code, message) from the common JSON error shapes, without echoing secrets."""
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip()
        return "", text[:300] or resp.reason_phrase
    if not isinstance(body, dict):
        return "", str(body)[:300]
    err = body.get("error")
    if isinstance(err, dict):  # Graph API
        code = str(err.get("code", ""))
        return code, str(err.get("message") or err.get("type") or "")[:500]
    if "title" in body or "detail" in body:  # X problem JSON
        detail = body.get("detail") or body.get("title") or ""
        return str(body.get("type") or body.get("title") or ""), str(detail)[:500]
    if isinstance(err, str):  # Bluesky / OAuth / Mastodon
        message = body.get("message") or body.get("error_description") or err
        return err, str(message)[:500]
    if "message" in body:  # LinkedIn
        return str(body.get("serviceErrorCode") or body.get("code") or ""), str(body["message"])[
            :500
        ]
    return "", str(body)[:300]


def raise_for_response(
    resp: httpx.Response, *, commit: bool = False, what: str = "request"
) -> None:
    """Turn a non-2xx response into the right error class (2xx returns None).

    `commit=True` for the create call: a 5xx then means "maybe created".
    """
    status = resp.status_code
    if status < 400:
        return
    code, detail = error_detail(resp)
    message = f"{what} failed ({status}): {detail}" if detail else f"{what} failed ({status})"
    if status == 429:
        raise RetryableError(
            message, retry_after=parse_retry_after(resp.headers), status=status, code=code
        )
    if status == 401:
        raise AuthError(message, status=status, code=code)
    if status >= 500:
        if commit:
            raise UnknownOutcomeError(message, status=status, code=code)
        raise RetryableError(
            message, retry_after=parse_retry_after(resp.headers), status=status, code=code
        )
    if status in (408,):
        if commit:
            raise UnknownOutcomeError(message, status=status, code=code)
        raise RetryableError(message, status=status, code=code)
    raise PermanentError(message, status=status, code=code)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    commit: bool = False,
    what: str = "request",
    check: bool = True,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request and classify transport failures (and, with check, the status).

    Connect errors/timeouts (DNS included) happen before the request is sent →
    retryable. A read/write timeout or a dropped connection after sending → unknown
    outcome for a commit call, retryable otherwise (reads are safe to repeat).
    """
    try:
        resp = client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableError(f"{what}: could not connect ({type(exc).__name__})") from exc
    except (
        httpx.TimeoutException,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.WriteError,
    ) as exc:
        if commit:
            raise UnknownOutcomeError(
                f"{what}: no answer after sending ({type(exc).__name__})"
            ) from exc
        raise RetryableError(f"{what}: no answer ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        if commit:
            raise UnknownOutcomeError(f"{what}: {type(exc).__name__}") from exc
        raise RetryableError(f"{what}: {type(exc).__name__}") from exc
    if check:
        raise_for_response(resp, commit=commit, what=what)
    return resp


# ------------------------------------------------------------------------- OAuth
def make_pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def oauth_client(
    client_id: str,
    client_secret: str = "",
    *,
    redirect_uri: str = "",
    scope: str = "",
    token_endpoint_auth_method: str = "client_secret_post",
    pkce: bool = False,
    token: dict[str, Any] | None = None,
    guarded: bool = False,
) -> Any:
    """An authlib OAuth2Client (an httpx.Client) with our timeouts; `guarded` as in
    :func:`http_client` (a Mastodon instance's token endpoint)."""
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.integrations.httpx_client._compat import httpx2  # httpx2 or httpx

    read = get_settings().social_http_timeout
    kwargs: dict[str, Any] = {
        "client_id": client_id,
        "client_secret": client_secret or None,
        "redirect_uri": redirect_uri or None,
        "scope": scope or None,
        "token_endpoint_auth_method": token_endpoint_auth_method,
        "timeout": httpx2.Timeout(connect=5.0, read=read, write=read, pool=5.0),
        "trust_env": False,
        "headers": {"User-Agent": USER_AGENT},
    }
    if pkce:
        kwargs["code_challenge_method"] = "S256"
    if token is not None:
        kwargs["token"] = token
    if guarded:
        from aigrowth.social.connectors.netguard import guarded_httpx2_transport

        kwargs["transport"] = guarded_httpx2_transport()
    return OAuth2Client(**kwargs)


def oauth_error(exc: Exception, *, what: str) -> ConnectorError:
    """Classify an authlib/httpx error raised during a token exchange or refresh."""
    from authlib.integrations.base_client.errors import OAuthError

    if isinstance(exc, ConnectorError):
        return exc  # already classified (an SSRF refusal before sending)
    if isinstance(exc, OAuthError):
        err = (exc.error or "").lower()
        desc = exc.description or exc.error or "rejected"
        if err in (
            "invalid_grant",
            "invalid_token",
            "invalid_request",
            "unauthorized_client",
            "invalid_client",
        ):
            return ReconnectRequired(f"{what}: {desc}", code=err)
        return PermanentError(f"{what}: {desc}", code=err)
    from authlib.integrations.httpx_client._compat import httpx2

    for lib in (httpx, httpx2):
        if isinstance(exc, (lib.ConnectError, lib.ConnectTimeout)):
            return RetryableError(f"{what}: could not connect")
        if isinstance(exc, lib.HTTPError):
            return RetryableError(f"{what}: {type(exc).__name__}")
    return PermanentError(f"{what}: {exc}")


def oauth_token(
    client: Any, url: str, *, what: str, refresh_token: str | None = None, **params: Any
) -> dict[str, Any]:
    """The authorization-code exchange (`params`: code, code_verifier) or, given
    `refresh_token`, a refresh, through an authlib client; failures are classified."""
    try:
        if refresh_token is not None:
            return dict(client.refresh_token(url, refresh_token=refresh_token))
        return dict(client.fetch_token(url, grant_type="authorization_code", **params))
    except Exception as exc:
        raise oauth_error(exc, what=what) from exc


def token_set_from_oauth(token: dict[str, Any], *, previous_refresh: str | None = None) -> TokenSet:
    from datetime import UTC

    expires_at = None
    if token.get("expires_at"):
        expires_at = datetime.fromtimestamp(float(token["expires_at"]), UTC)
    elif token.get("expires_in"):
        expires_at = datetime.fromtimestamp(time.time() + float(token["expires_in"]), UTC)
    return TokenSet(
        access_token=str(token["access_token"]),
        refresh_token=token.get("refresh_token") or previous_refresh,
        expires_at=expires_at,
        scopes=str(token.get("scope") or ""),
    )


# ------------------------------------------------------------------------ registry
_CACHE: dict[str, Connector] = {}


def get_connector(platform: str) -> Connector:
    """The connector for a platform (one shared instance per process), from the table in
    registry.py."""
    # Imported here, not at the top: every connector module imports this one.
    from aigrowth.social.connectors.registry import CONNECTOR_CLASSES

    platform = str(platform)
    if platform not in CONNECTOR_CLASSES:
        raise KeyError(f"unknown platform {platform!r}")
    if platform not in _CACHE:
        _CACHE[platform] = CONNECTOR_CLASSES[platform]()
    return _CACHE[platform]


def available_platforms() -> list[str]:
    """Platforms that have a connector, in PLATFORMS order."""
    from aigrowth.social.connectors.registry import CONNECTOR_CLASSES

    return [p for p in PLATFORMS if p in CONNECTOR_CLASSES]


def configured_platforms(settings: Settings | None = None) -> list[str]:
    """Platforms that can be connected with the current settings."""
    s = settings or get_settings()
    return [p for p in available_platforms() if get_connector(p).is_configured(s)]
