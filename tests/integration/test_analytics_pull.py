"""Daily analytics pull: one row per post per day, engagement rate, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlmodel import Session, select

from aigrowth.analytics.models import AnalyticsSnapshot
from aigrowth.analytics.service import engagement_rate, pull_all
from aigrowth.db import get_engine
from aigrowth.dbtypes import utcnow
from aigrowth.publishing import service
from aigrowth.redis_client import get_redis
from tests.fakes.x import XFake
from tests.integration.publish_support import make_posts, make_user, make_x_account, point_x_at
from workers.queues import PUBLISH, get_queue


def test_engagement_rate_is_null_without_a_denominator():
    assert engagement_rate(impressions=200, likes=10, comments=5, shares=5) == 0.1
    assert engagement_rate(impressions=None, reach=50, likes=5) == 0.1
    assert engagement_rate(impressions=None, likes=5, comments=1) is None  # Bluesky-like
    assert engagement_rate(impressions=100) is None


@pytest.fixture
def x_fake(app_env, monkeypatch):
    with XFake() as fake:
        point_x_at(monkeypatch, fake)
        yield fake


def _publish_all() -> None:
    service.dispatch_due()
    SimpleWorker([get_queue(PUBLISH)], connection=get_redis()).work(burst=True)


def _snapshots():
    with Session(get_engine()) as s:
        return s.exec(select(AnalyticsSnapshot)).all()


def test_pull_writes_one_row_per_post_per_day_and_survives_a_bad_account(x_fake):
    user, biz = make_user()
    good = make_x_account(user, biz, x_fake, handle="good", x_user_id="1700000000000000001")
    bad = make_x_account(user, biz, x_fake, handle="bad", x_user_id="1700000000000000002")
    good_posts = make_posts(biz, good, 2)
    make_posts(biz, bad, 1)
    _publish_all()
    for tweet in list(x_fake.tweets.values()):
        x_fake.set_metrics(
            tweet["id"],
            impression_count=1000,
            like_count=30,
            reply_count=5,
            retweet_count=10,
            quote_count=5,
        )
    # The bad account's token is revoked after publishing: its pull fails, others go on.
    bad_token = None
    from aigrowth.social import vault
    from aigrowth.social.models import SocialAccount

    with Session(get_engine()) as s:
        bad_token = vault.decrypt(bad.id, s.get(SocialAccount, bad.id).access_token_enc)
    x_fake.oauth.access[bad_token].revoked = True

    stats = pull_all()
    assert stats.posts == 3 and stats.rows == 2 and stats.failed_accounts == 1
    rows = _snapshots()
    assert {r.content_id for r in rows} == set(good_posts)
    row = rows[0]
    assert row.impressions == 1000 and row.likes == 30 and row.comments == 5
    assert row.engagement_rate is not None and 0.04 <= row.engagement_rate <= 0.06
    assert row.day == utcnow().date()
    # Running again the same day updates the row instead of adding one.
    for tweet in list(x_fake.tweets.values()):
        x_fake.set_metrics(tweet["id"], impression_count=2000, like_count=60)
    pull_all()
    rows = _snapshots()
    assert len(rows) == 2
    assert {r.impressions for r in rows} == {2000}
    # Tomorrow is a new row (a time series).
    pull_all(now=utcnow() + timedelta(days=1))
    assert len(_snapshots()) == 4


def test_posts_older_than_30_days_are_not_pulled(x_fake):
    user, biz = make_user()
    acct = make_x_account(user, biz, x_fake)
    make_posts(biz, acct, 1)
    _publish_all()
    stats = pull_all(now=utcnow() + timedelta(days=31))
    assert stats.posts == 0 and _snapshots() == []
