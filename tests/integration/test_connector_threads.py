"""Threads connector + social service against the fake Threads API (real HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from aigrowth.dbtypes import utcnow
from aigrowth.publishing.tokens import refresh_expiring
from aigrowth.social import service
from aigrowth.social.connectors.base import (
    PermanentError,
    PublishContext,
    ReconnectRequired,
    RetryableError,
    UnknownOutcomeError,
)
from aigrowth.social.models import AccountStatus, SocialAccount
from tests.fakes.social_support import (
    Attempts,
    connect_oauth,
    fast_polling,
    serve,
)
from tests.fakes.threads import ThreadsFake


@pytest.fixture
def th(app_env, monkeypatch):
    yield from serve(ThreadsFake(), monkeypatch)


@pytest.fixture
def connector(monkeypatch):
    return fast_polling(monkeypatch, "threads")


def connect(session: Session, fake: ThreadsFake) -> SocialAccount:
    (account,) = connect_oauth(session, "threads", url_has=("threads_content_publish", "state="))
    return account


def Ctx(session: Session, account: SocialAccount, fake: ThreadsFake) -> Attempts:
    return Attempts(session, account, fake, text="Shipping today 🚀")


def _age(session: Session, account: SocialAccount, *, days_old: float, days_left: float) -> None:
    """Make the stored token `days_old` days old with `days_left` days to live."""
    row = session.get(SocialAccount, account.id)
    row.last_refreshed_at = utcnow() - timedelta(days=days_old)
    row.token_expires_at = utcnow() + timedelta(days=days_left)
    session.add(row)
    session.commit()


def test_refresh_when_less_than_a_week_is_left(th, session):
    account = connect(session, th)
    # No refresh token: Threads renews the long-lived access token with itself.
    assert account.refresh_token_enc is None
    old = service.account_ref(account.id, session=session).access_token
    assert service.ensure_fresh_token(account.id, session=session).access_token == old
    assert th.state.refresh_calls == 0
    # 55 days later: the token is old enough to refresh and close to its end.
    th.state.clock_offset = 55 * 86400
    _age(session, account, days_old=55, days_left=5)
    assert service.account_health(session.get(SocialAccount, account.id))[0] == "active"
    fresh = service.ensure_fresh_token(account.id, session=session)
    assert fresh.access_token != old and th.state.refresh_calls == 1
    assert th.state.tokens[fresh.access_token].kind == "long"
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.token_expires_at > utcnow() + timedelta(days=59)
    assert row.refresh_token_enc is None
    # The new token works, the next refresh is weeks away.
    assert service.ensure_fresh_token(account.id, session=session).access_token == (
        fresh.access_token
    )
    assert th.state.refresh_calls == 1


def test_idle_account_is_renewed_by_the_periodic_refresh(th, session, app_env):
    """No publish for weeks: the 6-hourly job still renews the token before it ends."""
    account = connect(session, th)
    old = service.account_ref(account.id, session=session).access_token
    assert refresh_expiring(engine=session.get_bind())["accounts"] == 0  # 60 days left
    th.state.clock_offset = 55 * 86400
    _age(session, account, days_old=55, days_left=5)
    session.commit()
    stats = refresh_expiring(engine=session.get_bind())
    assert stats == {"accounts": 1, "refreshed": 1, "failed": 0}
    assert th.state.refresh_calls == 1
    assert service.account_ref(account.id, session=session).access_token != old


def test_a_token_younger_than_a_day_is_not_refreshed(th, session):
    account = connect(session, th)
    old = service.account_ref(account.id, session=session).access_token
    # Close to its end but stored an hour ago: Threads would refuse the refresh.
    _age(session, account, days_old=1 / 24, days_left=3)
    assert service.ensure_fresh_token(account.id, session=session).access_token == old
    assert th.state.refresh_calls == 0
    th.state.clock_offset = 2 * 86400
    _age(session, account, days_old=2, days_left=3)
    assert service.ensure_fresh_token(account.id, session=session).access_token != old
    assert th.state.refresh_calls == 1


def test_expired_token_cannot_be_refreshed_and_needs_reconnect(th, session):
    account = connect(session, th)
    th.state.clock_offset = 61 * 86400  # past the 60 days
    _age(session, account, days_old=61, days_left=-1 / 24)
    with pytest.raises(ReconnectRequired):
        service.ensure_fresh_token(account.id, session=session)
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.status == AccountStatus.NEEDS_RECONNECT


def test_publish_two_steps_and_no_double_publish_after_a_lost_answer(th, session, connector):
    th.state.container_polls = 2
    c = Ctx(session, connect(session, th), th)
    th.faults.hang_after_accept(1, seconds=3, path=f"/v1.0/{th.state.user['id']}/threads_publish")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(c.make())
    (container_id,) = th.state.containers
    assert c.saved[0]["threads_container_id"] == container_id and c.publish_calls_at_save[0] == 0
    assert th.creates_of("container")[0]["media_type"] == "TEXT"
    (media_id,) = th.state.media
    found = connector.lookup(c.make())
    assert found is not None and found.remote_id == media_id
    again = connector.publish(c.make())
    assert again.remote_id == media_id
    assert again.url.startswith("https://www.threads.net/@fran.founder/post/")
    assert len(th.state.publish_calls) == 1 and len(th.state.media) == 1


def test_fresh_publish_and_lookup_of_something_never_posted(th, session, connector):
    c = Ctx(session, connect(session, th), th)
    assert connector.lookup(c.make("never posted")) is None
    result = connector.publish(c.make("Hello Threads", link="https://example.com"))
    assert th.state.media[result.remote_id]["text"] == "Hello Threads"
    assert th.creates_of("container")[0]["link_attachment"] == "https://example.com"


def test_length_rule_counts_emoji_bytes_and_the_platform_agrees(th, session, connector):
    c = Ctx(session, connect(session, th), th)
    text = "a" * 497 + "🚀"  # 497 + 4 bytes = 501 > 500
    assert any("Too long" in p for p in connector.validate(text, []))
    with pytest.raises(PermanentError):
        connector.publish(c.make(text))
    ok = "a" * 496 + "🚀"
    assert connector.validate(ok, []) == []
    assert connector.publish(Ctx(session, c.account, th).make(ok)).remote_id


def test_errors_are_classified(th, session, connector):
    account = connect(session, th)
    c = Ctx(session, account, th)
    th.throttle(1, path=f"/v1.0/{th.state.user['id']}/threads")
    with pytest.raises(RetryableError):
        connector.publish(c.make())
    assert th.state.containers == {}
    th.state.quota_used = 250
    with pytest.raises(RetryableError) as quota:
        connector.publish(Ctx(session, account, th).make("over quota"))
    assert quota.value.retry_after == 3600 and th.state.media == {}
    th.state.quota_used = 0
    th.state.revoke_all()
    with pytest.raises(ReconnectRequired):
        service.call_with_account(
            account.id,
            lambda ref: connector.publish(PublishContext(account=ref, text="hi")),
            session=session,
        )
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.status == AccountStatus.NEEDS_RECONNECT


def test_metrics(th, session, connector):
    c = Ctx(session, connect(session, th), th)
    post = connector.publish(c.make())
    th.state.set_stats(
        post.remote_id, views=400, likes=30, replies=4, reposts=2, quotes=1, shares=3
    )
    m = connector.fetch_metrics(c.make(), post.remote_id)
    assert (m.impressions, m.likes, m.comments, m.shares, m.quotes, m.clicks) == (
        400,
        30,
        4,
        5,
        1,
        None,
    )
