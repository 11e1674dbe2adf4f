"""Sign in with Google (OpenID Connect) or GitHub (OAuth 2.0), via authlib.

Flow (HTTP routes in accounts/routes.py; nothing here imports Reflex):

1. `begin()` — GET /auth/oauth/{provider}/start. A random `state`, a PKCE S256 verifier
   and (Google) an OIDC `nonce` are stored in Redis for 10 minutes under the state's
   hash, together with the hash of a random *browser binding* held in a short-lived
   HttpOnly cookie. The browser goes to the provider.
2. `finish()` — GET /auth/oauth/{provider}/callback. The state is taken from Redis once
   (GETDEL: a replayed callback finds nothing) and must belong to this provider and to
   this browser's cookie. The code is exchanged with the verifier; the identity comes
   from Google's signed id_token (signature against Google's JWKS, iss, aud, azp, exp,
   nonce) or from GitHub's /user and /user/emails (primary + verified).
3. `resolve()` — users are matched by (issuer, subject) only. A new identity:
   - with no verified email is refused (an unverified address never creates or links);
   - with a verified email nobody uses creates a new, confirmed account;
   - with the verified email of a *confirmed* account is linked only after the person
     types that account's password (`confirm_link()`, behind /link-account);
   - with the email of an account that was never confirmed claims it: the provider just
     proved the inbox, so the unproven password (possibly a squatter's) is dropped and
     the account's sessions are revoked, as with sign-up (DESIGN §8).
4. Signing in ends like a password sign-in: a single-use ticket traded at
   /auth/complete for the HttpOnly session cookie.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aigrowth.accounts.models import User, UserIdentity
from aigrowth.accounts.service import (
    NAME_MAX,
    AccountError,
    _close_links,
    _grant_confirmed,
    _should_be_admin,
    check_throttle,
    get_user,
    get_user_by_email,
    hash_token,
    is_valid_timezone,
    new_token,
    normalize_email,
    record_failure,
    record_success,
    revoke_user_sessions,
    safe_next,
    verify_password,
)
from aigrowth.dbtypes import utcnow
from aigrowth.redis_client import get_redis
from aigrowth.settings import get_settings

log = logging.getLogger(__name__)

PROVIDERS = ("google", "github")
OAUTH_COOKIE = "aig_oauth"
STATE_TTL_S = 10 * 60
LINK_TTL_S = 10 * 60
JWKS_TTL_S = 60 * 60
USER_AGENT = "AIGrowthManager/0.1 (+self-hosted)"
_STATE_KEY = "aigrowth:auth:oauth:state:{}"
_LINK_KEY = "aigrowth:auth:oauth:link:{}"
_GOOGLE_HOSTED_ISSUERS = {"https://accounts.google.com", "accounts.google.com"}


# --------------------------------------------------------------------------- errors
_MESSAGES = {
    "cancelled": "You cancelled signing in with {label}. Sign in another way, or try again.",
    "expired": "That sign-in took too long or was already used. Please try again.",
    "failed": "{label} didn't confirm who you are. Please try again in a moment.",
    "unverified": (
        "Your {label} account has no verified email address. Verify it at {label} "
        "first, or sign up with your email and a password."
    ),
    "inactive": "This account is disabled. Contact the operator of this server.",
}


class OAuthSignInError(AccountError):
    """A refusal at the callback; `code` goes in the redirect, the message is shown."""

    def __init__(self, code: str, provider: str = "") -> None:
        self.code = code if code in _MESSAGES else "failed"
        self.provider = provider
        super().__init__(error_message(self.code, provider))


def error_message(code: str, provider: str) -> str:
    """The sign-in page's text for `?oauth_error=<code>&provider=<name>`."""
    label = {"google": "Google", "github": "GitHub"}.get(provider, "the provider")
    return _MESSAGES.get(code, _MESSAGES["failed"]).format(label=label)


# ------------------------------------------------------------------------ providers
@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scope: str
    issuer: str


def get_provider(name: str) -> Provider | None:
    """The provider's configuration, or None when unknown or not configured."""
    s = get_settings()
    if name == "google" and s.google_client_id and s.google_client_secret:
        return Provider(
            "google",
            "Google",
            s.google_client_id,
            s.google_client_secret,
            s.google_auth_url,
            s.google_token_url,
            "openid email profile",
            s.google_issuer.rstrip("/"),
        )
    if name == "github" and s.github_client_id and s.github_client_secret:
        base = s.github_auth_base.rstrip("/")
        return Provider(
            "github",
            "GitHub",
            s.github_client_id,
            s.github_client_secret,
            f"{base}/login/oauth/authorize",
            f"{base}/login/oauth/access_token",
            "read:user user:email",
            base,  # GitHub has no OIDC issuer for users; its server URL stands in
        )
    return None


