"""Faults at the platform: unknown outcomes, 429 with Retry-After, revoked tokens."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlmodel import Session, select

from aigrowth.accounts.models import Notification
from aigrowth.content.models import ContentStatus
from aigrowth.db import get_engine
from aigrowth.mail import read_outbox
from aigrowth.publishing import service
from aigrowth.publishing.models import PublishAttempt
from aigrowth.redis_client import get_redis
from aigrowth.social.models import AccountStatus, SocialAccount
from tests.fakes.x import XFake
from tests.integration.publish_support import (
    make_posts,
    make_user,
    make_x_account,
    point_x_at,
    statuses,
)
from workers.queues import PUBLISH, get_queue

CREATE = "/2/tweets"


@pytest.fixture
def x_fake(app_env, monkeypatch):
    with XFake() as fake:
        point_x_at(monkeypatch, fake, PUBLISH_BACKOFF_BASE_S="1", PUBLISH_BACKOFF_CAP_S="2")
        yield fake


def _work() -> None:
    SimpleWorker([get_queue(PUBLISH)], connection=get_redis()).work(burst=True)


def _attempts(post_id):
    with Session(get_engine()) as s:
        rows = s.exec(
            select(PublishAttempt)
            .where(PublishAttempt.content_id == post_id)
            .order_by(PublishAttempt.attempt_no)
        ).all()
    return [(a.attempt_no, a.outcome) for a in rows]


def test_500_after_accept_is_found_by_lookup_and_never_created_twice(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    (post_id,) = make_posts(biz, acct, 1)
    x_fake.faults.fail_after_accept(1, status=500, path=CREATE, method="POST")
    service.dispatch_due()
    _work()
    post = statuses([post_id])[post_id]
    assert len(x_fake.calls_to(CREATE, "POST")) == 1
    assert post.status == ContentStatus.PUBLISHED
    assert post.remote_id == x_fake.creates[0][1]["id"]
    assert _attempts(post_id) == [(1, "reconciled_found")]
    # Later dispatcher/reconciler runs do not touch it again.
    service.dispatch_due()
    service.reconcile()
    _work()
    assert len(x_fake.calls_to(CREATE, "POST")) == 1


def test_timeout_after_accept_with_platform_down_needs_attention_then_lookup_settles(
    x_fake, monkeypatch
):
    point_x_at(monkeypatch, x_fake, SOCIAL_HTTP_TIMEOUT="1")
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    (post_id,) = make_posts(biz, acct, 1)
    x_fake.faults.hang_after_accept(1, seconds=3, path=CREATE, method="POST")
    # The timeline lookup fails too: we cannot tell whether the post landed.
    x_fake.faults.fail_before(1, status=503, path=f"/2/users/{x_fake.user['id']}/tweets")
    service.dispatch_due()
    _work()
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.NEEDS_ATTENTION
    assert "check your X profile" in (post.last_error or "")
    with Session(get_engine()) as s:
        notes = s.exec(select(Notification).where(Notification.user_id == user.id)).all()
    assert [n.kind for n in notes] == ["publish_needs_attention"]
    assert len(read_outbox()) == 1
    # The reconciler looks again once the platform answers: found, so published.
    time.sleep(3)
    service.reconcile()
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.PUBLISHED
    assert post.remote_id == x_fake.creates[0][1]["id"]
    assert len(x_fake.calls_to(CREATE, "POST")) == 1
    assert len(read_outbox()) == 1  # no second email


def test_5xx_confirmed_absent_is_published_again_once(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    (post_id,) = make_posts(biz, acct, 1)
    # 500 WITHOUT creating: the lookup proves it absent, so publishing again is safe.
    x_fake.faults.fail_before(1, status=500, path=CREATE, method="POST")
    service.dispatch_due()
    _work()
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.SCHEDULED and post.next_attempt_at is not None
    time.sleep(max(0.0, (post.next_attempt_at - post.updated_at).total_seconds()) + 0.2)
    service.dispatch_due()
    _work()
    assert statuses([post_id])[post_id].status == ContentStatus.PUBLISHED
    assert len(x_fake.creates) == 1
    assert _attempts(post_id) == [(1, "reconciled_absent"), (2, "published")]


def test_429_retry_after_is_honoured(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    ids = make_posts(biz, acct, 2)
    x_fake.faults.rate_limit(1, retry_after=3, path=CREATE, method="POST")
    before = time.time()  # the 429 happens after this instant
    service.dispatch_due()
    _work()
    rows = statuses(ids)
    limited = [p for p in rows.values() if p.status == ContentStatus.SCHEDULED]
    # The first 429 pauses the account: the other post waits too instead of hammering.
    assert len(limited) == 2, [p.status for p in rows.values()]
    assert len(x_fake.calls_to(CREATE, "POST")) == 1
    assert any("limiting" in (p.last_error or "") for p in limited)
    assert min(p.next_attempt_at.timestamp() for p in limited) >= before + 3
    deadline = time.time() + 15
    while time.time() < deadline and len(x_fake.creates) < 2:
        claimed = service.dispatch_due()
        assert claimed == 0 or time.time() >= before + 3, "retried before Retry-After"
        _work()
        time.sleep(0.2)
    assert len(x_fake.creates) == 2
    assert len(x_fake.calls_to(CREATE, "POST")) == 3
    assert all(p.status == ContentStatus.PUBLISHED for p in statuses(ids).values())


def test_revoked_token_fails_post_flags_account_and_notifies_once(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    ids = make_posts(biz, acct, 3)
    x_fake.oauth.revoke_all()
    service.dispatch_due()
    _work()
    rows = statuses(ids)
    assert all(p.status == ContentStatus.FAILED for p in rows.values())
    assert all("reconnect" in (p.last_error or "").lower() for p in rows.values())
    assert x_fake.creates == []
    with Session(get_engine()) as s:
        account = s.get(SocialAccount, acct.id)
        assert account.status == AccountStatus.NEEDS_RECONNECT
        notes = s.exec(select(Notification).where(Notification.user_id == user.id)).all()
    assert len(notes) == 1 and notes[0].kind == "needs_reconnect"
    assert notes[0].link == "/accounts"
    mails = read_outbox()
    assert len(mails) == 1 and mails[0]["to"] == "founder@example.com"
    # A Retry while the account is still disconnected fails again, without new emails.
    with Session(get_engine()) as s:
        service.retry_failed(ids[0], user_id=user.id, session=s)
    _work()
    assert statuses([ids[0]])[ids[0]].status == ContentStatus.FAILED
    assert len(read_outbox()) == 1


def test_permanent_failure_notifies_once_with_link(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    (post_id,) = make_posts(biz, acct, 1)
    x_fake.faults.fail_before(
        1,
        status=403,
        path=CREATE,
        method="POST",
        body={"title": "Forbidden", "detail": "Not allowed.", "status": 403},
    )
    service.dispatch_due()
    _work()
    service.reconcile()
    with Session(get_engine()) as s:
        notes = s.exec(select(Notification).where(Notification.user_id == user.id)).all()
    assert [(n.kind, n.link) for n in notes] == [("publish_failed", f"/content/{post_id}")]
    assert len(read_outbox()) == 1
    assert timedelta(0) <= timedelta(seconds=1)
