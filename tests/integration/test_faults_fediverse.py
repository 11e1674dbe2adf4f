"""Unknown outcomes on Mastodon and Bluesky, through the real publishing pipeline.

The platform accepts the post and then answers 500, or stalls past our timeout. The
idempotency value committed before the call decides what happens next:

- Mastodon: the Idempotency-Key. The lookup reads the recent timeline; when the
  timeline does not show the post yet, the retry sends the SAME key and the instance
  replays the first status instead of posting again.
- Bluesky: the record key (rkey) chosen before the call; the lookup is getRecord by it.

Either way the platform holds exactly one post and the row ends `published` with its id.
"""

from __future__ import annotations

import json
import time

import pytest
from rq import SimpleWorker
from sqlmodel import Session, select

from aigrowth.businesses.models import Business
from aigrowth.content.models import ContentStatus
from aigrowth.db import get_engine
from aigrowth.publishing import service
from aigrowth.publishing.models import PublishAttempt
from aigrowth.redis_client import get_redis
from aigrowth.social import service as social
from aigrowth.social.models import SocialAccount
from tests.fakes.bluesky import BlueskyFake
from tests.fakes.mastodon import MastodonFake
from tests.fakes.social_support import connect_oauth, serve
from tests.fakes.social_support import make_user as make_user_with_session
from tests.integration.publish_support import configure, make_posts, statuses
from workers.queues import PUBLISH, get_queue

STATUSES = "/api/v1/statuses"
CREATE_RECORD = "/xrpc/com.atproto.repo.createRecord"
GET_RECORD = "/xrpc/com.atproto.repo.getRecord"
FAST = {
    "PUBLISH_BACKOFF_BASE_S": "1",
    "PUBLISH_BACKOFF_CAP_S": "1",
    "PUBLISH_ABSENT_RECHECK_S": "0.3",
}


def _work() -> None:
    SimpleWorker([get_queue(PUBLISH)], connection=get_redis()).work(burst=True)


def _attempts(post_id):  # type: ignore[no-untyped-def]
    with Session(get_engine()) as s:
        rows = s.exec(
            select(PublishAttempt)
            .where(PublishAttempt.content_id == post_id)
            .order_by(PublishAttempt.attempt_no)
        ).all()
    return [(a.attempt_no, a.outcome) for a in rows]


def _business_for(account: SocialAccount) -> Business:
    with Session(get_engine(), expire_on_commit=False) as s:
        biz = Business(user_id=account.user_id, name="Acme")
        s.add(biz)
        s.commit()
        return biz


