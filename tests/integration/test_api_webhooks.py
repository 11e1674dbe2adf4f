# ruff: noqa: F811  (pytest fixtures imported from api_support are parameters here)
"""Outbound webhooks: events found in the database reach a registered endpoint through
real RQ jobs, signed as documented; a failing endpoint is retried with backoff and given
up after the cap; redeliver works; private addresses are refused at registration and at
delivery; another user's key sees none of it."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from rq import SimpleWorker
from sqlmodel import Session, select

from aigrowth.api import webhooks
from aigrowth.api.models import WebhookDelivery
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.queues import DEFAULT
from aigrowth.redis_client import get_redis
from aigrowth.settings import reset_settings_cache
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integration.api_support import Founder, api, live_app, make_api_founder  # noqa: F401
from workers import webhook_jobs


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as fake:
        yield fake


def run_jobs() -> None:
    SimpleWorker([DEFAULT], connection=get_redis()).work(burst=True)


def publish(session: Session, f: Founder, status: str = ContentStatus.PUBLISHED) -> Content:
    """A post as the publisher leaves it (status, time, attempt, remote URL)."""
    post = Content(
        business_id=f.business.id,
        platform="mastodon",
        text="Roast day!",
        status=status,
        attempts=1,
        published_at=utcnow() if status == ContentStatus.PUBLISHED else None,
        remote_url="https://example.social/@bean/1" if status == ContentStatus.PUBLISHED else None,
        last_error=None if status == ContentStatus.PUBLISHED else "The server refused the post.",
    )
    session.add(post)
    session.commit()
    return post


def register(api: httpx.Client, f: Founder, url: str, events: list[str]) -> dict:
    r = api.post("/webhooks", headers=f.headers(), json={"url": url, "events": events})
    assert r.status_code == 201, r.text
    return r.json()


def documented_check(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The README's recipe, written independently of the app's code."""
    ts = headers["webhook-timestamp"]
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    given = headers["webhook-signature"].removeprefix("v1=")
    return hmac.compare_digest(expected, given) and abs(time.time() - int(ts)) < 300


def test_published_post_is_delivered_signed_once(
    api: httpx.Client, session: Session, receiver: WebhookReceiver
) -> None:
    f = make_api_founder(session)
    hook = register(api, f, receiver.url, ["post.published", "post.failed"])
    assert hook["secret"].startswith("whsec_")
    post = publish(session, f)
    failed = publish(session, f, ContentStatus.FAILED)
    publish(session, f, ContentStatus.NEEDS_ATTENTION)  # not subscribed
    assert webhook_jobs.tick()["events"] == 2
    run_jobs()
    assert len(receiver.received) == 2
    by_type = {}
    for got in receiver.received:
        assert documented_check(hook["secret"], got.headers, got.body)
        event = json.loads(got.body)
        assert got.headers["webhook-id"] == event["id"]
        by_type[event["type"]] = event
    assert by_type["post.published"]["data"]["id"] == str(post.id)
    assert by_type["post.published"]["data"]["remote_url"].startswith("https://example.social")
    assert by_type["post.failed"]["data"]["id"] == str(failed.id)
    assert by_type["post.failed"]["data"]["error"] == "The server refused the post."
    # A tampered body does not verify.
    first = receiver.received[0]
    assert not documented_check(hook["secret"], first.headers, first.body + b" ")
    # Scanning again delivers nothing new.
    assert webhook_jobs.tick() == {"events": 0, "queued": 0, "idempotency_purged": 0}
    run_jobs()
    assert len(receiver.received) == 2
    deliveries = api.get(f"/webhooks/{hook['id']}/deliveries", headers=f.headers()).json()
    assert {d["status"] for d in deliveries} == {"succeeded"}
    assert deliveries[0]["log"][0]["status_code"] == 200


