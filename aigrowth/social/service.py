"""Connected social accounts: connect, store (encrypted), refresh, disconnect.

Used by the Accounts page, the OAuth callback route and the publishing engine. Every
function that touches a user's data takes the owner's `user_id` and scopes by it.

Contract for the publisher (DESIGN.md §6):
    ref = ensure_fresh_token(account_id, session=db)        # AccountRef, refreshed if due
    result = call_with_account(account_id, lambda ref: connector.publish(ctx_for(ref)),
                               session=db)                  # refresh once on AuthError
Errors: connectors' RetryableError / PermanentError / UnknownOutcomeError pass through;
`ReconnectRequired` means the account is now needs_reconnect (user notified once).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from aigrowth.billing.plans import SOCIAL_ACCOUNTS, LimitExceededError, require_within
from aigrowth.dbtypes import utcnow
from aigrowth.ids import parse_uuid
from aigrowth.redis_client import get_redis
from aigrowth.settings import get_settings
from aigrowth.social import vault
from aigrowth.social.connectors.base import (
    PLATFORMS,
    AccountRef,
    AuthError,
    ConnectedAccount,
    ConnectorError,
    ConnectRequest,
    ReconnectRequired,
    RetryableError,
    TokenSet,
    get_connector,
    make_pkce_pair,
)
from aigrowth.social.connectors.netguard import (
    UnresolvableHostError,
    UnsafeDestinationError,
    port_problem,
    resolve_checked,
)
from aigrowth.social.models import AccountStatus, MastodonApp, SocialAccount

log = logging.getLogger(__name__)
T = TypeVar("T")

STATE_TTL_S = 600
STATE_KEY = "aigrowth:oauth:state:{state}"
REFRESH_LOCK_KEY = "aigrowth:social:refresh-lock:{account_id}"
REFRESH_LOCK_TIMEOUT_S = 60  # > HTTP timeouts of one refresh call
REFRESH_WAIT_S = 45
EXPIRING_SOON = timedelta(days=7)


class SocialError(Exception):
    """Bad input or a failed connect step, with a message fit for the user."""


class UnsafeURLError(SocialError):
    """A user-entered server address that points at a non-public network."""


# --------------------------------------------------------------------- SSRF guard
def normalize_server_url(raw: str) -> str:
    """'Mastodon.Social/' → 'https://mastodon.social'. Raises SocialError when unusable."""
    raw = (raw or "").strip()
    if not raw:
        raise SocialError("Enter the server address, for example mastodon.social.")
    if "://" not in raw:
        raw = "https://" + raw.lstrip("/")
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SocialError("The server address should look like mastodon.social or https://host.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SocialError("Enter just the server address, without a user name or query.")
    if parts.path not in ("", "/"):
        raise SocialError("Enter just the server address, without a path.")
    try:
        port = parts.port
        host = parts.hostname.lower()
        if ":" not in host:  # a name (not an IPv6 literal) must be a valid IDNA host
            host.encode("idna")
    except (ValueError, UnicodeError) as exc:
        raise SocialError(
            "The server address should look like mastodon.social or https://host."
        ) from exc
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host and not host.startswith("["):  # IPv6 literal
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return urlunsplit((parts.scheme, netloc, "", "", ""))


def check_public_url(url: str, *, allow_private: bool | None = None) -> str:
    """Normalise a user-entered server URL and refuse non-public destinations.

    Resolves the host name and checks every address, IPv4 wrapped in IPv6 included (a
    name that resolves to both a public and a private address is refused); only https
    on port 443. Plain http and other ports are allowed only together with private
    networks (local development and tests). Returns the normalised URL. This is the
    early, friendly check; every later request is checked again (netguard).
    """
    normalized = normalize_server_url(url)
    if allow_private is None:
        allow_private = get_settings().allow_private_network
    parts = urlsplit(normalized)
    if allow_private:
        return normalized
    problem = port_problem(parts.scheme, parts.port)
    if problem:
        raise UnsafeURLError(problem)
    host = parts.hostname or ""
    try:
        resolve_checked(host, parts.port or 443)
    except UnresolvableHostError as exc:
        raise SocialError(f"We could not find the server {host}. Check the address.") from exc
    except UnsafeDestinationError as exc:
        raise UnsafeURLError(f"{exc.message} Only public servers can be connected.") from exc
    return normalized


# ---------------------------------------------------------------------- helpers
def redirect_uri(platform: str) -> str:
    """Exact redirect URI registered with the platform (where our backend answers)."""
    return f"{get_settings().effective_api_url}/oauth/{platform}/callback"


def _session_hash(session_token: str) -> str:
    return hashlib.sha256(session_token.encode()).hexdigest() if session_token else ""


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise SocialError(f"Unknown platform “{platform}”.")


def _friendly(exc: ConnectorError, label: str) -> str:
    if isinstance(exc, RetryableError):
        return f"{label} did not answer. Please try again in a moment."
    if isinstance(exc, AuthError):
        return f"{label} refused the sign-in ({exc.message}). Please try again."
    return f"{label}: {exc.message}"


# ---------------------------------------------------------------- view models
@dataclass
class AccountView:
    """One connected account as the UI shows it (plain strings)."""

    id: str
    platform: str
    handle: str
    display_name: str
    avatar_url: str
    instance_url: str
    account_type: str
    health: str  # "active" | "expiring" | "needs_reconnect"
    reason: str
    last_published_at: str  # ISO UTC or ""
    connected_at: str


def _renews_access_token(platform: str) -> bool:
    try:
        return get_connector(platform).refresh_with_access_token
    except (KeyError, ImportError, AttributeError):
        return False


def account_health(account: SocialAccount, *, now: datetime | None = None) -> tuple[str, str]:
    """(health, reason in plain words)."""
    now = now or utcnow()
    if account.status == AccountStatus.NEEDS_RECONNECT:
        return AccountStatus.NEEDS_RECONNECT, (
            account.last_error or "The platform no longer accepts our access. Reconnect."
        )
    if not account.access_token_enc:
        return AccountStatus.NEEDS_RECONNECT, "No stored credentials. Reconnect."
    # With a refresh token, access ends with it; otherwise with the access token, which
    # platforms that renew it themselves (Threads) keep alive: no warning before it ends.
    ends, warn = account.token_expires_at, not _renews_access_token(account.platform)
    if account.refresh_token_enc:
        ends, warn = account.refresh_expires_at, True
    if ends is not None:
        if ends <= now:
            return AccountStatus.NEEDS_RECONNECT, "Access has expired. Reconnect to keep posting."
        if warn and ends - now <= EXPIRING_SOON:
            days = max(1, (ends - now).days)
            return AccountStatus.EXPIRING, (
                f"Access ends in {days} day{'s' if days != 1 else ''}. Reconnect to renew it."
            )
    return AccountStatus.ACTIVE, ""


def list_accounts(user_id: uuid.UUID | str, *, session: Session) -> list[AccountView]:
    rows = session.exec(
        select(SocialAccount)
        .where(SocialAccount.user_id == parse_uuid(user_id))
        .order_by(col(SocialAccount.platform), col(SocialAccount.created_at))
    ).all()
    out = []
    for a in rows:
        health, reason = account_health(a)
        out.append(
            AccountView(
                id=str(a.id),
                platform=a.platform,
                handle=a.handle,
                display_name=a.display_name or a.handle,
                avatar_url=a.avatar_url,
                instance_url=a.instance_url,
                account_type=a.account_type,
                health=str(health),
                reason=reason,
                last_published_at=a.last_published_at.isoformat() if a.last_published_at else "",
                connected_at=a.created_at.isoformat(),
            )
        )
    return out


def get_account(
    account_id: uuid.UUID | str, *, user_id: uuid.UUID | str, session: Session
) -> SocialAccount:
    account = session.get(SocialAccount, parse_uuid(account_id))
    if account is None or account.user_id != parse_uuid(user_id):
        raise SocialError("That account was not found.")
    return account


# ------------------------------------------------------------------- connecting
def _mastodon_app(instance_url: str, *, session: Session) -> tuple[str, str]:
    """Our app on this instance (registered once, cached in mastodon_apps)."""
    uri = redirect_uri("mastodon")
    app = session.exec(select(MastodonApp).where(MastodonApp.instance_url == instance_url)).first()
    if app is not None and app.redirect_uri == uri:
        try:
            return app.client_id, vault.decrypt(app.id, app.client_secret_enc)
        except vault.VaultError:
            log.warning("mastodon app for %s undecryptable; registering again", instance_url)
    connector = get_connector("mastodon")
    try:
        client_id, client_secret = connector.register_app(instance_url, uri)
    except ConnectorError as exc:
        raise SocialError(_friendly(exc, "The Mastodon server")) from exc
    if app is None:
        app = MastodonApp(
            instance_url=instance_url, redirect_uri=uri, client_id=client_id, client_secret_enc=""
        )
    app.redirect_uri, app.client_id = uri, client_id
    app.client_secret_enc = vault.encrypt(app.id, client_secret)
    session.add(app)
    try:
        session.commit()
    except IntegrityError:  # registered concurrently by another request: use theirs
        session.rollback()
        return _mastodon_app(instance_url, session=session)
    return client_id, client_secret


def begin_connect(
    platform: str,
    *,
    user_id: uuid.UUID | str,
    session: Session,
    session_token: str = "",
    instance_url: str = "",
    extra: dict[str, str] | None = None,
) -> str:
    """Start an OAuth connect: returns the platform's authorization URL.

    `state` (random, single use, 10 min) is stored in Redis with the PKCE verifier, the
    user id and a hash of the browser's session token, so only the same signed-in
    browser can complete it. `extra` is the connector's own choice, kept for the
    callback (LinkedIn: ``{"account_type": "page"}`` connects company pages).
    """
    _check_platform(platform)
    connector = get_connector(platform)
    if connector.auth_kind != "oauth":
        raise SocialError(f"{connector.label} connects with a handle and app password.")
    if not connector.is_configured():
        raise SocialError(f"{connector.label} is not configured on this server.")
    client_id = client_secret = ""
    if connector.needs_instance:
        instance_url = check_public_url(instance_url)
        client_id, client_secret = _mastodon_app(instance_url, session=session)
    state = secrets.token_urlsafe(32)
    verifier, _challenge = make_pkce_pair()
    req = ConnectRequest(
        redirect_uri=redirect_uri(platform),
        state=state,
        code_verifier=verifier if connector.uses_pkce else "",
        instance_url=instance_url,
        client_id=client_id,
        client_secret=client_secret,
        extra=dict(extra or {}),
    )
    url = connector.begin_connect(req)
    record = {
        "user_id": str(user_id),
        "session": _session_hash(session_token),
        "platform": platform,
        "verifier": req.code_verifier,
        "instance_url": instance_url,
        "redirect_uri": req.redirect_uri,
        "extra": req.extra,
    }
    get_redis().set(STATE_KEY.format(state=state), json.dumps(record), ex=STATE_TTL_S)
    return url


def complete_oauth(
    platform: str,
    *,
    state: str,
    code: str,
    session: Session,
    user_id: uuid.UUID | str | None,
    session_token: str = "",
) -> list[SocialAccount]:
    """Finish an OAuth connect from the callback. Raises SocialError with a reason."""
    if not state or len(state) > 200:
        raise SocialError("The sign-in link is incomplete. Start again from Accounts.")
    raw = get_redis().getdel(STATE_KEY.format(state=state))  # single use
    if raw is None:
        raise SocialError("This sign-in link has expired or was already used. Start again.")
    record = json.loads(raw)
    if record["platform"] != platform:
        raise SocialError("The sign-in answer does not match the platform. Start again.")
    if (
        user_id is None
        or str(user_id) != record["user_id"]
        or (record["session"] and record["session"] != _session_hash(session_token))
    ):
        raise SocialError("This sign-in was started in another session. Start again.")
    if not code:
        raise SocialError("The platform did not send an authorization code. Start again.")
    connector = get_connector(platform)
    client_id = client_secret = ""
    if connector.needs_instance:
        client_id, client_secret = _mastodon_app(record["instance_url"], session=session)
    req = ConnectRequest(
        redirect_uri=record["redirect_uri"],
        state=state,
        code_verifier=record["verifier"],
        instance_url=record["instance_url"],
        client_id=client_id,
        client_secret=client_secret,
        extra=record.get("extra") or {},
    )
    try:
        found = connector.complete_connect(req, code=code)
    except ConnectorError as exc:
        raise SocialError(_friendly(exc, connector.label)) from exc
    if not found:
        raise SocialError(f"{connector.label} returned no account we can post to.")
    return [_store_account(platform, record["user_id"], item, session=session) for item in found]


def connect_bluesky(
    *,
    user_id: uuid.UUID | str,
    handle: str,
    app_password: str,
    pds_url: str = "",
    session: Session,
) -> SocialAccount:
    """Bluesky: handle + app password → a session we keep and refresh."""
    handle = (handle or "").strip().lstrip("@").lower()
    if not handle or " " in handle:
        raise SocialError("Enter your Bluesky handle, for example alice.bsky.social.")
    password = (app_password or "").strip()
    if not password:
        raise SocialError("Enter an app password (Bluesky → Settings → App passwords).")
    pds = check_public_url(pds_url or get_settings().bluesky_default_pds)
    connector = get_connector("bluesky")
    try:
        found = connector.complete_connect(
            ConnectRequest(instance_url=pds, handle=handle, app_password=password)
        )
    except ConnectorError as exc:
        if isinstance(exc, AuthError):
            raise SocialError(
                "Bluesky did not accept that handle and app password. Check both and try again."
            ) from exc
        raise SocialError(_friendly(exc, "Bluesky")) from exc
    return _store_account("bluesky", user_id, found[0], session=session)


def _set_tokens(account: SocialAccount, tokens: TokenSet) -> None:
    account.access_token_enc = vault.encrypt(account.id, tokens.access_token)
    account.refresh_token_enc = (
        vault.encrypt(account.id, tokens.refresh_token) if tokens.refresh_token else None
    )
    account.token_expires_at = tokens.expires_at
    if tokens.refresh_expires_at is not None or not tokens.refresh_token:
        account.refresh_expires_at = tokens.refresh_expires_at
    if tokens.scopes:
        account.scopes = tokens.scopes[:1000]
    account.last_refreshed_at = utcnow()
    account.updated_at = utcnow()


def _store_account(
    platform: str, user_id: uuid.UUID | str, found: ConnectedAccount, *, session: Session
) -> SocialAccount:
    uid = parse_uuid(user_id)
    account = session.exec(
        select(SocialAccount).where(
            SocialAccount.user_id == uid,
            SocialAccount.platform == platform,
            SocialAccount.instance_url == found.instance_url,
            SocialAccount.account_id == found.account_id,
        )
    ).first()
    if account is None:
        try:  # a new account counts against the plan; a reconnect does not
            require_within(uid, SOCIAL_ACCOUNTS, session=session)
        except LimitExceededError as exc:
            raise SocialError(str(exc)) from exc
        account = SocialAccount(
            user_id=uid,
            platform=platform,
            account_id=found.account_id,
            instance_url=found.instance_url,
        )
    account.account_type = found.account_type
    account.handle = found.handle[:255]
    account.display_name = (found.display_name or found.handle)[:255]
    account.avatar_url = (found.avatar_url or "")[:1000]
    account.meta = {**(account.meta or {}), **found.meta}
    account.status = AccountStatus.ACTIVE
    account.last_error = None
    _set_tokens(account, found.tokens)
    session.add(account)
    session.commit()
    log.info("connected %s account %s for user %s", platform, account.id, uid)
    return account


# --------------------------------------------------------------- disconnecting
def _ref(account: SocialAccount, *, session: Session) -> AccountRef:
    """Decrypt an account into what connectors take; undecryptable → needs_reconnect."""
    try:
        access = vault.decrypt(account.id, account.access_token_enc)
        refresh = vault.decrypt_optional(account.id, account.refresh_token_enc)
    except vault.VaultError as exc:
        log.warning("account %s: stored tokens unusable (%s)", account.id, exc)
        mark_needs_reconnect(
            account.id,
            "Stored credentials could not be decrypted (the encryption key changed). "
            "Reconnect the account.",
            session=session,
        )
        raise ReconnectRequired("stored credentials cannot be decrypted") from exc
    client_id = client_secret = ""
    if account.platform == "mastodon":
        app = session.exec(
            select(MastodonApp).where(MastodonApp.instance_url == account.instance_url)
        ).first()
        if app is not None:
            client_id = app.client_id
            try:
                client_secret = vault.decrypt(app.id, app.client_secret_enc)
            except vault.VaultError:
                client_secret = ""
    return AccountRef(
        platform=account.platform,
        account_id=account.account_id,
        access_token=access,
        refresh_token=refresh,
        token_expires_at=account.token_expires_at,
        token_issued_at=account.last_refreshed_at,
        instance_url=account.instance_url,
        handle=account.handle,
        account_type=account.account_type,
        meta=dict(account.meta or {}),
        client_id=client_id,
        client_secret=client_secret,
        db_id=str(account.id),
    )


def _last_of_login(account: SocialAccount, *, session: Session) -> bool:
    """Whether `account` is the only one left (of any user) from its shared login."""
    connector = get_connector(account.platform)
    key = connector.login_key(account.meta or {})
    if not key:
        return False
    family = [p for p in PLATFORMS if get_connector(p).login_family == connector.login_family]
    others = session.exec(
        select(SocialAccount.platform, SocialAccount.meta).where(
            col(SocialAccount.id) != account.id, col(SocialAccount.platform).in_(family)
        )
    ).all()
    return not any(get_connector(p).login_key(meta or {}) == key for p, meta in others)


def _try_revoke(account: SocialAccount, what: str, call: Callable[[], bool]) -> bool:
    try:
        return call()
    except Exception as exc:
        log.warning(
            "disconnect %s account %s: %s failed (%s); deleting tokens anyway",
            account.platform,
            account.id,
            what,
            type(exc).__name__,
        )
        return False


def disconnect(account_id: uuid.UUID | str, *, user_id: uuid.UUID | str, session: Session) -> bool:
    """Revoke at the platform when possible, then delete the account and its tokens.

    The last account from a shared login (one Facebook login covers every Page and
    Instagram account) also removes that login's grant. Returns whether the platform
    confirmed the revocation. Tokens are deleted even when revocation fails (the reason
    is logged without secrets).
    """
    account = get_account(account_id, user_id=user_id, session=session)
    connector = get_connector(account.platform)
    revoked = False
    try:
        ref = _ref(account, session=session)
    except ReconnectRequired:
        ref = None
    if ref is not None:
        revoked = _try_revoke(account, "platform revocation", lambda: connector.revoke(ref))
    if _last_of_login(account, session=session):
        # The login grant is revoked with the app's credentials, so an account whose
        # own tokens are unreadable still gets it removed.
        login = ref or AccountRef(
            platform=account.platform,
            account_id=account.account_id,
            access_token="",
            meta=dict(account.meta or {}),
            db_id=str(account.id),
        )
        if _try_revoke(account, "login revocation", lambda: connector.revoke_login(login)):
            revoked = True
    session.delete(account)
    session.commit()
    return revoked


# -------------------------------------------------------------- health changes
def notify_needs_reconnect(account: SocialAccount, reason: str, *, session: Session) -> None:
    """Hook: tell the owner once that an account needs reconnecting."""
    try:
        from aigrowth.notifications.service import KIND_NEEDS_RECONNECT, notify
    except ImportError:  # notifications capability not installed
        log.warning("account %s needs reconnect: %s", account.id, reason)
        return
    label = get_connector(account.platform).label
    name = account.handle or account.display_name
    notify(
        account.user_id,
        KIND_NEEDS_RECONNECT,
        f"Reconnect your {label} account",
        f"{label} ({name}) stopped accepting our access: {reason} Posts to it will wait "
        "until you reconnect it on the Accounts page.",
        "/accounts",
        f"needs_reconnect:{account.id}:{int(utcnow().timestamp())}",
        session=session,
    )


def mark_needs_reconnect(account_id: uuid.UUID | str, reason: str, *, session: Session) -> bool:
    """Mark needs_reconnect; notify only on the transition (one conditional UPDATE, so
    concurrent workers notify once). Returns True for the process that flipped it."""
    aid = parse_uuid(account_id)
    result = session.execute(
        sa.update(SocialAccount)
        .where(
            col(SocialAccount.id) == aid,
            col(SocialAccount.status) != AccountStatus.NEEDS_RECONNECT,
        )
        .values(status=AccountStatus.NEEDS_RECONNECT, last_error=reason[:2000], updated_at=utcnow())
    )
    session.commit()
    if not result.rowcount:
        return False
    account = session.get(SocialAccount, aid, populate_existing=True)
    if account is not None:
        notify_needs_reconnect(account, reason, session=session)
        session.commit()
    return True


def record_published(account_id: uuid.UUID | str, *, session: Session) -> None:
    """Last successful publish (shown on the Accounts page). Caller commits."""
    session.execute(
        sa.update(SocialAccount)
        .where(col(SocialAccount.id) == parse_uuid(account_id))
        .values(last_published_at=utcnow())
    )


def update_meta(account_id: uuid.UUID | str, values: dict[str, Any], *, session: Session) -> None:
    """Merge platform details (e.g. Mastodon max_characters) into account.meta."""
    account = session.get(SocialAccount, parse_uuid(account_id))
    if account is None:
        return
    account.meta = {**(account.meta or {}), **values}
    session.add(account)
    session.commit()


# --------------------------------------------------------------------- refresh
def _load(account_id: uuid.UUID, session: Session) -> SocialAccount:
    account = session.get(SocialAccount, account_id, populate_existing=True)
    if account is None:
        raise ReconnectRequired("account no longer exists")
    if account.status == AccountStatus.NEEDS_RECONNECT:
        raise ReconnectRequired(account.last_error or "account needs reconnecting")
    return account


def ensure_fresh_token(
    account_id: uuid.UUID | str,
    *,
    session: Session,
    force: bool = False,
    stale_access_token: str | None = None,
) -> AccountRef:
    """The account's tokens, refreshed first when they are due (or `force`).

    Serialised per account across processes with a Redis lock; inside it the row is
    re-read, so waiters see the first refresher's tokens instead of spending the
    (single-use, rotating) refresh token again. The new pair is committed before it
    is returned (and so before it is used). `stale_access_token` (with force): refresh
    only if the stored token is still that one.
    """
    aid = parse_uuid(account_id)
    account = _load(aid, session)
    ref = _ref(account, session=session)
    connector = get_connector(account.platform)
    if not force and not connector.needs_refresh(ref):
        return ref
    if force and stale_access_token is not None and ref.access_token != stale_access_token:
        return ref  # already replaced (refreshed or reconnected) since the caller looked
    if not connector.can_refresh(ref):
        if force:
            reason = "The platform rejected our access token."
            mark_needs_reconnect(aid, reason, session=session)
            raise ReconnectRequired(reason)
        return ref
    lock = get_redis().lock(
        REFRESH_LOCK_KEY.format(account_id=aid),
        timeout=REFRESH_LOCK_TIMEOUT_S,
        blocking_timeout=REFRESH_WAIT_S,
    )
    if not lock.acquire(blocking=True):
        raise RetryableError("token refresh in progress elsewhere; try again", retry_after=10)
    try:
        session.expire_all()
        account = _load(aid, session)
        ref = _ref(account, session=session)
        if force:
            if stale_access_token is not None and ref.access_token != stale_access_token:
                return ref  # someone refreshed while we waited
        elif not connector.needs_refresh(ref):
            return ref
        try:
            tokens = connector.refresh(ref)
        except ReconnectRequired as exc:
            reason = f"Refreshing access failed: {exc.message}"
            mark_needs_reconnect(aid, reason, session=session)
            raise
        except AuthError as exc:
            reason = f"Refreshing access failed: {exc.message}"
            mark_needs_reconnect(aid, reason, session=session)
            raise ReconnectRequired(reason) from exc
        account = _load(aid, session)
        _set_tokens(account, tokens)
        session.add(account)
        session.commit()  # saved before anyone uses it
        return _ref(account, session=session)
    finally:
        try:
            lock.release()
        except Exception:
            log.warning("refresh lock for %s expired before release", aid)


def call_with_account(
    account_id: uuid.UUID | str,
    fn: Callable[[AccountRef], T],
    *,
    session: Session,
    ref: AccountRef | None = None,
) -> T:
    """Run `fn(ref)` with fresh tokens; on AuthError refresh once and retry once.

    An AuthError means the platform did not act on the request, so retrying is safe. A
    second AuthError (or a failed refresh) marks the account needs_reconnect. `ref`:
    tokens the caller already made fresh (saves decrypting them again).
    """
    if ref is None:
        ref = ensure_fresh_token(account_id, session=session)
    try:
        return fn(ref)
    except ReconnectRequired as exc:
        mark_needs_reconnect(
            account_id, f"The platform rejected our access: {exc.message}", session=session
        )
        raise
    except AuthError:
        pass
    ref = ensure_fresh_token(
        account_id, session=session, force=True, stale_access_token=ref.access_token
    )
    try:
        return fn(ref)
    except AuthError as exc:
        reason = f"The platform rejected our access: {exc.message}"
        mark_needs_reconnect(account_id, reason, session=session)
        raise ReconnectRequired(reason) from exc


def account_ref(account_id: uuid.UUID | str, *, session: Session) -> AccountRef:
    """Decrypted AccountRef without refreshing (e.g. for validation)."""
    return _ref(_load(parse_uuid(account_id), session), session=session)


# ------------------------------------------------------------------- catalogue
_DESCRIPTIONS = {
    "x": "Posts and threads on X (Twitter).",
    "linkedin": "Your LinkedIn profile and the company pages you manage.",
    "facebook": "Facebook Pages you manage.",
    "instagram": "Instagram professional accounts linked to your Facebook Pages.",
    "threads": "Your Threads profile.",
    "bluesky": "Connect with your handle and an app password.",
    "mastodon": "Any Mastodon server: type its address, then sign in there.",
}


@dataclass
class PlatformCard:
    """What the Accounts page shows for one platform (plain strings)."""

    platform: str
    label: str
    description: str
    auth_kind: str  # "oauth" | "password" | "unavailable"
    needs_instance: bool
    configured: bool
    settings_needed: str  # e.g. "X_CLIENT_ID, X_CLIENT_SECRET"
    register_url: str
    redirect_uri: str


def platform_cards() -> list[PlatformCard]:
    cards = []
    for platform in PLATFORMS:
        try:
            connector = get_connector(platform)
        except (ImportError, AttributeError):  # connector not installed in this build
            cards.append(
                PlatformCard(
                    platform,
                    platform.title(),
                    _DESCRIPTIONS[platform],
                    "unavailable",
                    False,
                    False,
                    "",
                    "",
                    "",
                )
            )
            continue
        needed = ", ".join(n.upper() for n in connector.required_settings)
        cards.append(
            PlatformCard(
                platform=platform,
                label=connector.label,
                description=_DESCRIPTIONS[platform],
                auth_kind=connector.auth_kind,
                needs_instance=connector.needs_instance,
                configured=connector.is_configured(),
                settings_needed=needed,
                register_url=connector.register_url,
                redirect_uri=redirect_uri(platform) if connector.auth_kind == "oauth" else "",
            )
        )
    return cards
