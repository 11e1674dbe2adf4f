"""Accounts domain: passwords, sessions, sign-in tickets, throttling, resets, profile.

Plain functions taking `*, session` (a SQLModel Session), so the web process, the HTTP
routes, workers and tests all share one implementation. Nothing here imports Reflex.

Security choices (DESIGN.md §8):
- Passwords: argon2id (argon2-cffi defaults, RFC 9106 "low memory"), rehashed on sign-in
  when the parameters change; 8-128 characters, never truncated, refused when on the
  shipped common-password list; no composition rules.
- Sessions: 256-bit random token in an HttpOnly cookie; only its SHA-256 is stored.
  30-day sliding expiry (touched at most every few minutes to spare the DB).
- No enumeration: sign-in answers the same for an unknown email and a wrong password
  (a dummy hash is verified so timing matches); sign-up and reset always answer
  "check your inbox" and the mail tells the real owner what happened.
- Throttling: failed sign-ins back off per (account, IP) and per IP; an account-wide
  limit catches distributed guessing, but IPs that signed in to that account before are
  exempt from it, so an attacker cannot lock the real user out.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import secrets
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from aigrowth.accounts.models import PasswordResetToken, User, UserSession
from aigrowth.businesses.models import Business
from aigrowth.dbtypes import utcnow
from aigrowth.mail import OutgoingMail, send_mail
from aigrowth.redis_client import get_redis
from aigrowth.settings import get_settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "aig_session"
SESSION_TTL = timedelta(days=30)
# Sliding expiry: a session used again is extended, but the row is written at most this
# often (every page event validates the session).
SESSION_TOUCH_EVERY = timedelta(minutes=5)
RESET_TTL = timedelta(minutes=30)
VERIFY_TTL = timedelta(hours=24)
LOGIN_TICKET_TTL_SECONDS = 60

PASSWORD_MIN = 8
PASSWORD_MAX = 128
EMAIL_MAX = 320
NAME_MAX = 200

# Throttling: free failures before backoff starts, then 2**n seconds, capped.
THROTTLE_FREE_PER_ACCOUNT_IP = 5
THROTTLE_FREE_PER_IP = 20
THROTTLE_FREE_PER_ACCOUNT = 20
THROTTLE_MAX_DELAY = 15 * 60
THROTTLE_WINDOW = 60 * 60  # failure counters forget after an hour without failures
# Reset / verification mails per address and per IP (stops mail bombing).
MAIL_LIMIT_PER_ADDRESS = 5
MAIL_LIMIT_PER_IP = 30
MAIL_LIMIT_WINDOW = 60 * 60

INVALID_CREDENTIALS = "That email and password don't match an account."
NEUTRAL_SIGNUP = "Check your inbox: we've sent you a link to continue."
NEUTRAL_RESET = "If an account uses that email, we've sent it a reset link."

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


# --------------------------------------------------------------------------- errors
class AccountError(Exception):
    """A user-facing refusal; `str(exc)` is safe to show."""


class ThrottledError(AccountError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        wait = f"{retry_after} seconds" if retry_after < 120 else f"{retry_after // 60} minutes"
        super().__init__(f"Too many attempts. Try again in {wait}.")


class NotFound(Exception):
    """The object does not exist *or belongs to someone else* (never say which)."""


# --------------------------------------------------------------------------- tokens
def new_token() -> str:
    """256 bits of randomness, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    """Tokens are high-entropy, so a plain SHA-256 is the right storage form."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------ passwords
@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused, or None. Length and guessability only."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    lowered = password.lower()
    if lowered in _common_passwords():
        return "That password is too common. Try a longer phrase only you would use."
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return "Don't use your email address as your password."
    if name and lowered == name.strip().lower():
        return "Don't use your name as your password."
    if len(set(password)) == 1:
        return "That password is too easy to guess."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        _burn(password)
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _burn(password: str) -> None:
    """Spend the same time as a real verification (unknown email / no password)."""
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)


# ------------------------------------------------------------------------ emails/tz
def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    if not email:
        return "Enter your email address."
    if len(email) > EMAIL_MAX or not _EMAIL_RE.match(email):
        return "Enter a valid email address, like you@example.com."
    return None


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def is_valid_timezone(name: str) -> bool:
    return name in set(timezone_names())


# ---------------------------------------------------------------------------- users
def get_user(user_id: uuid.UUID, *, session: Session) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def get_user_by_email(email: str, *, session: Session) -> User | None:
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def _should_be_admin(email: str, *, session: Session) -> bool:
    admins = get_settings().admin_email_list
    if admins:
        return email in admins
    return session.exec(select(func.count()).select_from(User)).one() == 0


def create_user(
    email: str,
    password: str,
    *,
    session: Session,
    full_name: str = "",
    timezone: str = "UTC",
    verified: bool = True,
) -> User:
    """Create an account (validated). Tests and e2e use it directly; sign-up wraps it."""
    email = normalize_email(email)
    if problem := email_problem(email):
        raise AccountError(problem)
    if problem := password_problem(password, email=email, name=full_name):
        raise AccountError(problem)
    if not is_valid_timezone(timezone):
        timezone = "UTC"
    if get_user_by_email(email, session=session) is not None:
        raise AccountError("An account already uses that email.")
    user = User(
        email=email,
        full_name=full_name.strip()[:NAME_MAX],
        password_hash=hash_password(password),
        timezone=timezone,
        is_admin=_should_be_admin(email, session=session),
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


# ------------------------------------------------------------------------- sessions
def create_session(
    user_id: uuid.UUID, *, session: Session, user_agent: str = "", ip_address: str = ""
) -> str:
    """A new server-side session; returns the raw token (for the cookie only)."""
    raw = new_token()
    now = utcnow()
    session.add(
        UserSession(
            user_id=user_id,
            token_hash=hash_token(raw),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_TTL,
            user_agent=user_agent[:512],
            ip_address=ip_address[:64],
        )
    )
    user = session.get(User, user_id)
    if user is not None:
        user.last_login_at = now
        session.add(user)
    session.commit()
    return raw


def resolve_session(raw_token: str, *, session: Session) -> UserSession | None:
    """The live session for a cookie token (sliding its expiry), else None."""
    if not raw_token or len(raw_token) > 200:
        return None
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == hash_token(raw_token))
    ).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at >= SESSION_TOUCH_EVERY:
        row.last_seen_at = now
        row.expires_at = now + SESSION_TTL
        session.add(row)
        session.commit()
    return row


def user_id_for_token(raw_token: str, *, session: Session) -> uuid.UUID | None:
    row = resolve_session(raw_token, session=session)
    return row.user_id if row is not None else None


def revoke_session(raw_token: str, *, session: Session) -> bool:
    result = session.execute(
        update(UserSession)
        .where(
            col(UserSession.token_hash) == hash_token(raw_token),
            col(UserSession.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    session.commit()
    return bool(result.rowcount)


def revoke_user_sessions(
    user_id: uuid.UUID, *, session: Session, except_token: str | None = None
) -> int:
    """Revoke every live session of one user, optionally keeping the caller's."""
    stmt = update(UserSession).where(
        col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None)
    )
    if except_token:
        stmt = stmt.where(col(UserSession.token_hash) != hash_token(except_token))
    result = session.execute(stmt.values(revoked_at=utcnow()))
    session.commit()
    return int(result.rowcount or 0)


