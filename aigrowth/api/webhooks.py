"""Outbound webhooks: endpoints, events found in the database, signed deliveries.

- **Events** (``EVENTS``) are found by :func:`scan` from what the database says (posts
  that ended published / failed / needs attention, accounts that need reconnecting,
  re-plan proposals), not from hooks in the publisher: a crash between a commit and a
  notification cannot lose an event, and the publishing code stays untouched. Each
  event has a key (e.g. ``post.failed:<id>:<attempt>``) that is unique per endpoint,
  so a scan that runs twice delivers once.
- **Deliveries** are POSTs of ``{"id", "type", "created_at", "data"}`` signed with the
  endpoint's secret: ``Webhook-Signature: v1=<hex HMAC-SHA256(secret, f"{ts}.{body}")>``
  with ``Webhook-Timestamp: <ts>`` (Unix seconds) and ``Webhook-Id``. A 2xx answer is
  success; anything else is retried with exponential backoff (``BACKOFF_S`` * 2^n) up
  to ``MAX_ATTEMPTS``, then the delivery is failed. Every attempt is recorded (status,
  first KB of the answer) for the user to see and redeliver.
- **SSRF**: endpoint URLs must be public https (resolved, every address checked) when
  registered, and every delivery goes through the same guarded transport as the
  Mastodon/Bluesky connectors (the name is resolved and checked again each time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from aigrowth.api.models import WebhookDelivery, WebhookEndpoint
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.settings import get_settings
from aigrowth.social import vault
from aigrowth.social.connectors.netguard import (
    GuardedTransport,
    UnresolvableHostError,
    UnsafeDestinationError,
    port_problem,
    resolve_checked,
)
from aigrowth.social.models import AccountStatus, SocialAccount
from aigrowth.strategy.models import StrategyProposal

log = logging.getLogger(__name__)

EVENTS = (
    "post.published",
    "post.failed",
    "post.needs_attention",
    "account.needs_reconnect",
    "strategy.proposed",
)
MAX_ENDPOINTS = 10
MAX_ATTEMPTS = 6
BACKOFF_S = 30  # 30 s, 1 min, 2 min, 4 min, 8 min between the 6 attempts
TIMEOUT_S = 10.0
LEASE = timedelta(seconds=60)  # > TIMEOUT_S: a crashed sender's delivery is taken over
SCAN_WINDOW = timedelta(days=1)
RESPONSE_KEPT = 1024
LOG_KEPT = 20


class WebhookError(Exception):
    """Bad input for a webhook operation, with a message for the user."""


class UnsafeWebhookURL(WebhookError):
    pass


# ----------------------------------------------------------------------- signing
def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``: HMAC-SHA256 with the secret over ``f"{timestamp}."`` + the raw body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_s: int = 300
) -> bool:
    """The receiver's check (documented recipe): signature matches and is recent."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


# ---------------------------------------------------------------------- endpoints
def check_endpoint_url(url: str, *, allow_private: bool | None = None) -> str:
    """A public https URL (every address of its host checked), or WebhookError."""
    url = (url or "").strip()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise WebhookError("Enter a full URL, e.g. https://hooks.example.com/aigrowth.") from None
    if parsed.scheme not in ("https", "http") or not parsed.host or len(url) > 2000:
        raise WebhookError("Enter a full URL, e.g. https://hooks.example.com/aigrowth.")
    if parsed.userinfo:
        raise WebhookError("Put no user name or password in the URL.")
    if allow_private is None:
        allow_private = get_settings().allow_private_network
    if allow_private:
        return url
    problem = port_problem(parsed.scheme, parsed.port)
    if problem:
        raise UnsafeWebhookURL(problem)
    try:
        resolve_checked(parsed.host, parsed.port or 443)
    except UnresolvableHostError:
        raise WebhookError(f"We could not find the server {parsed.host}. Check the URL.") from None
    except UnsafeDestinationError as exc:
        raise UnsafeWebhookURL(f"{exc.message} Only public servers can receive webhooks.") from None
    return url


