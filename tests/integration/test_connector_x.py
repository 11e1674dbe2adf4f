"""X connector and the social service against the fake X API (real HTTP, Redis, DBs)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from aigrowth.accounts.models import Notification
from aigrowth.db import get_engine
from aigrowth.dbtypes import utcnow
from aigrowth.social import service
from aigrowth.social.connectors.base import (
    DuplicateError,
    PermanentError,
    PublishContext,
    ReconnectRequired,
    RetryableError,
    UnknownOutcomeError,
    get_connector,
)
from aigrowth.social.models import AccountStatus, SocialAccount
from tests.fakes.social_support import (
    authorize,
    callback_client,
    make_user,
    serve,
    set_env,
)
from tests.fakes.social_support import (
    publish_ctx as ctx_for,
)
from tests.fakes.x import XFake


@pytest.fixture
def xfake(app_env, monkeypatch):
    yield from serve(XFake(), monkeypatch, SOCIAL_HTTP_TIMEOUT="2")


def connect_x(session: Session, fake: XFake) -> tuple[SocialAccount, str]:
    user, token = make_user(session)
    url = service.begin_connect("x", user_id=user.id, session=session, session_token=token)
    resp = callback_client(token).get(authorize(url))
    assert resp.status_code == 303
    assert resp.headers["location"].endswith("/accounts?connected=x&count=1")
    account = session.exec(select(SocialAccount).where(SocialAccount.user_id == user.id)).one()
    return account, token


def test_connect_flow_uses_pkce_and_stores_encrypted_tokens(xfake, session, db_url):
    account, _ = connect_x(session, xfake)
    assert account.platform == "x"
    assert account.account_id == xfake.user["id"]
    assert account.handle == "founder"
    assert account.status == AccountStatus.ACTIVE
    # The authorize request carried an S256 challenge and the token request its verifier.
    authorize_call = xfake.calls_to("/i/oauth2/authorize")[0]
    assert "code_challenge_method=S256" in authorize_call.query
    token_req = xfake.oauth.token_requests[0]
    assert token_req["grant_type"] == "authorization_code"
    assert len(token_req["code_verifier"]) >= 43
    assert token_req["redirect_uri"] == "http://localhost:3000/oauth/x/callback"
    # Tokens are stored encrypted, never in plaintext (and the DB file holds none).
    issued = next(iter(xfake.oauth.access))
    assert issued not in (account.access_token_enc or "")
    ref = service.account_ref(account.id, session=session)
    assert ref.access_token == issued
    if db_url.startswith("sqlite"):
        session.close()
        get_engine().dispose()
        raw = Path(db_url.removeprefix("sqlite:///")).read_bytes()
        wal = Path(db_url.removeprefix("sqlite:///") + "-wal")
        raw += wal.read_bytes() if wal.exists() else b""
        assert issued.encode() not in raw
        assert ref.refresh_token and ref.refresh_token.encode() not in raw


def test_callback_rejects_bad_reused_or_foreign_state(xfake, session):
    user, token = make_user(session)
    _other, other_token = make_user(session)
    url = service.begin_connect("x", user_id=user.id, session=session, session_token=token)
    back = authorize(url)
    # A forged state.
    forged = back.replace("state=", "state=x", 1)
    resp = callback_client(token).get(forged)
    assert "error=" in resp.headers["location"]
    # Another signed-in user cannot complete this user's connect (state consumed: single use).
    url = service.begin_connect("x", user_id=user.id, session=session, session_token=token)
    back = authorize(url)
    resp = callback_client(other_token).get(back)
    assert "another+session" in resp.headers["location"]
    # Signed out.
    url = service.begin_connect("x", user_id=user.id, session=session, session_token=token)
    resp = callback_client(None).get(authorize(url))
    assert "Sign+in+first" in resp.headers["location"]
    # The real one works once, and only once.
    url = service.begin_connect("x", user_id=user.id, session=session, session_token=token)
    back = authorize(url)
    assert "connected=x" in callback_client(token).get(back).headers["location"]
    assert "expired+or+was+already+used" in callback_client(token).get(back).headers["location"]
    rows = session.exec(select(SocialAccount)).all()
    assert [r.user_id for r in rows] == [user.id]
    # User cancelled at the platform.
    resp = callback_client(token).get("/oauth/x/callback?error=access_denied&state=abc")
    assert "cancelled" in resp.headers["location"]


def test_publish_thread_lookup_and_metrics(xfake, session):
    account, _ = connect_x(session, xfake)
    connector = get_connector("x")
    ctx = ctx_for(session, account, "Launch day 🚀 https://example.com/launch", thread=["Part two"])
    result = connector.publish(ctx)
    tweets = xfake.creates_of("tweet")
    assert len(tweets) == 2
    assert tweets[1]["reply_to"] == tweets[0]["id"] == result.remote_id
    assert result.url == f"https://x.com/founder/status/{result.remote_id}"
    assert ctx.saved[-1]["x_posted"] == [tweets[0]["id"], tweets[1]["id"]]  # type: ignore[attr-defined]
    # Lookup with a fresh state finds the whole thread by text on the timeline.
    ctx2 = ctx_for(session, account, ctx.text, thread=["Part two"])
    found = connector.lookup(ctx2)
    assert found is not None and found.remote_id == result.remote_id
    # Something never posted is confirmed absent.
    assert connector.lookup(ctx_for(session, account, "never posted")) is None
    # Metrics: non-public figures for our recent post, quotes kept apart.
    xfake.set_metrics(
        result.remote_id,
        impression_count=120,
        like_count=7,
        reply_count=2,
        retweet_count=3,
        quote_count=1,
        url_link_clicks=5,
    )
    m = connector.fetch_metrics(ctx2, result.remote_id)
    assert (m.impressions, m.likes, m.comments, m.shares, m.quotes, m.clicks) == (
        120,
        7,
        2,
        3,
        1,
        5,
    )


def test_errors_are_classified(xfake, session):
    account, _ = connect_x(session, xfake)
    connector = get_connector("x")
    # 429 with Retry-After → retryable with the wait; nothing created.
    xfake.faults.rate_limit(1, retry_after=42, path="/2/tweets", method="POST")
    with pytest.raises(RetryableError) as info:
        connector.publish(ctx_for(session, account, "hello"))
    assert info.value.retry_after == 42
    assert xfake.creates_of("tweet") == []
    # The platform's own post limit: 429 with x-rate-limit-reset (epoch seconds).
    xfake.post_limit = 0
    with pytest.raises(RetryableError) as info:
        connector.publish(ctx_for(session, account, "hello"))
    assert 800 < (info.value.retry_after or 0) <= 900
    xfake.post_limit = 100
    # 500 after the post was accepted → unknown outcome; lookup finds it; no duplicate.
    xfake.faults.fail_after_accept(1, path="/2/tweets", method="POST")
    ctx = ctx_for(session, account, "accepted but 500")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(ctx)
    assert len(xfake.creates_of("tweet")) == 1
    found = connector.lookup(ctx_for(session, account, "accepted but 500"))
    assert found is not None and found.remote_id == xfake.creates_of("tweet")[0]["id"]
    # Hang after accepting → timeout → unknown outcome.
    xfake.faults.hang_after_accept(1, seconds=4, path="/2/tweets", method="POST")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(ctx_for(session, account, "slow one"))
    # Duplicate text → 403 → DuplicateError (a permanent error with a plain reason).
    with pytest.raises(DuplicateError) as dup:
        connector.publish(ctx_for(session, account, "accepted but 500"))
    assert dup.value.status == 403 and "duplicate" in dup.value.message
    assert isinstance(dup.value, PermanentError)
    assert len(xfake.creates_of("tweet")) == 2
    # The fake counts every create call: the refused duplicate is one, but no tweet.
    assert len(xfake.create_calls("tweet")) == 5


def test_lookup_cannot_tell_raises_and_a_lagging_timeline_shows_posts_late(xfake, session):
    account, _ = connect_x(session, xfake)
    connector = get_connector("x")
    xfake.timeline_lag_s = 0.6
    result = connector.publish(ctx_for(session, account, "lagging timeline"))
    # A failed timeline read is "cannot tell" (raises), never "absent".
    xfake.faults.fail_before(1, status=503, path=f"/2/users/{xfake.user['id']}/tweets")
    with pytest.raises(RetryableError):
        connector.lookup(ctx_for(session, account, "lagging timeline"))
    # A 200 that carries only errors is no timeline either.
    xfake.faults.fail_before(
        1,
        status=200,
        body={"errors": [{"title": "Service Unavailable"}]},
        path=f"/2/users/{xfake.user['id']}/tweets",
    )
    with pytest.raises(RetryableError):
        connector.lookup(ctx_for(session, account, "lagging timeline"))
    # A good read while the timeline lags says absent (the publisher asks again later)...
    assert connector.lookup(ctx_for(session, account, "lagging timeline")) is None
    time.sleep(0.7)
    # ...and once it caught up, the post is found.
    found = connector.lookup(ctx_for(session, account, "lagging timeline"))
    assert found is not None and found.remote_id == result.remote_id


def test_slow_accept_lands_late_after_a_short_timeout_and_answers_a_patient_client(xfake, session):
    account, _ = connect_x(session, xfake)
    connector = get_connector("x")
    # Slower than the client's 2 s read timeout: it gives up, the tweet lands afterwards.
    xfake.faults.slow_accept(1, seconds=3.5, path="/2/tweets", method="POST")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(ctx_for(session, account, "slow platform"))
    assert xfake.creates_of("tweet") == []  # not yet...
    deadline = time.monotonic() + 10
    while not xfake.creates_of("tweet") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(xfake.creates_of("tweet")) == 1  # ...but it did land
    # Slow but within the timeout: the client just waits for the answer.
    xfake.faults.slow_accept(1, seconds=1, path="/2/tweets", method="POST")
    started = time.monotonic()
    result = connector.publish(ctx_for(session, account, "slow but in time"))
    assert time.monotonic() - started >= 1
    assert result.remote_id == xfake.creates_of("tweet")[-1]["id"]
    assert len(xfake.create_calls("tweet")) == 2


def test_connect_error_before_sending_is_retryable(xfake, session, monkeypatch):
    account, _ = connect_x(session, xfake)
    ctx = ctx_for(session, account, "hello")
    set_env(monkeypatch, X_API_BASE="http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(RetryableError):
        get_connector("x").publish(ctx)


def _expire(session: Session, account_id) -> None:
    row = session.get(SocialAccount, account_id, populate_existing=True)
    row.token_expires_at = utcnow() - timedelta(minutes=1)
    session.add(row)
    session.commit()


def test_concurrent_refreshes_make_one_refresh_call(xfake, session, engine):
    account, _ = connect_x(session, xfake)
    _expire(session, account.id)
    before = xfake.oauth.refresh_calls
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def worker() -> None:
        try:
            with Session(engine) as s:
                barrier.wait()
                results.append(service.ensure_fresh_token(account.id, session=s).access_token)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert xfake.oauth.refresh_calls - before == 1
    assert len(set(results)) == 1
    # The rotated pair was stored: the old refresh token is dead at the fake, the new works.
    ref = service.account_ref(account.id, session=session)
    assert xfake.oauth.refresh[ref.refresh_token].revoked is False
    _expire(session, account.id)
    service.ensure_fresh_token(account.id, session=session)
    assert xfake.oauth.refresh_calls - before == 2


def test_revoked_tokens_mark_needs_reconnect_and_notify_once(xfake, session):
    account, _ = connect_x(session, xfake)
    xfake.oauth.revoke_all()
    connector = get_connector("x")
    for _ in range(2):
        with pytest.raises(ReconnectRequired):
            service.call_with_account(
                account.id,
                lambda ref: connector.publish(PublishContext(account=ref, text="hi")),
                session=session,
            )
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.status == AccountStatus.NEEDS_RECONNECT
    assert "Refreshing access failed" in (row.last_error or "")
    notes = session.exec(select(Notification).where(Notification.user_id == account.user_id)).all()
    assert len(notes) == 1 and "Reconnect" in notes[0].title
    health, reason = service.account_health(row)
    assert health == AccountStatus.NEEDS_RECONNECT and reason
    assert xfake.creates_of("tweet") == []


def test_disconnect_revokes_then_deletes_even_if_revoke_fails(xfake, session):
    account, _ = connect_x(session, xfake)
    ref = service.account_ref(account.id, session=session)
    assert service.disconnect(account.id, user_id=account.user_id, session=session) is True
    assert xfake.oauth.access[ref.access_token].revoked
    assert session.get(SocialAccount, account.id) is None
    # Revocation failing (platform down) still deletes our copy.
    account, _ = connect_x(session, xfake)
    xfake.faults.fail_before(5, status=503, path="/2/oauth2/revoke")
    assert service.disconnect(account.id, user_id=account.user_id, session=session) is False
    assert session.get(SocialAccount, account.id) is None


def test_user_cannot_touch_another_users_account(xfake, session):
    account, _ = connect_x(session, xfake)
    stranger, _ = make_user(session)
    with pytest.raises(service.SocialError):
        service.disconnect(account.id, user_id=stranger.id, session=session)
    assert service.list_accounts(stranger.id, session=session) == []
    assert session.get(SocialAccount, account.id) is not None
    time.sleep(0)