def revoke_session_by_id(session_id: uuid.UUID, *, user_id: uuid.UUID, session: Session) -> None:
    """Sign one device out; someone else's session id is NotFound."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFound("session")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()


@dataclass(frozen=True)
class SessionInfo:
    id: str
    user_agent: str
    ip_address: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def list_sessions(
    user_id: uuid.UUID, *, session: Session, current_token: str = ""
) -> list[SessionInfo]:
    """Live sessions of this user only, most recently used first."""
    current_hash = hash_token(current_token) if current_token else ""
    rows = session.exec(
        select(UserSession)
        .where(
            UserSession.user_id == user_id,
            col(UserSession.revoked_at).is_(None),
            UserSession.expires_at > utcnow(),
        )
        .order_by(col(UserSession.last_seen_at).desc())
        .limit(50)
    ).all()
    return [
        SessionInfo(
            id=str(r.id),
            user_agent=r.user_agent,
            ip_address=r.ip_address,
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            current=r.token_hash == current_hash,
        )
        for r in rows
    ]


# -------------------------------------------------------------------- login tickets
_TICKET_KEY = "aigrowth:auth:ticket:{}"


def issue_login_ticket(user_id: uuid.UUID, *, user_agent: str = "", ip_address: str = "") -> str:
    """A ≤60 s single-use ticket the browser trades at /auth/complete for the cookie.

    Reflex events run over a websocket and cannot set an HttpOnly cookie; a top-level
    navigation to an HTTP route can.
    """
    raw = new_token()
    payload = json.dumps({"user_id": str(user_id), "ua": user_agent[:512], "ip": ip_address})
    get_redis().set(_TICKET_KEY.format(hash_token(raw)), payload, ex=LOGIN_TICKET_TTL_SECONDS)
    return raw


def consume_login_ticket(raw: str) -> dict[str, str] | None:
    """The ticket's payload, once; None when unknown, used or expired."""
    if not raw or len(raw) > 200:
        return None
    value = get_redis().getdel(_TICKET_KEY.format(hash_token(raw)))
    if value is None:
        return None
    return json.loads(value)