def configured_providers() -> list[Provider]:
    return [p for name in PROVIDERS if (p := get_provider(name)) is not None]


def callback_url(name: str) -> str:
    return f"{get_settings().effective_api_url}/auth/oauth/{name}/callback"


def _client(provider: Provider) -> Any:
    """authlib's OAuth2Client (an httpx client) for one provider."""
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.integrations.httpx_client._compat import httpx2

    return OAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        redirect_uri=callback_url(provider.name),
        scope=provider.scope,
        token_endpoint_auth_method="client_secret_post",
        code_challenge_method="S256",
        timeout=httpx2.Timeout(connect=5.0, read=20.0, write=20.0, pool=5.0),
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


# ------------------------------------------------------------------------- 1. begin
def begin(name: str, *, binding: str, next_path: str = "", timezone: str = "") -> str:
    """Store a fresh state for this browser and return the provider's authorize URL."""
    provider = get_provider(name)
    if provider is None:
        raise OAuthSignInError("failed", name)
    if not binding:
        raise ValueError("a browser binding is required")
    state = new_token()
    verifier = new_token() + new_token()  # 86 characters (RFC 7636: 43-128)
    nonce = new_token()
    record = {
        "provider": name,
        "verifier": verifier,
        "nonce": nonce,
        "binding": hash_token(binding),
        "next": safe_next(next_path),
        "tz": timezone if is_valid_timezone(timezone) else "",
    }
    get_redis().set(_STATE_KEY.format(hash_token(state)), json.dumps(record), ex=STATE_TTL_S)
    extra: dict[str, str] = {}
    if name == "google":
        extra = {"nonce": nonce, "prompt": "select_account"}
    url, _ = _client(provider).create_authorization_url(
        provider.authorize_url, state=state, code_verifier=verifier, **extra
    )
    return url


def discard_state(state: str) -> None:
    """An error callback still uses up its state."""
    if state and len(state) <= 200:
        get_redis().delete(_STATE_KEY.format(hash_token(state)))


# ------------------------------------------------------------------------ 2. finish
@dataclass(frozen=True)
class ExternalIdentity:
    provider: str
    issuer: str
    subject: str
    email: str  # normalised; "" when the provider gave none
    email_verified: bool
    name: str


@dataclass(frozen=True)
class Started:
    """What `begin` remembered for the callback."""

    next_path: str
    timezone: str
    binding_hash: str


def finish(name: str, *, state: str, code: str, binding: str) -> tuple[ExternalIdentity, Started]:
    """Check the state (once), exchange the code, and return who the provider says it is."""
    provider = get_provider(name)
    if provider is None:
        raise OAuthSignInError("failed", name)
    if not state or len(state) > 200:
        raise OAuthSignInError("expired", name)
    raw = get_redis().getdel(_STATE_KEY.format(hash_token(state)))  # single use
    if raw is None:
        raise OAuthSignInError("expired", name)
    record = json.loads(raw)
    if (
        record.get("provider") != name
        or not binding
        or not hmac.compare_digest(str(record.get("binding", "")), hash_token(binding))
    ):
        log.warning("OAuth callback for %s refused: state not bound to this browser", name)
        raise OAuthSignInError("expired", name)
    if not code or len(code) > 2048:
        raise OAuthSignInError("failed", name)
    token = _exchange(provider, code, record["verifier"])
    if name == "google":
        identity = _google_identity(provider, token, record["nonce"])
    else:
        identity = _github_identity(provider, token)
    started = Started(record.get("next") or "/dashboard", record.get("tz") or "", record["binding"])
    return identity, started


def _exchange(provider: Provider, code: str, verifier: str) -> dict[str, Any]:
    from authlib.integrations.base_client.errors import OAuthError

    client = _client(provider)
    try:
        with client:
            token = client.fetch_token(
                provider.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=verifier,
            )
    except OAuthError as exc:
        log.warning("%s token exchange refused: %s", provider.label, exc.error)
        raise OAuthSignInError("failed", provider.name) from exc
    except Exception as exc:  # network errors, 5xx, a non-JSON answer
        log.warning("%s token exchange failed: %s", provider.label, type(exc).__name__)
        raise OAuthSignInError("failed", provider.name) from exc
    if not isinstance(token, dict) or not token.get("access_token"):
        raise OAuthSignInError("failed", provider.name)
    return dict(token)


# Google's signing keys, cached per JWKS URL: {url: (fetched_at, KeySet)}.
_JWKS_CACHE: dict[str, tuple[float, KeySet]] = {}