def _publish_until_settled(post_id, *, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Dispatcher + worker, as the scheduler runs them, until the post is final."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.dispatch_due()
        _work()
        if statuses([post_id])[post_id].status in (
            ContentStatus.PUBLISHED,
            ContentStatus.FAILED,
            ContentStatus.NEEDS_ATTENTION,
        ):
            return
        time.sleep(0.2)


# ------------------------------------------------------------------------ Mastodon
@pytest.fixture
def masto(app_env, monkeypatch):
    configure(monkeypatch, **FAST)
    yield from serve(MastodonFake(), monkeypatch, SOCIAL_HTTP_TIMEOUT="1")


def _mastodon_post(fake: MastodonFake):  # type: ignore[no-untyped-def]
    with Session(get_engine(), expire_on_commit=False) as s:
        (account,) = connect_oauth(s, "mastodon", instance_url=fake.base_url)
    (post_id,) = make_posts(_business_for(account), account, 1, prefix="Launch day")
    return post_id


def test_mastodon_500_after_accept_is_found_and_never_posted_twice(masto):
    post_id = _mastodon_post(masto)
    masto.faults.fail_after_accept(1, status=500, path=STATUSES, method="POST")
    service.dispatch_due()
    _work()
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.PUBLISHED
    (created,) = [payload for _, payload in masto.creates]
    assert post.remote_id == created["id"]
    # The key the instance saw had been committed before the call.
    assert created["key"] and post.publish_state["idempotency_key"] == created["key"]
    assert len(masto.calls_to(STATUSES, "POST")) == 1
    assert _attempts(post_id) == [(1, "reconciled_found")]
    service.dispatch_due()
    service.reconcile()
    _work()
    assert len(masto.calls_to(STATUSES, "POST")) == 1


def test_mastodon_timeout_then_absent_timeline_retry_replays_the_idempotency_key(masto):
    post_id = _mastodon_post(masto)
    masto.faults.hang_after_accept(1, seconds=2.5, path=STATUSES, method="POST")
    # The instance's timeline lags behind: neither lookup (nor the second one, made
    # after the recheck delay) sees the new status yet.
    lagging = [{"id": "1", "content": "<p>An older post</p>", "in_reply_to_id": None}]
    masto.faults.fail_before(2, status=200, body=lagging, path="/api/v1/accounts/", method="GET")
    service.dispatch_due()
    _work()
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.SCHEDULED and post.next_attempt_at is not None
    _publish_until_settled(post_id)
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.PUBLISHED
    calls = masto.calls_to(STATUSES, "POST")
    assert len(calls) == 2  # sent twice ...
    keys = {c.headers.get("idempotency-key") for c in calls}
    assert len(keys) == 1 and None not in keys  # ... with the same key ...
    (created,) = [payload for _, payload in masto.creates]  # ... and posted once
    assert post.remote_id == created["id"]
    assert _attempts(post_id) == [(1, "reconciled_absent"), (2, "published")]


# ------------------------------------------------------------------------- Bluesky
@pytest.fixture
def bsky(app_env, monkeypatch):
    configure(monkeypatch, **FAST)
    yield from serve(BlueskyFake(), monkeypatch, SOCIAL_HTTP_TIMEOUT="1")


def _bluesky_post(fake: BlueskyFake):  # type: ignore[no-untyped-def]
    with Session(get_engine(), expire_on_commit=False) as s:
        user, _ = make_user_with_session(s)
        account = social.connect_bluesky(
            user_id=user.id,
            handle="alice.test",
            app_password="abcd-efgh-ijkl-mnop",
            pds_url=fake.base_url,
            session=s,
        )
    (post_id,) = make_posts(_business_for(account), account, 1, prefix="Shipping today")
    return post_id


@pytest.mark.parametrize("fault", ["500_after_accept", "timeout_after_accept"])
def test_bluesky_unknown_outcome_is_found_by_rkey_and_never_posted_twice(bsky, fault):
    post_id = _bluesky_post(bsky)
    if fault == "500_after_accept":
        bsky.faults.fail_after_accept(1, status=500, path=CREATE_RECORD, method="POST")
    else:
        bsky.faults.hang_after_accept(1, seconds=2.5, path=CREATE_RECORD, method="POST")
    service.dispatch_due()
    _work()
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.PUBLISHED, post.last_error
    (created,) = [payload for _, payload in bsky.creates]
    # The rkey was chosen and committed before the call; the lookup fetched it.
    assert post.publish_state["rkey"] == created["rkey"]
    assert created["rkey"] in (post.remote_id or "") or created["rkey"] in (post.remote_url or "")
    assert any(created["rkey"] in c.query for c in bsky.calls_to(GET_RECORD, "GET"))
    assert len(bsky.calls_to(CREATE_RECORD, "POST")) == 1
    assert _attempts(post_id) == [(1, "reconciled_found")]
    service.dispatch_due()
    service.reconcile()
    _work()
    assert len(bsky.calls_to(CREATE_RECORD, "POST")) == 1


def test_bluesky_500_before_accept_is_confirmed_absent_and_sent_again_with_same_rkey(bsky):
    post_id = _bluesky_post(bsky)
    bsky.faults.fail_before(1, status=500, path=CREATE_RECORD, method="POST")
    _publish_until_settled(post_id)
    post = statuses([post_id])[post_id]
    assert post.status == ContentStatus.PUBLISHED
    calls = bsky.calls_to(CREATE_RECORD, "POST")
    assert len(calls) == 2 and len(bsky.creates) == 1
    rkeys = {json.loads(c.body)["rkey"] for c in calls}
    assert rkeys == {post.publish_state["rkey"]}
    assert _attempts(post_id) == [(1, "reconciled_absent"), (2, "published")]
