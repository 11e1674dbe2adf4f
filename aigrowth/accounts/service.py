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
  "check your inbox" and the mail tells the real owner what happened. Mails go out from
  a job (`deliver_account_mail`), so a reset request does the same work whether or not
  the account exists: the job looks the address up.
- Confirmation before anything: an unconfirmed account has no usable password. Each
  sign-up's password hash travels with its own confirmation link, and the link works
  only with a password submitted in a sign-up to that address, so a second sign-up by
  someone else can neither change the password nor ride on the owner's link. Admin
  rights (ADMIN_EMAILS) are granted at confirmation, never before.
- Throttling on the real client address (aigrowth.netaddr, TRUSTED_PROXY_HOPS): failed
  sign-ins back off per (account, IP) and per IP; an account-wide limit, far higher and
  with a one-minute ceiling, catches distributed guessing, and IPs that signed in to the
  account before are exempt from it, so strangers cannot lock the owner out.
- Mails are capped per address and per client; a capped request is told "try again in
  N minutes" instead of a "we've sent you a message" that was never sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
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
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from aigrowth import queues
from aigrowth.accounts import mails
from aigrowth.accounts.models import PasswordResetToken, User, UserIdentity, UserSession
from aigrowth.businesses.models import Business
from aigrowth.db import session_scope
from aigrowth.dbtypes import utcnow
from aigrowth.mail import send_mail
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
# Account-wide (all IPs together): only distributed guessing gets here. Far above what
# one client may try, and its backoff never exceeds a minute, so it slows a botnet
# without ever shutting the owner out (their known IPs skip it altogether).
THROTTLE_FREE_PER_ACCOUNT = 300
THROTTLE_MAX_DELAY = 15 * 60
THROTTLE_MAX_DELAY_ACCOUNT = 60
THROTTLE_WINDOW = 60 * 60  # failure counters forget after an hour without failures
# Account mails per address and per client IP (stops mail bombing), and sign-up /
# reset requests per client IP, in fixed one-hour windows.
MAIL_LIMIT_PER_ADDRESS = 5
MAIL_LIMIT_PER_IP = 30
MAIL_LIMIT_WINDOW = 60 * 60
SIGNUP_LIMIT_PER_IP = 10
FORGOT_LIMIT_PER_IP = 20
# Account mails go out from a job on this RQ queue, enqueued by dotted path.
MAIL_QUEUE = queues.DEFAULT
MAIL_JOB = "workers.mail_jobs.deliver_account_mail"

INVALID_CREDENTIALS = "That email and password don't match an account."
NEUTRAL_SIGNUP = "Check your inbox: we've sent you a link to continue."
NEUTRAL_RESET = "If an account uses that email, we've sent it a reset link."

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


# --------------------------------------------------------------------------- errors
class AccountError(Exception):
    """A user-facing refusal; `str(exc)` is safe to show."""


def _wait_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


class ThrottledError(AccountError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"Too many attempts. Try again in {_wait_words(retry_after)}.")