def complete_login(raw_ticket: str, *, session: Session) -> str | None:
    """Trade a ticket for a new session token (None if the ticket is no good)."""
    payload = consume_login_ticket(raw_ticket)
    if payload is None:
        return None
    try:
        user_id = uuid.UUID(payload["user_id"])
    except (KeyError, ValueError):
        return None
    if get_user(user_id, session=session) is None:
        return None
    return create_session(
        user_id, session=session, user_agent=payload.get("ua", ""), ip_address=payload.get("ip", "")
    )


def safe_next(next_path: str | None, default: str = "/dashboard") -> str:
    """Only a relative path on this app: no scheme, no host, no protocol-relative URL."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return default
    if "\\" in next_path or any(ord(c) < 32 for c in next_path):
        return default
    if next_path.split("?")[0].rstrip("/") in {"/login", "/signup", "/forgot", "/reset"}:
        return default
    return next_path


def login_url(raw_ticket: str, next_path: str) -> str:
    api = get_settings().effective_api_url
    return f"{api}/auth/complete?ticket={quote(raw_ticket)}&next={quote(safe_next(next_path))}"


# ----------------------------------------------------------------------- throttling
def _throttle_keys(email: str, ip: str) -> dict[str, tuple[str, int]]:
    account = hash_token(email)[:32]
    return {
        "account_ip": (f"aigrowth:auth:fail:aip:{account}:{ip}", THROTTLE_FREE_PER_ACCOUNT_IP),
        "ip": (f"aigrowth:auth:fail:ip:{ip}", THROTTLE_FREE_PER_IP),
        "account": (f"aigrowth:auth:fail:acct:{account}", THROTTLE_FREE_PER_ACCOUNT),
    }


def _known_ip_key(email: str) -> str:
    return f"aigrowth:auth:known:{hash_token(email)[:32]}"


def _delay(failures: int, free: int) -> int:
    if failures < free:
        return 0
    return min(2 ** (failures - free + 1), THROTTLE_MAX_DELAY)


def check_throttle(email: str, ip: str) -> None:
    """Raise ThrottledError while a backoff is running for this account/IP."""
    redis = get_redis()
    keys = _throttle_keys(email, ip)
    known = bool(ip) and bool(redis.sismember(_known_ip_key(email), ip))
    now = utcnow().timestamp()
    wait = 0.0
    for name, (key, free) in keys.items():
        if name == "account" and known:
            continue  # the owner's usual IPs are never locked out by strangers
        data = redis.hgetall(key)
        if not data:
            continue
        failures = int(data.get(b"n", 0))
        last = float(data.get(b"t", 0))
        wait = max(wait, last + _delay(failures, free) - now)
    if wait > 0:
        raise ThrottledError(int(wait) + 1)


def record_failure(email: str, ip: str) -> None:
    redis = get_redis()
    now = utcnow().timestamp()
    pipe = redis.pipeline()
    for key, _free in _throttle_keys(email, ip).values():
        pipe.hincrby(key, "n", 1)
        pipe.hset(key, "t", now)
        pipe.expire(key, THROTTLE_WINDOW)
    pipe.execute()


def record_success(email: str, ip: str) -> None:
    redis = get_redis()
    keys = _throttle_keys(email, ip)
    redis.delete(keys["account_ip"][0])
    if ip:
        redis.sadd(_known_ip_key(email), ip)
        redis.expire(_known_ip_key(email), 90 * 24 * 3600)


def _mail_allowed(email: str, ip: str) -> bool:
    """Cap reset/verification mails per address and per IP (fixed one-hour windows)."""
    redis = get_redis()
    pipe = redis.pipeline()
    for key in (f"aigrowth:auth:mail:addr:{hash_token(email)[:32]}", f"aigrowth:auth:mail:ip:{ip}"):
        pipe.set(key, 0, ex=MAIL_LIMIT_WINDOW, nx=True)  # window starts at first mail
        pipe.incr(key)
    _, addr_count, _, ip_count = pipe.execute()
    return addr_count <= MAIL_LIMIT_PER_ADDRESS and ip_count <= MAIL_LIMIT_PER_IP


# -------------------------------------------------------------------------- sign-in
def authenticate(email: str, password: str, *, session: Session, ip: str = "") -> User:
    """The user for these credentials, or AccountError (same for every failure).

    An unverified account with the right password gets a fresh confirmation link.
    """
    email = normalize_email(email)
    if not email or not password:
        raise AccountError("Enter your email and password.")
    check_throttle(email, ip)
    user = get_user_by_email(email, session=session) if len(email) <= EMAIL_MAX else None
    if len(password) > 1024:
        password = password[:1024]  # refuse to hash megabytes; no real password is this long
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        record_failure(email, ip)
        raise AccountError(INVALID_CREDENTIALS)
    if user.email_verified_at is None:
        _send_verification(user, session=session, ip=ip)
        raise AccountError("Confirm your email first: we've sent a new link to your inbox.")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.updated_at = utcnow()
    session.add(user)
    session.commit()
    record_success(email, ip)
    return user


# -------------------------------------------------------------------------- sign-up
def _app_link(path: str) -> str:
    return get_settings().app_url.rstrip("/") + path


def _email_token_hash(raw: str, purpose: str) -> str:
    """Emailed links share one table; the purpose is bound into the stored hash, so a
    sign-up confirmation link can never be used as a password-reset link."""
    return hash_token(f"{purpose}:{raw}")


def _issue_email_token(
    user_id: uuid.UUID, purpose: str, ttl: timedelta, *, session: Session
) -> str:
    raw = new_token()
    now = utcnow()
    session.add(
        PasswordResetToken(
            user_id=user_id,
            token_hash=_email_token_hash(raw, purpose),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.commit()
    return raw


def _send_verification(user: User, *, session: Session, ip: str) -> None:
    if not _mail_allowed(user.email, ip):
        return
    raw = _issue_email_token(user.id, "verify", VERIFY_TTL, session=session)
    send_mail(
        OutgoingMail(
            to=user.email,
            subject="Confirm your email for AI Growth Manager",
            text=(
                "Welcome to AI Growth Manager!\n\n"
                "Open this link to confirm your email and sign in:\n"
                f"{_app_link('/verify?token=' + raw)}\n\n"
                "The link works once and expires in 24 hours. "
                "If you didn't sign up, ignore this email.\n"
            ),
        )
    )


@dataclass(frozen=True)
class SignUpResult:
    """`user_id` is set only when the new account may sign in at once (the very first
    account of an install, whose operator may have no mail set up yet)."""

    message: str
    user_id: uuid.UUID | None = None


def sign_up(
    email: str,
    password: str,
    *,
    session: Session,
    full_name: str = "",
    timezone: str = "UTC",
    ip: str = "",
) -> SignUpResult:
    """Register, answering the same way whether or not the email is taken.

    New address: an unverified account and a confirmation link. Taken address: the
    owner gets a "someone tried to sign up" mail. Either way: "check your inbox". The
    first account of an install is verified at once and signed in (it becomes admin).
    """
    email = normalize_email(email)
    if problem := email_problem(email):
        raise AccountError(problem)
    if problem := password_problem(password, email=email, name=full_name):
        raise AccountError(problem)
    name = full_name.strip()[:NAME_MAX]
    tz = timezone if is_valid_timezone(timezone) else "UTC"
    existing = get_user_by_email(email, session=session)
    password_hash = hash_password(password)  # hashed in every branch: equal timing
    if existing is None:
        first = session.exec(select(func.count()).select_from(User)).one() == 0
        user = User(
            email=email,
            full_name=name,
            password_hash=password_hash,
            timezone=tz,
            is_admin=_should_be_admin(email, session=session),
            email_verified_at=utcnow() if first else None,
        )
        session.add(user)
        session.commit()
        session.refresh(user)
        if first:
            return SignUpResult(NEUTRAL_SIGNUP, user.id)
        _send_verification(user, session=session, ip=ip)
    elif existing.email_verified_at is None:
        # Never confirmed: whoever proves the inbox decides the password.
        existing.password_hash = password_hash
        existing.full_name = name or existing.full_name
        existing.timezone = tz
        existing.updated_at = utcnow()
        session.add(existing)
        session.commit()
        _send_verification(existing, session=session, ip=ip)
    elif _mail_allowed(email, ip):
        send_mail(
            OutgoingMail(
                to=email,
                subject="Someone tried to sign up with your email",
                text=(
                    "Someone (maybe you) tried to create an AI Growth Manager account "
                    "with this email, but you already have one.\n\n"
                    f"Sign in: {_app_link('/login')}\n"
                    f"Forgot your password? {_app_link('/forgot')}\n\n"
                    "If it wasn't you, you can ignore this email; your account is unchanged.\n"
                ),
            )
        )
    return SignUpResult(NEUTRAL_SIGNUP)


def _take_email_token(raw: str, purpose: str, *, session: Session) -> PasswordResetToken | None:
    """Mark a token used (atomically, so two clicks cannot both succeed)."""
    if not raw or len(raw) > 200:
        return None
    now = utcnow()
    token_hash = _email_token_hash(raw, purpose)
    result = session.execute(
        update(PasswordResetToken)
        .where(
            col(PasswordResetToken.token_hash) == token_hash,
            col(PasswordResetToken.used_at).is_(None),
            col(PasswordResetToken.expires_at) > now,
        )
        .values(used_at=now)
    )
    if not result.rowcount:
        session.rollback()
        return None
    session.commit()
    return session.exec(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash)
    ).first()


def verify_email(raw_token: str, *, session: Session) -> uuid.UUID:
    """Confirm an address from its emailed link; returns the user id to sign in."""
    token = _take_email_token(raw_token, "verify", session=session)
    user = get_user(token.user_id, session=session) if token else None
    if user is None:
        raise AccountError("This link is invalid or has expired. Sign in to get a new one.")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        user.updated_at = utcnow()
        session.add(user)
        session.commit()
    return user.id


# --------------------------------------------------------------------------- resets
def request_password_reset(email: str, *, session: Session, ip: str = "") -> str:
    """Mail a reset link if the account exists; the answer never says whether it does."""
    email = normalize_email(email)
    if problem := email_problem(email):
        raise AccountError(problem)
    user = get_user_by_email(email, session=session)
    allowed = _mail_allowed(email, ip)
    if user is not None and user.is_active and allowed:
        raw = _issue_email_token(user.id, "reset", RESET_TTL, session=session)
        send_mail(
            OutgoingMail(
                to=user.email,
                subject="Reset your AI Growth Manager password",
                text=(
                    "Someone (hopefully you) asked to reset your password.\n\n"
                    f"Choose a new one here:\n{_app_link('/reset?token=' + raw)}\n\n"
                    "The link works once and expires in 30 minutes. If you didn't ask, "
                    "ignore this email: your password stays the same.\n"
                ),
            )
        )
    else:
        _burn(email)  # similar work to issuing a token and writing a mail
    return NEUTRAL_RESET


def reset_token_is_valid(raw: str, *, session: Session) -> bool:
    if not raw or len(raw) > 200:
        return False
    row = session.exec(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == _email_token_hash(raw, "reset"),
        )
    ).first()
    return row is not None and row.used_at is None and row.expires_at > utcnow()


def reset_password(raw_token: str, new_password: str, *, session: Session) -> uuid.UUID:
    """Set a new password from a reset link; every existing session is revoked.

    The address is proven by the mail, so an unverified account becomes verified.
    """
    if not reset_token_is_valid(raw_token, session=session):
        raise AccountError("This reset link is invalid or has expired. Ask for a new one.")
    row = session.exec(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == _email_token_hash(raw_token, "reset")
        )
    ).first()
    user = get_user(row.user_id, session=session) if row else None
    if user is None:
        raise AccountError("This reset link is invalid or has expired. Ask for a new one.")
    if problem := password_problem(new_password, email=user.email, name=user.full_name):
        raise AccountError(problem)
    if _take_email_token(raw_token, "reset", session=session) is None:
        raise AccountError("This reset link is invalid or has expired. Ask for a new one.")
    user.password_hash = hash_password(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()
    user.updated_at = utcnow()
    session.add(user)
    session.commit()
    revoke_user_sessions(user.id, session=session)
    # Other outstanding reset links for this user die with the old password.
    session.execute(
        update(PasswordResetToken)
        .where(
            col(PasswordResetToken.user_id) == user.id,
            col(PasswordResetToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    session.commit()
    return user.id


# -------------------------------------------------------------------------- profile
@dataclass(frozen=True)
class Profile:
    id: str
    email: str
    full_name: str
    timezone: str
    is_admin: bool
    # False for accounts made by signing in with Google/GitHub until a password is set
    # (through the reset link: it proves the inbox, like any forgotten password).
    has_password: bool = True


def get_profile(user_id: uuid.UUID, *, session: Session) -> Profile:
    user = get_user(user_id, session=session)
    if user is None:
        raise NotFound("user")
    return Profile(
        str(user.id),
        user.email,
        user.full_name,
        user.timezone,
        user.is_admin,
        bool(user.password_hash),
    )


def update_profile(
    user_id: uuid.UUID, *, session: Session, full_name: str, timezone: str
) -> Profile:
    user = get_user(user_id, session=session)
    if user is None:
        raise NotFound("user")
    name = full_name.strip()
    if len(name) > NAME_MAX:
        raise AccountError(f"Keep your name under {NAME_MAX} characters.")
    if not is_valid_timezone(timezone):
        raise AccountError("Pick a time zone from the list.")
    user.full_name = name
    user.timezone = timezone
    user.updated_at = utcnow()
    session.add(user)
    session.commit()
    return get_profile(user_id, session=session)


def change_email(
    user_id: uuid.UUID, new_email: str, password: str, *, session: Session, ip: str = ""
) -> Profile:
    """Change the sign-in email; the current password is required."""
    user = get_user(user_id, session=session)
    if user is None:
        raise NotFound("user")
    new_email = normalize_email(new_email)
    if problem := email_problem(new_email):
        raise AccountError(problem)
    check_throttle(user.email, ip)
    if not verify_password(user.password_hash, password):
        record_failure(user.email, ip)
        raise AccountError("Your current password is not correct.")
    if new_email != user.email:
        if get_user_by_email(new_email, session=session) is not None:
            raise AccountError("That email can't be used. Try another one.")
        old = user.email
        user.email = new_email
        user.updated_at = utcnow()
        session.add(user)
        session.commit()
        send_mail(
            OutgoingMail(
                to=old,
                subject="Your AI Growth Manager email was changed",
                text=f"Your sign-in email was changed to {new_email}. If this wasn't you, "
                f"reset your password: {_app_link('/forgot')}\n",
            )
        )
    return get_profile(user_id, session=session)


def change_password(
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
    *,
    session: Session,
    keep_token: str = "",
    ip: str = "",
) -> int:
    """Change the password; every other session is revoked. Returns how many."""
    user = get_user(user_id, session=session)
    if user is None:
        raise NotFound("user")
    check_throttle(user.email, ip)
    if not verify_password(user.password_hash, current_password):
        record_failure(user.email, ip)
        raise AccountError("Your current password is not correct.")
    if problem := password_problem(new_password, email=user.email, name=user.full_name):
        raise AccountError(problem)
    user.password_hash = hash_password(new_password)
    user.updated_at = utcnow()
    session.add(user)
    session.commit()
    return revoke_user_sessions(user_id, session=session, except_token=keep_token or None)


# ------------------------------------------------------------------------ isolation
def get_owned_business(
    business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> Business:
    """The pattern every capability follows: load by id AND owner, else NotFound.

    Someone else's id and a missing id are indistinguishable to the caller.
    """
    try:
        bid = business_id if isinstance(business_id, uuid.UUID) else uuid.UUID(str(business_id))
    except ValueError as exc:
        raise NotFound("business") from exc
    business = session.exec(
        select(Business).where(Business.id == bid, Business.user_id == user_id)
    ).first()
    if business is None:
        raise NotFound("business")
    return business


def get_owned(
    model: Any, object_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> Any:
    """Generic owner-scoped fetch for any table with `id` and `user_id` columns."""
    try:
        oid = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except ValueError as exc:
        raise NotFound(model.__name__) from exc
    row = session.exec(select(model).where(model.id == oid, model.user_id == user_id)).first()
    if row is None:
        raise NotFound(model.__name__)
    return row


def parse_cookie(cookie_header: str, name: str = SESSION_COOKIE) -> str:
    """One cookie's value from a raw Cookie header ('' when absent or malformed)."""
    for part in (cookie_header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return ""
