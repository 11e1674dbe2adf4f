"""Mastodon connector against the fake instance: app registration, OAuth, idempotency."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from aigrowth.social import service
from aigrowth.social.connectors.base import (
    PermanentError,
    PublishContext,
    ReconnectRequired,
    RetryableError,
    UnknownOutcomeError,
    get_connector,
)
from aigrowth.social.models import AccountStatus, MastodonApp, SocialAccount
from tests.fakes.mastodon import MastodonFake, expire_idempotency
from tests.fakes.social_support import (
    connect_oauth,
    make_user,
    serve,
    set_env,
)
from tests.fakes.social_support import (
    publish_ctx as ctx,
)


@pytest.fixture
def masto(app_env, monkeypatch):
    yield from serve(MastodonFake(max_characters=600), monkeypatch, SOCIAL_HTTP_TIMEOUT="2")


def connect(session: Session, fake: MastodonFake) -> SocialAccount:
    (account,) = connect_oauth(session, "mastodon", instance_url=fake.base_url)
    return account


def test_connect_registers_app_once_and_caches_limit(masto, session):
    account = connect(session, masto)
    assert account.handle == f"founder@{masto.domain}"
    assert account.meta["max_characters"] == 600
    assert account.token_expires_at is None and account.refresh_token_enc is None
    assert "code_challenge_method=S256" in masto.calls_to("/oauth/authorize")[0].query
    assert masto.oauth.token_requests[0]["code_verifier"]
    connect(session, masto)  # a second user on the same instance reuses the app
    assert masto.app_registrations == 1
    app = session.exec(select(MastodonApp)).one()
    assert app.client_id in masto.apps and app.client_secret_enc not in masto.oauth.clients.values()
    # Validation uses the instance's own limit (URL counts 23).
    conn = get_connector("mastodon")
    ref = service.account_ref(account.id, session=session)
    assert conn.validate("a" * 570 + " https://example.com/" + "x" * 100, [], account=ref) == []
    assert conn.validate("a" * 601, [], account=ref)


def test_idempotency_key_prevents_duplicates(masto, session):
    account = connect(session, masto)
    conn = get_connector("mastodon")
    state: dict = {}
    masto.faults.fail_after_accept(1, path="/api/v1/statuses", method="POST")
    c = ctx(session, account, "Hello fediverse", state)
    with pytest.raises(UnknownOutcomeError):
        conn.publish(c)
    key = c.saved[0]["idempotency_key"]  # type: ignore[attr-defined]
    assert masto.creates_of("status")[0]["key"] == key
    # Retrying with the stored state reuses the key: same status, no second post.
    result = conn.publish(ctx(session, account, "Hello fediverse", dict(state)))
    assert len(masto.creates_of("status")) == 1
    assert result.remote_id == masto.creates_of("status")[0]["id"]
    assert result.url.endswith(f"/@founder/{result.remote_id}")
    # lookup also finds it by text on the timeline.
    found = conn.lookup(ctx(session, account, "Hello fediverse"))
    assert found is not None and found.remote_id == result.remote_id
    assert conn.lookup(ctx(session, account, "never sent")) is None
    # A read that is not a list of statuses is "cannot tell", never "absent".
    masto.faults.fail_before(
        1, status=200, body={"error": "busy"}, path="/api/v1/accounts/", method="GET"
    )
    with pytest.raises(RetryableError):
        conn.lookup(ctx(session, account, "never sent"))
    expire_idempotency(masto)


def test_errors_metrics_and_threads(masto, session):
    account = connect(session, masto)
    conn = get_connector("mastodon")
    with pytest.raises(PermanentError) as info:
        conn.publish(ctx(session, account, "x" * 700))
    assert info.value.status == 422 and "character limit" in info.value.message
    masto.faults.rate_limit(
        1, headers={"X-RateLimit-Reset": "2999-01-01T00:00:00Z"}, path="/api/v1/statuses"
    )
    with pytest.raises(RetryableError) as rl:
        conn.publish(ctx(session, account, "later"))
    assert rl.value.retry_after and rl.value.retry_after > 1e6
    masto.faults.hang_after_accept(1, seconds=4, path="/api/v1/statuses")
    with pytest.raises(UnknownOutcomeError):
        conn.publish(ctx(session, account, "slow"))
    result = conn.publish(ctx(session, account, "thread one", thread=["thread two"]))
    statuses = masto.creates_of("status")
    assert statuses[-1]["in_reply_to_id"] == result.remote_id
    masto.set_counts(result.remote_id, favourites_count=5, reblogs_count=2, replies_count=3)
    m = conn.fetch_metrics(ctx(session, account, ""), result.remote_id)
    assert (m.likes, m.shares, m.comments, m.impressions, m.clicks) == (5, 2, 3, None, None)


def test_revoked_token_needs_reconnect_and_disconnect(masto, session):
    account = connect(session, masto)
    masto.oauth.revoke_all()
    conn = get_connector("mastodon")
    with pytest.raises(ReconnectRequired):
        service.call_with_account(
            account.id,
            lambda ref: conn.publish(PublishContext(account=ref, text="x")),
            session=session,
        )
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.status == AccountStatus.NEEDS_RECONNECT
    # Disconnect still deletes the tokens even though the platform refuses to revoke.
    masto.faults.fail_before(3, status=500, path="/oauth/revoke")
    assert service.disconnect(account.id, user_id=account.user_id, session=session) is False
    assert session.get(SocialAccount, account.id) is None


def test_private_instance_refused_without_allow_private(masto, session, monkeypatch):
    set_env(monkeypatch, ALLOW_PRIVATE_NETWORK="0")
    user, token = make_user(session)
    with pytest.raises(service.UnsafeURLError):
        service.begin_connect(
            "mastodon",
            user_id=user.id,
            session=session,
            session_token=token,
            instance_url="https://127.0.0.1",
        )
    assert masto.app_registrations == 0