def _google_keys(*, force: bool = False) -> KeySet:
    url = get_settings().google_jwks_url
    cached = _JWKS_CACHE.get(url)
    if cached and not force and time.monotonic() - cached[0] < JWKS_TTL_S:
        return cached[1]
    resp = httpx.get(url, timeout=10.0, headers={"User-Agent": USER_AGENT}, trust_env=False)
    resp.raise_for_status()
    keys = KeySet.import_key_set(resp.json())
    _JWKS_CACHE[url] = (time.monotonic(), keys)
    return keys


def _google_identity(provider: Provider, token: dict[str, Any], nonce: str) -> ExternalIdentity:
    """Verify the id_token (OpenID Connect Core §3.1.3.7) and read the identity."""
    id_token = str(token.get("id_token") or "")
    try:
        kid = jws.extract_compact(id_token.encode()).protected.get("kid")
        keys = _google_keys()
        if kid and all(k.kid != kid for k in keys.keys):
            keys = _google_keys(force=True)  # Google rotated its keys since we cached them
        claims = jwt.decode(id_token, keys, algorithms=["RS256"]).claims
        issuers = [provider.issuer]
        if provider.issuer in _GOOGLE_HOSTED_ISSUERS:
            issuers = sorted(_GOOGLE_HOSTED_ISSUERS)
        jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "values": issuers},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, ValueError, KeyError, TypeError, httpx.HTTPError) as exc:
        log.warning("Google id_token refused: %s", type(exc).__name__)
        raise OAuthSignInError("failed", provider.name) from exc
    if claims.get("azp") not in (None, provider.client_id):
        raise OAuthSignInError("failed", provider.name)
    verified = claims.get("email_verified") in (True, "true")
    return ExternalIdentity(
        provider="google",
        issuer=provider.issuer
        if provider.issuer not in _GOOGLE_HOSTED_ISSUERS
        else ("https://accounts.google.com"),
        subject=str(claims["sub"]),
        email=normalize_email(str(claims.get("email") or "")),
        email_verified=verified,
        name=str(claims.get("name") or "")[:NAME_MAX],
    )


def _github_identity(provider: Provider, token: dict[str, Any]) -> ExternalIdentity:
    """GET /user (the stable numeric id) and /user/emails (the primary, verified one)."""
    api = get_settings().github_api_base.rstrip("/")
    headers = {
        "Authorization": f"Bearer {token['access_token']}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": USER_AGENT,
    }
    try:
        with httpx.Client(timeout=httpx.Timeout(20.0, connect=5.0), trust_env=False) as http:
            user_resp = http.get(f"{api}/user", headers=headers)
            user_resp.raise_for_status()
            user = user_resp.json()
            emails_resp = http.get(f"{api}/user/emails", headers=headers)
            emails = emails_resp.json() if emails_resp.status_code == 200 else []
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("GitHub profile lookup failed: %s", type(exc).__name__)
        raise OAuthSignInError("failed", provider.name) from exc
    if not isinstance(user, dict) or not user.get("id"):
        raise OAuthSignInError("failed", provider.name)
    primary = (
        next(
            (e for e in emails if isinstance(e, dict) and e.get("primary")),
            None,
        )
        if isinstance(emails, list)
        else None
    )
    email = normalize_email(str((primary or {}).get("email") or ""))
    return ExternalIdentity(
        provider="github",
        issuer=provider.issuer,
        subject=str(user["id"]),  # never the login: users can rename themselves
        email=email,
        email_verified=bool(primary and primary.get("verified") is True and email),
        name=str(user.get("name") or user.get("login") or "")[:NAME_MAX],
    )


# ----------------------------------------------------------------------- 3. resolve
@dataclass(frozen=True)
class SignInResult:
    """Either sign `user_id` in now, or ask for the password behind `link_token`."""

    next_path: str
    user_id: uuid.UUID | None = None
    link_token: str | None = None
    created: bool = False


def find_identity(issuer: str, subject: str, *, session: Session) -> UserIdentity | None:
    return session.exec(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    ).first()


def resolve(identity: ExternalIdentity, started: Started, *, session: Session) -> SignInResult:
    """Match by (issuer, subject); see the module docstring for new identities."""
    nxt = started.next_path
    row = find_identity(identity.issuer, identity.subject, session=session)
    if row is not None:
        user = get_user(row.user_id, session=session)
        if user is None:
            raise OAuthSignInError("inactive", identity.provider)
        if identity.email and row.email != identity.email:
            row.email = identity.email  # remembered for display only, never for matching
            session.add(row)
            session.commit()
        return SignInResult(nxt, user_id=user.id)

    if not identity.email or not identity.email_verified:
        raise OAuthSignInError("unverified", identity.provider)
    existing = get_user_by_email(identity.email, session=session)
    if existing is None:
        return _create_user(identity, started, session=session)
    if not existing.is_active:
        raise OAuthSignInError("inactive", identity.provider)
    if existing.email_verified_at is None:
        return _claim_unconfirmed(existing, identity, nxt, session=session)
    return SignInResult(nxt, link_token=_store_link(existing, identity, started))