class MailLimitError(AccountError):
    """No mail was sent: this address or client had its share for the hour."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            "We've sent several emails here recently, so we didn't send another. "
            f"Try again in {_wait_words(retry_after)}."
        )


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
        is_admin=verified and _should_be_admin(email, session=session),
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
# The browser half of a ticket: a cookie only the browser that signed in holds, sent
# to /auth/complete alone. A ticket URL opened anywhere else (login CSRF: an attacker
# signing a victim in to the attacker's account) finds no matching cookie.
TICKET_COOKIE = "aig_ticket"
TICKET_COOKIE_PATH = "/auth/complete"


def issue_login_ticket(
    user_id: uuid.UUID, *, binding: str, user_agent: str = "", ip_address: str = ""
) -> str:
    """A ≤60 s single-use ticket the browser trades at /auth/complete for the cookie.

    Reflex events run over a websocket and cannot set an HttpOnly cookie; a top-level
    navigation to an HTTP route can. `binding` is the value of the TICKET_COOKIE the
    same browser will present (only its hash is stored).
    """
    if len(binding) < 32:
        raise ValueError("a login ticket needs a browser binding")
    raw = new_token()
    payload = json.dumps(
        {
            "user_id": str(user_id),
            "ua": user_agent[:512],
            "ip": ip_address,
            "binding": hash_token(binding),
        }
    )
    get_redis().set(_TICKET_KEY.format(hash_token(raw)), payload, ex=LOGIN_TICKET_TTL_SECONDS)
    return raw


def consume_login_ticket(raw: str, binding: str) -> dict[str, str] | None:
    """The ticket's payload, once, for the browser it was bound to; None when unknown,
    used, expired or presented by another browser (the ticket is spent either way)."""
    if not raw or len(raw) > 200:
        return None
    value = get_redis().getdel(_TICKET_KEY.format(hash_token(raw)))
    if value is None:
        return None
    payload = json.loads(value)
    expected = str(payload.get("binding", ""))
    if not binding or len(binding) > 200 or not expected:
        return None
    if not hmac.compare_digest(expected, hash_token(binding)):
        log.warning("Sign-in ticket presented by a browser it was not issued to; refused")
        return None
    return payload


def complete_login(raw_ticket: str, binding: str, *, session: Session) -> str | None:
    """Trade a ticket for a new session token (None if the ticket is no good)."""
    payload = consume_login_ticket(raw_ticket, binding)
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
def _throttle_keys(email: str, ip: str) -> dict[str, tuple[str, int, int]]:
    """name → (Redis key, free failures, longest backoff)."""
    account = hash_token(email)[:32]
    return {
        "account_ip": (
            f"aigrowth:auth:fail:aip:{account}:{ip}",
            THROTTLE_FREE_PER_ACCOUNT_IP,
            THROTTLE_MAX_DELAY,
        ),
        "ip": (f"aigrowth:auth:fail:ip:{ip}", THROTTLE_FREE_PER_IP, THROTTLE_MAX_DELAY),
        "account": (
            f"aigrowth:auth:fail:acct:{account}",
            THROTTLE_FREE_PER_ACCOUNT,
            THROTTLE_MAX_DELAY_ACCOUNT,
        ),
    }


def _known_ip_key(email: str) -> str:
    return f"aigrowth:auth:known:{hash_token(email)[:32]}"


def _delay(failures: int, free: int, ceiling: int = THROTTLE_MAX_DELAY) -> int:
    if failures < free:
        return 0
    return min(2 ** min(failures - free + 1, 30), ceiling)


def check_throttle(email: str, ip: str) -> None:
    """Raise ThrottledError while a backoff is running for this account/IP."""
    redis = get_redis()
    keys = _throttle_keys(email, ip)
    known = bool(ip) and bool(redis.sismember(_known_ip_key(email), ip))
    now = utcnow().timestamp()
    wait = 0.0
    for name, (key, free, ceiling) in keys.items():
        if name == "account" and known:
            continue  # the owner's usual IPs are never locked out by strangers
        data = redis.hgetall(key)
        if not data:
            continue
        failures = int(data.get(b"n", 0))
        last = float(data.get(b"t", 0))
        wait = max(wait, last + _delay(failures, free, ceiling) - now)
    if wait > 0:
        raise ThrottledError(int(wait) + 1)


def record_failure(email: str, ip: str) -> None:
    redis = get_redis()
    now = utcnow().timestamp()
    pipe = redis.pipeline()
    for key, _free, _ceiling in _throttle_keys(email, ip).values():
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


def _take_slots(limits: list[tuple[str, int]]) -> int:
    """Count one use against each (key, limit) fixed one-hour window; 0 when every
    limit still holds, else the seconds until the fullest window ends. A refused use
    is not counted, so a refusal never extends the wait."""
    redis = get_redis()
    pipe = redis.pipeline()
    for key, _limit in limits:
        pipe.set(key, 0, ex=MAIL_LIMIT_WINDOW, nx=True)  # window starts at first use
        pipe.incr(key)
        pipe.ttl(key)
    replies = pipe.execute()
    wait = 0
    for index, (_key, limit) in enumerate(limits):
        count, ttl = int(replies[3 * index + 1]), int(replies[3 * index + 2])
        if count > limit:
            wait = max(wait, ttl if ttl > 0 else MAIL_LIMIT_WINDOW)
    if wait:
        undo = redis.pipeline()
        for key, _limit in limits:
            undo.decr(key)
        undo.execute()
    return wait


def _limit_requests(action: str, ip: str, limit: int) -> None:
    """Sign-up and reset requests per client address (ThrottledError when over)."""
    if wait := _take_slots([(f"aigrowth:auth:req:{action}:{ip}", limit)]):
        raise ThrottledError(wait)


def _reserve_mail(email: str, ip: str) -> None:
    """Count one account mail to `email` from client `ip`, or raise MailLimitError.

    Counted before looking the address up, so a known and an unknown address hit the
    cap alike (the answer reveals nothing). The caller then always queues its mail.
    """
    wait = _take_slots(
        [
            (f"aigrowth:auth:mail:addr:{hash_token(email)[:32]}", MAIL_LIMIT_PER_ADDRESS),
            (f"aigrowth:auth:mail:ip:{ip}", MAIL_LIMIT_PER_IP),
        ]
    )
    if wait:
        log.warning("Account mail refused by the hourly cap (retry in %ss)", wait)
        raise MailLimitError(wait)


# -------------------------------------------------------------------------- sign-in
def authenticate(email: str, password: str, *, session: Session, ip: str = "") -> User:
    """The user for these credentials, or AccountError (same for every failure).

    An unconfirmed account has no usable password yet: the password of its latest
    sign-up is checked instead, and when it matches a fresh confirmation link (bound to
    that same password) is mailed.
    """
    email = normalize_email(email)
    if not email or not password:
        raise AccountError("Enter your email and password.")
    check_throttle(email, ip)
    user = get_user_by_email(email, session=session) if len(email) <= EMAIL_MAX else None
    if len(password) > 1024:
        password = password[:1024]  # refuse to hash megabytes; no real password is this long
    pending = None
    stored = user.password_hash if user else None
    if user is not None and user.email_verified_at is None:
        pending = _latest_sign_up(user.id, session=session)
        stored = pending.password_hash if pending is not None else stored
    ok = verify_password(stored, password)
    if not ok or user is None or not user.is_active:
        record_failure(email, ip)
        raise AccountError(INVALID_CREDENTIALS)
    if user.email_verified_at is None:
        try:
            _reserve_mail(user.email, ip)
        except MailLimitError as exc:
            raise AccountError(
                f"Confirm your email first with the link we sent you. {exc}"
            ) from None
        _queue_confirmation(user.id, stored or "", session=session)
        raise AccountError("Confirm your email first: we've sent a new link to your inbox.")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.updated_at = utcnow()
    session.add(user)
    session.commit()
    record_success(email, ip)
    return user


# ---------------------------------------------------------------------- account mail
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


def _pending_link(
    user_id: uuid.UUID,
    ttl: timedelta,
    *,
    session: Session,
    password_hash: str | None = None,
    new_email: str | None = None,
) -> uuid.UUID:
    """A link row whose token the mail job mints (so no live token ever sits in the job
    queue): until then its hash is that of a random value nobody holds."""
    now = utcnow()
    row = PasswordResetToken(
        user_id=user_id,
        token_hash=hash_token(new_token()),
        created_at=now,
        expires_at=now + ttl,
        password_hash=password_hash,
        new_email=new_email,
    )
    session.add(row)
    session.commit()
    return row.id


def _mint(row_id: str, purpose: str, *, session: Session) -> tuple[PasswordResetToken, str] | None:
    """Give a pending link row its real token (job side); None when used or expired."""
    try:
        row = session.get(PasswordResetToken, uuid.UUID(row_id))
    except ValueError:
        return None
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    raw = new_token()
    row.token_hash = _email_token_hash(raw, purpose)
    session.add(row)
    session.commit()
    return row, raw


def _workers_listening() -> bool:
    try:
        from rq import Worker

        return bool(Worker.all(connection=get_redis(), queue=queues.get_queue(MAIL_QUEUE)))
    except Exception:
        return False


def queue_account_mail(kind: str, *refs: str) -> None:
    """Send an account mail from a job, never inside the request.

    The request's answer then takes the same time whatever the mail (or whether there
    is one: the job decides). With no worker listening (a bare `reflex run`) the job
    runs in a thread of this process, which the request does not wait for either.
    The job's description names only the kind, so no address reaches the worker log.
    """
    if _workers_listening():
        try:
            from rq import Retry

            queues.enqueue(
                MAIL_JOB,
                kind,
                *refs,
                queue=MAIL_QUEUE,
                description=f"account mail ({kind})",
                job_timeout=120,
                retry=Retry(max=3, interval=[10, 60, 300]),
                result_ttl=0,
                failure_ttl=7 * 24 * 3600,
            )
            return
        except Exception:
            log.exception("Could not queue an account mail; sending it from this process")
    threading.Thread(
        target=_deliver_logged, args=(kind, *refs), daemon=True, name=f"mail-{kind}"
    ).start()


def _deliver_logged(kind: str, *refs: str) -> None:
    try:
        deliver_account_mail(kind, *refs)
    except Exception:
        log.exception("Account mail (%s) could not be sent", kind)


def deliver_account_mail(kind: str, *refs: str) -> None:
    """The mail job (workers.mail_jobs): build the link, if any, and send.

    kinds: "verify" (row id), "reset" (address: looked up here, not in the request),
    "signup_exists" (address), "email_change" (row id), "email_changed" (old, new).
    """
    with session_scope() as db:
        if kind == "verify":
            minted = _mint(refs[0], "verify", session=db)
            user = get_user(minted[0].user_id, session=db) if minted else None
            if minted and user is not None and user.email_verified_at is None:
                send_mail(mails.confirm_sign_up(user.email, minted[1]))
        elif kind == "reset":
            user = get_user_by_email(refs[0], session=db)
            if user is not None and user.is_active:
                raw = _issue_email_token(user.id, "reset", RESET_TTL, session=db)
                send_mail(mails.reset_password(user.email, raw))
        elif kind == "signup_exists":
            send_mail(mails.sign_up_again(refs[0]))
        elif kind == "email_change":
            minted = _mint(refs[0], "email", session=db)
            user = get_user(minted[0].user_id, session=db) if minted else None
            if minted and user is not None and minted[0].new_email:
                send_mail(mails.confirm_new_email(minted[0].new_email, minted[1]))
                send_mail(mails.email_change_requested(user.email, minted[0].new_email))
        elif kind == "email_changed":
            send_mail(mails.email_changed(refs[0], refs[1]))
        else:
            raise ValueError(f"unknown account mail kind {kind!r}")


# -------------------------------------------------------------------------- sign-up
def _latest_sign_up(user_id: uuid.UUID, *, session: Session) -> PasswordResetToken | None:
    """The newest live confirmation link of an account that carries a password."""
    return session.exec(
        select(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user_id,
            col(PasswordResetToken.password_hash).is_not(None),
            col(PasswordResetToken.used_at).is_(None),
            PasswordResetToken.expires_at > utcnow(),
        )
        .order_by(col(PasswordResetToken.created_at).desc())
        .limit(1)
    ).first()


def _queue_confirmation(user_id: uuid.UUID, password_hash: str, *, session: Session) -> None:
    row_id = _pending_link(user_id, VERIFY_TTL, session=session, password_hash=password_hash)
    queue_account_mail("verify", str(row_id))


@dataclass(frozen=True)
class SignUpResult:
    """`user_id` is set only when the new account may sign in at once (the very first
    account of an install without ADMIN_EMAILS, whose operator may have no mail set up
    yet)."""

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

    New address: an unconfirmed account (no usable password) and a confirmation link
    that carries this sign-up's password. Address of an unconfirmed account: nothing on
    the account changes; another link carries the new password, and only whoever opens
    a link *and* knows a password submitted with a sign-up confirms it. Confirmed
    address: the owner gets a "someone tried to sign up" mail. Either way: "check your
    inbox", or "try again in N minutes" when this address or client had its mails.
    The first account of an install without ADMIN_EMAILS is confirmed at once and
    signed in (it becomes admin).
    """
    email = normalize_email(email)
    if problem := email_problem(email):
        raise AccountError(problem)
    if problem := password_problem(password, email=email, name=full_name):
        raise AccountError(problem)
    _limit_requests("signup", ip, SIGNUP_LIMIT_PER_IP)
    name = full_name.strip()[:NAME_MAX]
    tz = timezone if is_valid_timezone(timezone) else "UTC"
    existing = get_user_by_email(email, session=session)
    first = existing is None and not get_settings().admin_email_list and _no_users(session)
    if not first:
        _reserve_mail(email, ip)
    password_hash = hash_password(password)  # hashed in every branch: equal timing
    if first:
        user = User(
            email=email,
            full_name=name,
            password_hash=password_hash,
            timezone=tz,
            is_admin=True,
            email_verified_at=utcnow(),
        )
        session.add(user)
        session.commit()
        session.refresh(user)
        return SignUpResult(NEUTRAL_SIGNUP, user.id)
    if existing is None:
        user = User(email=email, full_name=name, password_hash=None, timezone=tz)
        session.add(user)
        session.commit()
        session.refresh(user)
        _queue_confirmation(user.id, password_hash, session=session)
    elif existing.email_verified_at is None:
        _queue_confirmation(existing.id, password_hash, session=session)
    else:
        queue_account_mail("signup_exists", email)
    return SignUpResult(NEUTRAL_SIGNUP)


