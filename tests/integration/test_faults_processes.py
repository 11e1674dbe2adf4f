"""Process faults with real RQ worker subprocesses: kill -9 mid-run, Redis wiped."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from aigrowth.content.models import ContentStatus
from aigrowth.publishing import service
from aigrowth.redis_client import get_redis, reset_redis_cache
from tests.fakes.x import XFake
from tests.integration.publish_support import (
    FINAL,
    PrivateRedis,
    Workers,
    attempt_outcomes,
    configure,
    drive,
    make_posts,
    make_user,
    make_x_account,
    point_x_at,
    statuses,
)
from workers.scheduler import make_scheduler, register_periodic_jobs

CREATE = "/2/tweets"
FAST = {
    "PUBLISH_LEASE_S": "6",
    "PUBLISH_BACKOFF_BASE_S": "1",
    "PUBLISH_BACKOFF_CAP_S": "2",
    "PUBLISH_BATCH_SIZE": "25",
    "SOCIAL_HTTP_TIMEOUT": "3",
}


def _accounts(fake, n):  # type: ignore[no-untyped-def]
    user, biz = make_user()
    accounts = [
        make_x_account(user, biz, fake, handle=f"a{i}", x_user_id=str(1600000000000000000 + i))
        for i in range(n)
    ]
    return user, biz, accounts


def _assert_exactly_once(fake, ids) -> None:  # type: ignore[no-untyped-def]
    rows = statuses(ids)
    stuck = [p.status for p in rows.values() if p.status not in FINAL]
    assert stuck == [], f"posts outside a final state: {Counter(stuck)}"
    texts = Counter(t["text"] for _, t in fake.creates)
    assert [t for t, n in texts.items() if n > 1] == [], "duplicate creates"
    published = [p for p in rows.values() if p.status == ContentStatus.PUBLISHED]
    assert {p.remote_id for p in published} <= {t["id"] for _, t in fake.creates}
    assert len(fake.calls_to(CREATE, "POST")) == len(fake.creates)  # no rejected 2nd create


def test_kill9_a_worker_during_200_publishes(app_env, monkeypatch):
    with XFake() as fake:
        point_x_at(monkeypatch, fake, **FAST)
        _, biz, accounts = _accounts(fake, 10)
        ids = []
        for acct in accounts:
            ids += make_posts(biz, acct, 20, prefix=f"Launch note from {acct.handle}")
        # Every create lands, then its answer takes 0.3 s: a kill lands mid-request.
        fake.faults.hang_after_accept(1000, seconds=0.3, path=CREATE, method="POST")
        with Workers(2) as workers:
            service.dispatch_due()
            deadline = time.monotonic() + 20
            while len(fake.creates) < 15 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert 0 < len(fake.creates) < 200, "kill must happen mid-run"
            killed = workers.kill9(workers.procs[0])
            assert len(killed) >= 2, "the work horse must die with its worker"
            workers.start_one()
            done = drive(
                lambda: all(p.status in FINAL for p in statuses(ids).values()), timeout=120
            )
        assert done
        _assert_exactly_once(fake, ids)
        rows = statuses(ids)
        assert all(p.status == ContentStatus.PUBLISHED for p in rows.values()), Counter(
            p.status for p in rows.values()
        )
        assert len(fake.creates) == 200
        # The kill really hit posts in flight: their attempts were taken over.
        outcomes = Counter(attempt_outcomes(ids))
        assert outcomes["unknown"] + outcomes["reconciled_found"] >= 1, outcomes


@pytest.fixture
def private_redis(app_env, monkeypatch, tmp_path):
    server = PrivateRedis(tmp_path / "own-redis")
    server.start()
    configure(monkeypatch, REDIS_URL=server.url)
    reset_redis_cache()
    yield server
    server.stop()
    reset_redis_cache()


def test_redis_restarted_without_data_while_posts_are_due(private_redis, monkeypatch):
    with XFake() as fake:
        point_x_at(monkeypatch, fake, **FAST)
        _, biz, accounts = _accounts(fake, 3)
        ids = []
        for acct in accounts:
            ids += make_posts(biz, acct, 10, prefix=f"Weekly tip by {acct.handle}")
        scheduler = make_scheduler(get_redis())
        register_periodic_jobs(scheduler)
        scheduler.enqueue_jobs()  # the dispatcher job is queued...
        service.dispatch_due()  # ...and posts are claimed and their jobs queued
        assert all(p.status == ContentStatus.PUBLISHING for p in statuses(ids).values())
        # Redis dies and comes back empty: queued jobs and schedules are gone.
        private_redis.kill_and_wipe()
        private_redis.start()
        reset_redis_cache()
        assert get_redis().dbsize() == 0
        scheduler = make_scheduler(get_redis())
        with Workers(2, queues=("publish", "default")):
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                # The scheduler loop: re-registers the lost periodic jobs by itself,
                # then the workers run the dispatcher job from the queue.
                scheduler.enqueue_jobs()
                service.reconcile()  # every 2 min in production; the lease is 6 s here
                if all(p.status in FINAL for p in statuses(ids).values()):
                    break
                time.sleep(0.5)
        assert {job.id for job in scheduler.get_jobs()} >= {"periodic-publish-dispatch"}
        _assert_exactly_once(fake, ids)
        assert all(p.status == ContentStatus.PUBLISHED for p in statuses(ids).values())
        assert len(fake.creates) == 30