def _create_user(identity: ExternalIdentity, started: Started, *, session: Session) -> SignInResult:
    tz = started.timezone if is_valid_timezone(started.timezone) else "UTC"
    user = User(
        email=identity.email,
        full_name=identity.name,
        password_hash=None,  # signs in with the provider; a password can be set by reset
        timezone=tz,
        is_admin=_should_be_admin(identity.email, session=session),
        email_verified_at=utcnow(),
    )
    session.add(user)
    session.flush()
    session.add(
        UserIdentity(
            user_id=user.id,
            issuer=identity.issuer,
            subject=identity.subject,
            email=identity.email,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        # Two callbacks for the same person at once: the other one won; use its rows.
        session.rollback()
        row = find_identity(identity.issuer, identity.subject, session=session)
        if row is None:
            raise OAuthSignInError("failed", identity.provider) from None
        return SignInResult(started.next_path, user_id=row.user_id)
    return SignInResult(started.next_path, user_id=user.id, created=True)


def _claim_unconfirmed(
    user: User, identity: ExternalIdentity, nxt: str, *, session: Session
) -> SignInResult:
    user.password_hash = None
    _grant_confirmed(user)
    user.full_name = user.full_name or identity.name
    user.updated_at = utcnow()
    session.add(user)
    session.add(
        UserIdentity(
            user_id=user.id, issuer=identity.issuer, subject=identity.subject, email=identity.email
        )
    )
    session.commit()
    revoke_user_sessions(user.id, session=session)
    _close_links(user.id, session=session)  # pending sign-ups' passwords die too
    return SignInResult(nxt, user_id=user.id)


# ------------------------------------------------------------- linking (interstitial)
def _store_link(user: User, identity: ExternalIdentity, started: Started) -> str:
    raw = new_token()
    payload = {
        "user_id": str(user.id),
        "provider": identity.provider,
        "issuer": identity.issuer,
        "subject": identity.subject,
        "email": identity.email,
        "binding": started.binding_hash,
        "next": started.next_path,
    }
    get_redis().set(_LINK_KEY.format(hash_token(raw)), json.dumps(payload), ex=LINK_TTL_S)
    return raw


def _load_link(raw: str, binding: str) -> dict[str, str] | None:
    if not raw or len(raw) > 200 or not binding:
        return None
    value = get_redis().get(_LINK_KEY.format(hash_token(raw)))
    if value is None:
        return None
    data = json.loads(value)
    if not hmac.compare_digest(str(data.get("binding", "")), hash_token(binding)):
        return None
    return data


@dataclass(frozen=True)
class PendingLink:
    provider: str
    provider_label: str
    email: str
    has_password: bool


LINK_EXPIRED = "This request expired. Start again with the sign-in button."


def pending_link(raw: str, *, binding: str, session: Session) -> PendingLink | None:
    """What the interstitial shows (None: expired, used, or not this browser's)."""
    data = _load_link(raw, binding)
    if data is None:
        return None
    user = get_user(uuid.UUID(data["user_id"]), session=session)
    if user is None:
        return None
    label = {"google": "Google", "github": "GitHub"}.get(data["provider"], data["provider"])
    return PendingLink(data["provider"], label, user.email, bool(user.password_hash))


def confirm_link(
    raw: str, password: str, *, binding: str, session: Session, ip: str = ""
) -> tuple[uuid.UUID, str]:
    """Link the pending identity once the account's password is proven.

    Returns (user id, next path). Failures are throttled like sign-in failures.
    """
    data = _load_link(raw, binding)
    user = get_user(uuid.UUID(data["user_id"]), session=session) if data else None
    if data is None or user is None:
        raise AccountError(LINK_EXPIRED)
    check_throttle(user.email, ip)
    if len(password) > 1024:
        password = password[:1024]
    if not password or not verify_password(user.password_hash, password):
        record_failure(user.email, ip)
        raise AccountError("That password is not correct.")
    if get_redis().getdel(_LINK_KEY.format(hash_token(raw))) is None:  # used once
        raise AccountError(LINK_EXPIRED)
    existing = find_identity(data["issuer"], data["subject"], session=session)
    if existing is not None and existing.user_id != user.id:
        raise AccountError("That sign-in is already linked to another account.")
    if existing is None:
        session.add(
            UserIdentity(
                user_id=user.id,
                issuer=data["issuer"],
                subject=data["subject"],
                email=data["email"],
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise AccountError(LINK_EXPIRED) from None
    record_success(user.email, ip)
    return user.id, data.get("next") or "/dashboard"


def cancel_link(raw: str, *, binding: str) -> None:
    if _load_link(raw, binding) is not None:
        get_redis().delete(_LINK_KEY.format(hash_token(raw)))
