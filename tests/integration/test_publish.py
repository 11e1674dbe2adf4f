"""Publishing end to end against the X fake: claim, job, platform, final state."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlmodel import Session, select

from aigrowth.content.models import ContentStatus
from aigrowth.db import get_engine
from aigrowth.dbtypes import utcnow
from aigrowth.publishing import service
from aigrowth.publishing.models import PublishAttempt
from aigrowth.redis_client import get_redis
from tests.fakes.x import XFake
from tests.integration.publish_support import (
    make_posts,
    make_user,
    make_x_account,
    point_x_at,
    statuses,
)
from workers.queues import PUBLISH, get_queue


@pytest.fixture
def x_fake(app_env, monkeypatch):
    with XFake() as fake:
        point_x_at(monkeypatch, fake)
        yield fake


def _work() -> None:
    SimpleWorker([get_queue(PUBLISH)], connection=get_redis()).work(burst=True)


def test_fifty_concurrent_publish_now_make_one_create(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    (post_id,) = make_posts(
        biz, acct, 1, status=ContentStatus.DRAFT, when=utcnow() + timedelta(days=1)
    )
    barrier = threading.Barrier(50)
    answers: list[str] = []

    def click() -> None:
        with Session(get_engine()) as s:
            barrier.wait()
            answers.append(service.publish_now(post_id, user_id=user.id, session=s))

    threads = [threading.Thread(target=click) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.count("queued") == 1
    assert get_queue(PUBLISH).count == 1
    _work()
    for _ in range(3):  # more clicks and dispatcher runs after it went out change nothing
        with Session(get_engine()) as s:
            assert service.publish_now(post_id, user_id=user.id, session=s) == "already_published"
        service.dispatch_due()
        _work()
    assert len(x_fake.calls_to("/2/tweets", "POST")) == 1
    assert len(x_fake.creates) == 1
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.PUBLISHED
    tweet = x_fake.creates[0][1]
    assert post.remote_id == tweet["id"]
    assert post.remote_url and tweet["id"] in post.remote_url
    with Session(get_engine()) as s:
        attempts = s.exec(select(PublishAttempt).where(PublishAttempt.content_id == post_id)).all()
    assert [(a.attempt_no, a.outcome) for a in attempts] == [(1, "published")]


def test_publish_now_is_owner_scoped(x_fake):
    alice, biz = make_user("alice@example.com")
    bob, _ = make_user("bob@example.com")
    acct = make_x_account(alice, biz, x_fake)
    (post_id,) = make_posts(biz, acct, 1, status=ContentStatus.DRAFT)
    with Session(get_engine()) as s, pytest.raises(service.PublishingError):
        service.publish_now(post_id, user_id=bob.id, session=s)
    assert statuses([post_id])[post_id].status == ContentStatus.DRAFT
    assert get_queue(PUBLISH).count == 0


def test_due_posts_are_dispatched_and_future_ones_wait(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    due = make_posts(biz, acct, 3)
    later = make_posts(biz, acct, 2, when=utcnow() + timedelta(hours=1))
    drafts = make_posts(biz, acct, 1, status=ContentStatus.DRAFT, when=utcnow())
    assert service.dispatch_due() == 3
    assert service.dispatch_due() == 0  # claimed rows are not claimed again
    _work()
    rows = statuses()
    assert all(rows[i].status == ContentStatus.PUBLISHED for i in due)
    assert all(rows[i].status == ContentStatus.SCHEDULED for i in later)
    assert rows[drafts[0]].status == ContentStatus.DRAFT
    assert len(x_fake.creates) == 3


def test_rejected_post_fails_with_reason_and_retry_publishes_it(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    (post_id,) = make_posts(biz, acct, 1)
    x_fake.faults.fail_before(
        1,
        status=403,
        path="/2/tweets",
        method="POST",
        body={
            "title": "Forbidden",
            "detail": "You are not permitted to perform this action.",
            "status": 403,
        },
    )
    service.dispatch_due()
    _work()
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.FAILED
    assert "X refused this post" in (post.last_error or "")
    with Session(get_engine()) as s:
        assert service.retry_failed(post_id, user_id=user.id, session=s) == "queued"
    _work()
    assert statuses([post_id])[post_id].status == ContentStatus.PUBLISHED
    assert len(x_fake.creates) == 1