def _no_users(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(User)).one() == 0


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


def _live_email_token(raw: str, purpose: str, *, session: Session) -> PasswordResetToken | None:
    if not raw or len(raw) > 200:
        return None
    row = session.exec(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == _email_token_hash(raw, purpose)
        )
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def _close_links(user_id: uuid.UUID, *, session: Session) -> None:
    """Every outstanding emailed link of this user stops working (the password or the
    address it was made for has just changed)."""
    session.execute(
        update(PasswordResetToken)
        .where(
            col(PasswordResetToken.user_id) == user_id,
            col(PasswordResetToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    session.commit()


def _grant_confirmed(user: User) -> None:
    """The address is proven now: the only moment ADMIN_EMAILS may make an admin."""
    user.email_verified_at = user.email_verified_at or utcnow()
    user.is_admin = user.is_admin or user.email in get_settings().admin_email_list


VERIFY_EXPIRED = "This link is invalid or has expired. Sign up again to get a new one."
VERIFY_WRONG_PASSWORD = (
    "That isn't a password chosen when signing up with this email. Try again, or set "
    "a new one with “Forgot your password?”."
)


def verify_token_is_valid(raw: str, *, session: Session) -> bool:
    return _live_email_token(raw, "verify", session=session) is not None


def confirm_sign_up(raw_token: str, password: str, *, session: Session, ip: str = "") -> uuid.UUID:
    """Confirm an address from its emailed link and the password chosen at sign-up.

    The link proves the inbox; the password must be one submitted with a live sign-up
    of this address (usually the link's own). That password becomes the account's, and
    every other link dies. Returns the user id to sign in.
    """
    token = _live_email_token(raw_token, "verify", session=session)
    user = get_user(token.user_id, session=session) if token else None
    if token is None or user is None:
        raise AccountError(VERIFY_EXPIRED)
    check_throttle(user.email, ip)
    password = password[:1024]
    if user.email_verified_at is not None:
        # Already confirmed (another link, a reset): the link just signs in, with the
        # account's password like any sign-in.
        if not verify_password(user.password_hash, password):
            record_failure(user.email, ip)
            raise AccountError("That password is not correct.")
        chosen = user.password_hash
    else:
        rows = session.exec(
            select(PasswordResetToken)
            .where(
                PasswordResetToken.user_id == user.id,
                col(PasswordResetToken.password_hash).is_not(None),
                col(PasswordResetToken.used_at).is_(None),
                PasswordResetToken.expires_at > utcnow(),
            )
            .order_by(col(PasswordResetToken.created_at).desc())
            .limit(5)
        ).all()
        candidates = [token, *[r for r in rows if r.id != token.id]]
        chosen = next(
            (
                r.password_hash
                for r in candidates
                if r.password_hash and verify_password(r.password_hash, password)
            ),
            None,
        )
        if chosen is None:
            record_failure(user.email, ip)
            raise AccountError(VERIFY_WRONG_PASSWORD)
    if _take_email_token(raw_token, "verify", session=session) is None:
        raise AccountError(VERIFY_EXPIRED)
    user.password_hash = chosen
    _grant_confirmed(user)
    user.updated_at = utcnow()
    session.add(user)
    session.commit()
    _close_links(user.id, session=session)
    record_success(user.email, ip)
    return user.id


# --------------------------------------------------------------------------- resets
def request_password_reset(email: str, *, session: Session, ip: str = "") -> str:
    """Queue a reset mail; the job looks the account up, so this request does the same
    work for a known and an unknown address (same answer, same time)."""
    del session  # the request never reads the account: that is the point
    email = normalize_email(email)
    if problem := email_problem(email):
        raise AccountError(problem)
    _limit_requests("forgot", ip, FORGOT_LIMIT_PER_IP)
    _reserve_mail(email, ip)
    queue_account_mail("reset", email)
    return NEUTRAL_RESET


def reset_token_is_valid(raw: str, *, session: Session) -> bool:
    return _live_email_token(raw, "reset", session=session) is not None


def reset_sign_ins(raw: str, *, session: Session) -> list[str]:
    """For the reset page: the other ways into this account, which a new password does
    not close ("Google (ada@gmail.com)"). Empty for an invalid link."""
    row = _live_email_token(raw, "reset", session=session)
    if row is None:
        return []
    return [m.label for m in list_sign_in_methods(row.user_id, session=session)]


def reset_password(raw_token: str, new_password: str, *, session: Session) -> uuid.UUID:
    """Set a new password from a reset link; every existing session is revoked.

    The address is proven by the mail, so an unverified account becomes verified.
    """
    row = _live_email_token(raw_token, "reset", session=session)
    user = get_user(row.user_id, session=session) if row else None
    if user is None:
        raise AccountError("This reset link is invalid or has expired. Ask for a new one.")
    if problem := password_problem(new_password, email=user.email, name=user.full_name):
        raise AccountError(problem)
    if _take_email_token(raw_token, "reset", session=session) is None:
        raise AccountError("This reset link is invalid or has expired. Ask for a new one.")
    user.password_hash = hash_password(new_password)
    _grant_confirmed(user)
    user.updated_at = utcnow()
    session.add(user)
    session.commit()
    revoke_user_sessions(user.id, session=session)
    # Other outstanding links (resets, sign-up confirmations) die with the old password.
    _close_links(user.id, session=session)
    return user.id


# ------------------------------------------------------------------ sign-in methods
@dataclass(frozen=True)
class SignInMethod:
    """A linked Google/GitHub sign-in, for Settings and the reset page."""

    id: str
    provider: str
    label: str  # "Google (ada@gmail.com)"


def provider_of_issuer(issuer: str) -> str:
    """ "google" | "github" | "" for an identity's issuer (as oauth.py stores it)."""
    settings = get_settings()
    if issuer in {"https://accounts.google.com", settings.google_issuer.rstrip("/")}:
        return "google"
    if issuer == settings.github_auth_base.rstrip("/"):
        return "github"
    return ""


def list_sign_in_methods(user_id: uuid.UUID, *, session: Session) -> list[SignInMethod]:
    rows = session.exec(
        select(UserIdentity)
        .where(UserIdentity.user_id == user_id)
        .order_by(col(UserIdentity.created_at))
    ).all()
    methods = []
    for row in rows:
        provider = provider_of_issuer(row.issuer)
        name = {"google": "Google", "github": "GitHub"}.get(provider, row.issuer)
        label = f"{name} ({row.email})" if row.email else name
        methods.append(SignInMethod(str(row.id), provider, label))
    return methods


def remove_sign_in_method(identity_id: str, *, user_id: uuid.UUID, session: Session) -> None:
    """Unlink one sign-in of this user (someone else's id is NotFound). The last way in
    stays: an account without a password keeps at least one linked sign-in."""
    row = get_owned(UserIdentity, identity_id, user_id=user_id, session=session)
    user = get_user(user_id, session=session)
    if user is None:
        raise NotFound("user")
    others = session.exec(
        select(func.count())
        .select_from(UserIdentity)
        .where(UserIdentity.user_id == user_id, UserIdentity.id != row.id)
    ).one()
    if not user.password_hash and not others:
        raise AccountError(
            "This is your only way to sign in. Choose a password first, then remove it."
        )
    session.delete(row)
    session.commit()


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


EMAIL_CHANGE_TTL = timedelta(hours=24)
EMAIL_LINK_EXPIRED = "This link is invalid, already used or expired. Ask for a new one in Settings."


def change_email(
    user_id: uuid.UUID, new_email: str, password: str, *, session: Session, ip: str = ""
) -> str:
    """Ask to change the sign-in email (the current password is required).

    Nothing changes yet: a link goes to the new address (proving it is the user's) and
    a notice to the current one. Returns the address the link was sent to.
    """
    user = get_user(user_id, session=session)
    if user is None:
        raise NotFound("user")
    new_email = normalize_email(new_email)
    if problem := email_problem(new_email):
        raise AccountError(problem)
    check_throttle(user.email, ip)
    if not verify_password(user.password_hash, password[:1024]):
        record_failure(user.email, ip)
        raise AccountError("Your current password is not correct.")
    if new_email == user.email:
        raise AccountError("That is already your email.")
    if get_user_by_email(new_email, session=session) is not None:
        raise AccountError("That email can't be used. Try another one.")
    _reserve_mail(new_email, ip)
    row_id = _pending_link(user.id, EMAIL_CHANGE_TTL, session=session, new_email=new_email)
    queue_account_mail("email_change", str(row_id))
    return new_email


def pending_email_change(raw_token: str, *, session: Session) -> str:
    """The new address a live email-change link would set ('' when it is no good)."""
    row = _live_email_token(raw_token, "email", session=session)
    return (row.new_email or "") if row is not None else ""


def confirm_email_change(raw_token: str, *, session: Session) -> str:
    """Apply an email change from the link sent to the new address; returns it.

    The old address is told. Other pending links of the account (resets, other
    changes) die: they were made for the old address.
    """
    row = _live_email_token(raw_token, "email", session=session)
    user = get_user(row.user_id, session=session) if row else None
    if row is None or user is None or not row.new_email:
        raise AccountError(EMAIL_LINK_EXPIRED)
    new_email = row.new_email
    if get_user_by_email(new_email, session=session) is not None:
        raise AccountError("Another account started using that email meanwhile.")
    if _take_email_token(raw_token, "email", session=session) is None:
        raise AccountError(EMAIL_LINK_EXPIRED)
    old = user.email
    user.email = new_email
    user.email_verified_at = utcnow()
    user.updated_at = utcnow()
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise AccountError("Another account started using that email meanwhile.") from None
    _close_links(user.id, session=session)
    queue_account_mail("email_changed", old, new_email)
    return new_email


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
