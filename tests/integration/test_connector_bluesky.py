"""Bluesky connector against the fake PDS/AppView (real HTTP, Redis, both DBs)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session

from aigrowth.dbtypes import utcnow
from aigrowth.social import service
from aigrowth.social.connectors.base import (
    PermanentError,
    PublishContext,
    ReconnectRequired,
    RetryableError,
    UnknownOutcomeError,
    get_connector,
)
from aigrowth.social.connectors.bluesky import make_tid
from aigrowth.social.models import AccountStatus, SocialAccount
from tests.fakes.bluesky import TID_RE, BlueskyFake
from tests.fakes.social_support import (
    connect_bluesky,
    make_user,
    serve,
)
from tests.fakes.social_support import (
    publish_ctx as ctx,
)


@pytest.fixture
def bsky(app_env, monkeypatch):
    yield from serve(BlueskyFake(), monkeypatch, SOCIAL_HTTP_TIMEOUT="2")


def connect(session: Session, fake: BlueskyFake) -> SocialAccount:
    return connect_bluesky(session, fake)


def test_connect_with_app_password(bsky, session):
    account = connect(session, bsky)
    assert account.account_id == bsky.did_of("alice.test")
    assert account.handle == "alice.test" and account.display_name == "Alice"
    assert account.instance_url == bsky.base_url
    assert account.token_expires_at is not None
    assert bsky.create_session_calls == 1
    user, _ = make_user(session)
    with pytest.raises(service.SocialError, match="did not accept"):
        service.connect_bluesky(
            user_id=user.id,
            handle="alice.test",
            app_password="wrong-pass-word-xxxx",
            pds_url=bsky.base_url,
            session=session,
        )


def test_publish_with_facets_rkey_and_metrics(bsky, session):
    account = connect(session, bsky)
    bsky.add_user("bob.test", "x")
    text = "Héllo 🚀 @bob.test read https://example.com/a?b=1 #Growth"
    c = ctx(session, account, text)
    result = get_connector("bluesky").publish(c)
    post = bsky.creates_of("post")[0]
    # The rkey was a TID we chose and stored before the create call.
    assert TID_RE.match(post["rkey"])
    assert c.saved[0]["rkey"] == post["rkey"]  # type: ignore[attr-defined]
    assert "bsky_posted" not in c.saved[0]  # type: ignore[attr-defined]
    assert result.remote_id == post["uri"]
    assert result.url.endswith(f"/profile/alice.test/post/{post['rkey']}")
    raw = post["text"].encode()
    spans = {
        f["features"][0]["$type"].split("#")[1]: raw[
            f["index"]["byteStart"] : f["index"]["byteEnd"]
        ]
        for f in post["facets"]
    }
    assert spans == {
        "mention": b"@bob.test",
        "link": b"https://example.com/a?b=1",
        "tag": b"#Growth",
    }
    mention = next(f for f in post["facets"] if "mention" in f["features"][0]["$type"])
    assert mention["features"][0]["did"] == bsky.did_of("bob.test")
    # Sessions are reused: no second login for a second post.
    get_connector("bluesky").publish(ctx(session, account, "second"))
    assert bsky.create_session_calls == 1
    bsky.counts[result.remote_id] = {
        "likeCount": 4,
        "repostCount": 2,
        "replyCount": 1,
        "quoteCount": 1,
    }
    m = get_connector("bluesky").fetch_metrics(c, result.remote_id)
    assert (m.likes, m.shares, m.comments, m.quotes) == (4, 2, 1, 1)
    assert m.impressions is None and m.clicks is None


def test_unknown_outcome_then_lookup_by_rkey_never_duplicates(bsky, session):
    account = connect(session, bsky)
    conn = get_connector("bluesky")
    state: dict = {"rkey": make_tid()}  # chosen at scheduling
    bsky.faults.fail_after_accept(1, path="/xrpc/com.atproto.repo.createRecord")
    with pytest.raises(UnknownOutcomeError):
        conn.publish(ctx(session, account, "exactly once", state))
    # A retry at the same rkey: the PDS answers 500 again (record exists) → still unknown.
    with pytest.raises(UnknownOutcomeError):
        conn.publish(ctx(session, account, "exactly once", dict(state)))
    assert len(bsky.creates_of("post")) == 1
    found = conn.lookup(ctx(session, account, "exactly once", dict(state)))
    assert found is not None and found.remote_id.endswith(state["rkey"])
    # A post never sent is confirmed absent.
    assert conn.lookup(ctx(session, account, "nothing", {"rkey": make_tid()})) is None
    # Invalid text length → permanent; 429 → retryable with the reset wait.
    with pytest.raises(PermanentError):
        conn.publish(ctx(session, account, "x" * 301))
    bsky.faults.rate_limit(
        1, headers={"RateLimit-Reset": "30"}, path="/xrpc/com.atproto.repo.createRecord"
    )
    with pytest.raises(RetryableError) as info:
        conn.publish(ctx(session, account, "later"))
    assert info.value.retry_after == 30


def test_thread_is_a_reply_chain(bsky, session):
    account = connect(session, bsky)
    result = get_connector("bluesky").publish(ctx(session, account, "one", thread=["two"]))
    first, second = bsky.creates_of("post")
    assert second["reply"]["root"]["uri"] == first["uri"] == result.remote_id
    assert second["reply"]["parent"]["uri"] == first["uri"]


def _expire(session, account_id):
    row = session.get(SocialAccount, account_id, populate_existing=True)
    row.token_expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()


def test_expired_token_refreshes_once_with_rotation(bsky, session, engine):
    account = connect(session, bsky)
    bsky.expire_access()
    # The PDS says ExpiredToken (400): call_with_account refreshes once and retries.
    conn = get_connector("bluesky")
    result = service.call_with_account(
        account.id,
        lambda ref: conn.publish(PublishContext(account=ref, text="after expiry")),
        session=session,
    )
    assert result.remote_id and bsky.refresh_calls == 1
    # 10 workers find the token due at once → one refreshSession.
    _expire(session, account.id)
    errors: list[BaseException] = []

    def worker():
        try:
            with Session(engine) as s:
                service.ensure_fresh_token(account.id, session=s)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and bsky.refresh_calls == 2
    assert bsky.create_session_calls == 1


def test_revoked_session_needs_reconnect(bsky, session):
    account = connect(session, bsky)
    bsky.revoke_all()
    conn = get_connector("bluesky")
    with pytest.raises(ReconnectRequired):
        service.call_with_account(
            account.id,
            lambda ref: conn.publish(PublishContext(account=ref, text="x")),
            session=session,
        )
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.status == AccountStatus.NEEDS_RECONNECT


def test_disconnect_deletes_session(bsky, session):
    account = connect(session, bsky)
    assert service.disconnect(account.id, user_id=account.user_id, session=session)
    assert session.get(SocialAccount, account.id) is None
    assert all(s["revoked"] for s in bsky.sessions.values())


def test_published_record_links_long_tlds_byte_by_byte(bsky, session):
    """Issue 15 #11: `https://acme.marketing/offer` was published without a link facet
    (the old pattern allowed TLDs of at most 6 letters) while the preview showed a link."""
    account = connect(session, bsky)
    text = "Nouveauté 🎉 https://acme.marketing/offer. Also acme.photography!"
    get_connector("bluesky").publish(ctx(session, account, text))
    post = bsky.creates_of("post")[0]
    assert post["text"] == text
    # "Nouveauté 🎉 " is 10 + 1 + 4 + 1 = 16 bytes (é is 2 bytes, the emoji 4).
    assert post["facets"] == [
        {
            "index": {"byteStart": 16, "byteEnd": 44},
            "features": [
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://acme.marketing/offer"}
            ],
        },
        {
            "index": {"byteStart": 51, "byteEnd": 67},
            "features": [
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://acme.photography"}
            ],
        },
    ]
    raw = text.encode()
    assert raw[16:44] == b"https://acme.marketing/offer"
    assert raw[51:67] == b"acme.photography"