def test_failing_endpoint_backs_off_then_gives_up_and_redeliver_works(
    api: httpx.Client, session: Session, receiver: WebhookReceiver
) -> None:
    f = make_api_founder(session)
    hook = register(api, f, receiver.url, ["post.published"])
    publish(session, f)
    receiver.status = 500
    webhook_jobs.tick()
    run_jobs()  # attempt 1, through the real job
    delivery = session.exec(select(WebhookDelivery)).one()
    now = utcnow()
    waits = []
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        session.expire_all()
        row = session.get(WebhookDelivery, delivery.id)
        assert row.attempts == attempt and row.last_status_code == 500
        if attempt == webhooks.MAX_ATTEMPTS:
            assert row.status == "failed" and row.next_attempt_at is None
            break
        assert row.status == "retrying"
        waits.append(row.next_attempt_at - now)
        # Not due a second before its time; due at it.
        assert (
            webhooks.deliver(
                row.id, session=session, now=row.next_attempt_at - timedelta(seconds=1)
            )
            == ""
        )
        now = row.next_attempt_at
        webhooks.deliver(row.id, session=session, now=now)
    assert [w.total_seconds() for w in waits] == pytest.approx([30, 60, 120, 240, 480], abs=2)
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS
    session.expire_all()
    assert webhooks.due(session=session, now=utcnow() + timedelta(days=1)) == []
    # The user fixes the endpoint and redelivers.
    receiver.status = 200
    r = api.post(f"/webhooks/deliveries/{delivery.id}/redeliver", headers=f.headers())
    assert r.status_code == 202, r.text
    run_jobs()
    listed = api.get(f"/webhooks/{hook['id']}/deliveries", headers=f.headers()).json()
    assert listed[0]["status"] == "succeeded" and listed[0]["log"][-1]["status_code"] == 200
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS + 1


def test_private_addresses_are_refused(
    api: httpx.Client, session: Session, receiver: WebhookReceiver, monkeypatch
) -> None:
    f = make_api_founder(session)
    hook = register(api, f, receiver.url, ["post.published"])  # allowed in tests
    monkeypatch.setenv("ALLOW_PRIVATE_NETWORK", "0")
    reset_settings_cache()
    for url in (
        "https://127.0.0.1/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://169.254.169.254/latest",
        "http://example.com/hook",
        "https://localhost/hook",
    ):
        r = api.post(
            "/webhooks", headers=f.headers(), json={"url": url, "events": ["post.published"]}
        )
        assert r.status_code == 422, (url, r.text)
        assert r.json()["type"] == "urn:aigrowth:problem:unsafe-url", (url, r.json())
    # An endpoint that now points at a private address is refused at delivery time too.
    publish(session, f)
    webhook_jobs.tick()
    run_jobs()
    assert receiver.received == []
    row = session.exec(select(WebhookDelivery)).one()
    assert row.status == "retrying" and "https" in row.last_error
    assert len(api.get(f"/webhooks/{hook['id']}/deliveries", headers=f.headers()).json()) == 1


def test_other_users_key_sees_no_webhooks(
    api: httpx.Client, session: Session, receiver: WebhookReceiver
) -> None:
    a, b = make_api_founder(session), make_api_founder(session)
    hook = register(api, a, receiver.url, ["post.published"])
    publish(session, a)
    webhook_jobs.tick()
    run_jobs()
    delivery = session.exec(select(WebhookDelivery)).one()
    assert api.get("/webhooks", headers=b.headers()).json() == []
    for method, path in (
        ("GET", f"/webhooks/{hook['id']}/deliveries"),
        ("DELETE", f"/webhooks/{hook['id']}"),
        ("POST", f"/webhooks/deliveries/{delivery.id}/redeliver"),
    ):
        theirs = api.request(method, path, headers=b.headers())
        assert theirs.status_code == 404, (path, theirs.text)
        missing = api.request(
            method,
            path.replace(str(hook["id"]), str(uuid.uuid4())).replace(
                str(delivery.id), str(uuid.uuid4())
            ),
            headers=b.headers(),
        )
        assert missing.json()["detail"] == theirs.json()["detail"]
    # B's endpoints never get A's events.
    register(api, b, receiver.url, ["post.published"])
    session.execute(sa.update(Content).values(updated_at=utcnow()))
    session.commit()
    assert webhook_jobs.tick()["events"] == 0