def create_endpoint(
    user_id: uuid.UUID,
    url: str,
    events: list[str],
    *,
    session: Session,
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (``whsec_…``)."""
    url = check_endpoint_url(url)
    chosen = [e for e in EVENTS if e in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise WebhookError("Choose one or more of: " + ", ".join(EVENTS) + ".")
    count = session.exec(
        select(sa.func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.user_id == user_id)
    ).one()
    if int(count) >= MAX_ENDPOINTS:
        raise WebhookError(f"You can have up to {MAX_ENDPOINTS} webhook endpoints.")
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = WebhookEndpoint(
        user_id=user_id, url=url, events=chosen, description=description.strip()[:200]
    )
    row.secret_enc = vault.encrypt(row.id, secret)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, secret


def list_endpoints(user_id: uuid.UUID, *, session: Session) -> list[WebhookEndpoint]:
    return list(
        session.exec(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.user_id == user_id)
            .order_by(col(WebhookEndpoint.created_at))
        ).all()
    )


def owned_endpoint(
    endpoint_id: uuid.UUID, *, user_id: uuid.UUID, session: Session
) -> WebhookEndpoint:
    row = session.exec(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.user_id == user_id
        )
    ).first()
    if row is None:
        raise LookupError("That webhook endpoint was not found.")
    return row


def delete_endpoint(endpoint_id: uuid.UUID, *, user_id: uuid.UUID, session: Session) -> None:
    session.delete(owned_endpoint(endpoint_id, user_id=user_id, session=session))
    session.commit()


def list_deliveries(
    endpoint_id: uuid.UUID, *, user_id: uuid.UUID, session: Session, limit: int = 50
) -> list[WebhookDelivery]:
    endpoint = owned_endpoint(endpoint_id, user_id=user_id, session=session)
    return list(
        session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(col(WebhookDelivery.created_at).desc())
            .limit(limit)
        ).all()
    )


def owned_delivery(
    delivery_id: uuid.UUID, *, user_id: uuid.UUID, session: Session
) -> WebhookDelivery:
    row = session.exec(
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id, WebhookEndpoint.user_id == user_id)
    ).first()
    if row is None:
        raise LookupError("That delivery was not found.")
    return row


def redeliver(delivery_id: uuid.UUID, *, user_id: uuid.UUID, session: Session) -> WebhookDelivery:
    """Send a delivery again now (a finished one gets a fresh set of attempts)."""
    row = owned_delivery(delivery_id, user_id=user_id, session=session)
    if row.status == "sending":
        raise WebhookError("This delivery is being sent right now.")
    session.execute(
        sa.update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == row.id, col(WebhookDelivery.status) != "sending")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), lease_until=None)
    )
    session.commit()
    session.refresh(row)
    enqueue(row.id)
    return row


# ------------------------------------------------------------------------- events
def _record(
    endpoint: WebhookEndpoint,
    event_type: str,
    key: str,
    data: dict[str, Any],
    at: datetime,
    *,
    session: Session,
) -> uuid.UUID | None:
    if event_type not in (endpoint.events or []) or at < endpoint.created_at:
        return None
    row = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_key=key,
        event_type=event_type,
        payload={"type": event_type, "created_at": at.isoformat(), "data": data},
        next_attempt_at=utcnow(),
    )
    row.payload["id"] = str(row.event_id)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # already recorded by an earlier scan
        return None
    return row.id


def _post_data(c: Content) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "business_id": str(c.business_id),
        "platform": c.platform,
        "status": c.status,
        "text": c.text[:500],
        "scheduled_for": c.scheduled_for.isoformat() if c.scheduled_for else None,
        "published_at": c.published_at.isoformat() if c.published_at else None,
        "remote_url": c.remote_url,
        "error": c.last_error,
        "attempts": c.attempts,
    }


POST_EVENTS = {
    ContentStatus.PUBLISHED.value: "post.published",
    ContentStatus.FAILED.value: "post.failed",
    ContentStatus.NEEDS_ATTENTION.value: "post.needs_attention",
}


def scan(*, session: Session, now: datetime | None = None) -> list[uuid.UUID]:
    """Record a delivery for every new event of the last day; returns the new ids."""
    now = now or utcnow()
    since = now - SCAN_WINDOW
    endpoints = list(
        session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.active).is_(True))).all()
    )
    by_user: dict[uuid.UUID, list[WebhookEndpoint]] = {}
    for e in endpoints:
        by_user.setdefault(e.user_id, []).append(e)
    if not by_user:
        return []
    users = list(by_user)
    made: list[uuid.UUID] = []

    def add(
        user_id: uuid.UUID, event_type: str, key: str, data: dict[str, Any], at: datetime
    ) -> None:
        for endpoint in by_user.get(user_id, []):
            new = _record(endpoint, event_type, key, data, at, session=session)
            if new:
                made.append(new)

    posts = session.exec(
        select(Content, Business.user_id)
        .join(Business, Business.id == Content.business_id)
        .where(
            col(Business.user_id).in_(users),
            col(Content.status).in_(list(POST_EVENTS)),
            col(Content.updated_at) >= since,
        )
    ).all()
    for post, user_id in posts:
        event = POST_EVENTS[post.status]
        key = f"{event}:{post.id}" + ("" if event == "post.published" else f":{post.attempts}")
        add(user_id, event, key, _post_data(post), post.updated_at)
    accounts = session.exec(
        select(SocialAccount).where(
            col(SocialAccount.user_id).in_(users),
            SocialAccount.status == AccountStatus.NEEDS_RECONNECT,
            col(SocialAccount.updated_at) >= since,
        )
    ).all()
    for a in accounts:
        data = {
            "id": str(a.id),
            "platform": a.platform,
            "handle": a.handle,
            "reason": a.last_error or "",
        }
        add(
            a.user_id,
            "account.needs_reconnect",
            f"account.needs_reconnect:{a.id}:{a.updated_at:%Y%m%d}",
            data,
            a.updated_at,
        )
    proposals = session.exec(
        select(StrategyProposal, Business.user_id)
        .join(Business, Business.id == StrategyProposal.business_id)
        .where(col(Business.user_id).in_(users), col(StrategyProposal.created_at) >= since)
    ).all()
    for p, user_id in proposals:
        data = {
            "id": str(p.id),
            "business_id": str(p.business_id),
            "base_version": p.base_version,
            "summary": p.summary,
            "status": p.status,
        }
        add(user_id, "strategy.proposed", f"strategy.proposed:{p.id}", data, p.created_at)
    session.commit()
    return made


def due(*, session: Session, now: datetime | None = None, limit: int = 500) -> list[uuid.UUID]:
    """Deliveries to send now (new, retrying, or abandoned mid-send by a dead worker)."""
    now = now or utcnow()
    return list(
        session.exec(
            select(WebhookDelivery.id)
            .where(
                sa.or_(
                    sa.and_(
                        col(WebhookDelivery.status).in_(["pending", "retrying"]),
                        col(WebhookDelivery.next_attempt_at) <= now,
                    ),
                    sa.and_(
                        WebhookDelivery.status == "sending", col(WebhookDelivery.lease_until) < now
                    ),
                )
            )
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(limit)
        ).all()
    )


def enqueue(delivery_id: uuid.UUID) -> None:
    """Queue the delivery job (by dotted path); the periodic tick is the safety net."""
    try:
        from aigrowth.queues import DEFAULT
        from aigrowth.queues import enqueue as rq_enqueue

        rq_enqueue("workers.webhook_jobs.deliver", str(delivery_id), queue=DEFAULT, job_timeout=60)
    except Exception:
        log.warning("could not enqueue webhook delivery %s; the tick will", delivery_id)


# -------------------------------------------------------------------------- sending
def backoff(attempt: int) -> timedelta:
    """Wait after failed attempt ``attempt`` (1-based): 30 s, 60 s, 120 s, …"""
    return timedelta(seconds=BACKOFF_S * 2 ** (attempt - 1))


def _claim(delivery_id: uuid.UUID, now: datetime, session: Session) -> bool:
    hit = session.execute(
        sa.update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery_id,
            sa.or_(
                sa.and_(
                    col(WebhookDelivery.status).in_(["pending", "retrying"]),
                    col(WebhookDelivery.next_attempt_at) <= now,
                ),
                sa.and_(
                    WebhookDelivery.status == "sending", col(WebhookDelivery.lease_until) < now
                ),
            ),
        )
        .values(status="sending", lease_until=now + LEASE, attempts=WebhookDelivery.attempts + 1)
    ).rowcount
    session.commit()
    return hit == 1


def deliver(
    delivery_id: uuid.UUID | str,
    *,
    session: Session,
    now: datetime | None = None,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """Send one delivery if it is due; returns its new status ("" when not due)."""
    did = delivery_id if isinstance(delivery_id, uuid.UUID) else uuid.UUID(str(delivery_id))
    now = now or utcnow()
    if not _claim(did, now, session):
        return ""
    row = session.get(WebhookDelivery, did)
    assert row is not None
    session.refresh(row)
    endpoint = session.get(WebhookEndpoint, row.endpoint_id)
    assert endpoint is not None
    body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()
    ts = int(time.time())
    started = time.monotonic()
    status_code: int | None = None
    error = answer = ""
    try:
        secret = vault.decrypt(endpoint.id, endpoint.secret_enc)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "AIGrowthManager-Webhooks/1",
            "Webhook-Id": str(row.event_id),
            "Webhook-Timestamp": str(ts),
            "Webhook-Signature": sign(secret, ts, body),
        }
        with httpx.Client(
            transport=transport or GuardedTransport(), timeout=TIMEOUT_S, follow_redirects=False
        ) as client:
            response = client.post(endpoint.url, content=body, headers=headers)
        status_code = response.status_code
        answer = response.text[:RESPONSE_KEPT]
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except UnsafeDestinationError as exc:
        error = exc.message
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: could not reach the endpoint"
    except Exception as exc:  # a vault or connector error: recorded, retried
        error = type(exc).__name__
    ok = not error
    if ok:
        status, next_at = "succeeded", None
    elif row.attempts >= MAX_ATTEMPTS:
        status, next_at = "failed", None
    else:
        status, next_at = "retrying", now + backoff(row.attempts)
    entry = {
        "at": now.isoformat(),
        "attempt": row.attempts,
        "status_code": status_code,
        "error": error,
        "response": answer,
        "ms": int((time.monotonic() - started) * 1000),
    }
    session.execute(
        sa.update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == did, WebhookDelivery.status == "sending")
        .values(
            status=status,
            next_attempt_at=next_at,
            lease_until=None,
            last_status_code=status_code,
            last_error=error[:500],
            delivered_at=now if ok else None,
            log=[*(row.log or [])[-(LOG_KEPT - 1) :], entry],
        )
    )
    session.commit()
    return status
