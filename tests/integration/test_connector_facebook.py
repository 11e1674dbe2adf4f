"""Facebook Pages connector + social service against the fake Graph API (real HTTP)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from aigrowth.social import service
from aigrowth.social.connectors.base import (
    DuplicateError,
    Media,
    PermanentError,
    PublishContext,
    ReconnectRequired,
    RetryableError,
    UnknownOutcomeError,
    get_connector,
)
from aigrowth.social.models import AccountStatus, SocialAccount
from tests.fakes.graph import GraphFake
from tests.fakes.social_support import (
    connect_oauth,
    make_user,
    serve,
)
from tests.fakes.social_support import (
    publish_ctx as ctx_for,
)


@pytest.fixture
def graph(app_env, monkeypatch):
    yield from serve(GraphFake(), monkeypatch)


def connect(session: Session, fake: GraphFake) -> list[SocialAccount]:
    return connect_oauth(session, "facebook", url_has=("/v24.0/dialog/oauth?", "state="))


def test_connect_gives_one_account_per_page_with_its_page_token(graph, session):
    accounts = connect(session, graph)
    assert [(a.account_id, a.display_name, a.account_type) for a in accounts] == [
        ("20001", "Acme Coffee", "page"),
        ("20002", "Side Project", "page"),
    ]
    # The dialog asked for the page permissions, comma-separated.
    (dialog,) = graph.calls_to("/v24.0/dialog/oauth")
    assert "pages_manage_posts" in dialog.query and "state=" in dialog.query
    for account in accounts:
        ref = service.account_ref(account.id, session=session)
        tok = graph.state.tokens[ref.access_token]
        assert tok.kind == "page" and tok.page_id == account.account_id
        assert account.token_expires_at is None  # page tokens do not expire on their own
        assert ref.access_token not in (account.access_token_enc or "")
    # The short-lived token was exchanged for a long-lived one (fb_exchange_token).
    kinds = sorted(t.kind for t in graph.state.tokens.values())
    assert "user_short" in kinds and "user_long" in kinds


def test_publish_text_and_photos_with_the_page_token(graph, session):
    page = connect(session, graph)[0]
    connector = get_connector("facebook")
    result = connector.publish(ctx_for(session, page, "We open at 8", hashtags=["coffee"]))
    post = graph.state.posts[result.remote_id]
    assert post["message"] == "We open at 8\n\n#coffee"
    assert result.remote_id.startswith("20001_")
    assert result.url == f"https://www.facebook.com/20001/posts/{result.remote_id.split('_')[1]}"
    saved: list[dict] = []
    ctx = ctx_for(
        session,
        page,
        "Two photos",
        media=[Media(url=graph.image_url("a.jpg")), Media(url=graph.image_url("b.jpg"))],
        save_state=saved.append,
    )
    with_photos = connector.publish(ctx)
    attached = graph.state.posts[with_photos.remote_id]["attached"]
    assert len(attached) == 2 and all(not graph.state.photos[p]["published"] for p in attached)
    assert saved[-1]["fb_photo_ids"] == attached


def test_unknown_outcome_lookup_and_duplicates(graph, session):
    page = connect(session, graph)[0]
    connector = get_connector("facebook")
    graph.faults.fail_after_accept(1, path="/v24.0/20001/feed", method="POST")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(ctx_for(session, page, "Accepted, then 500"))
    (post_id,) = graph.state.posts
    found = connector.lookup(ctx_for(session, page, "Accepted, then 500"))
    assert found is not None and found.remote_id == post_id
    assert connector.lookup(ctx_for(session, page, "never posted")) is None
    # Posting the same text again: Graph 506 → DuplicateError, nothing new was created.
    with pytest.raises(DuplicateError) as dup:
        connector.publish(ctx_for(session, page, "Accepted, then 500"))
    assert dup.value.code == "duplicate" and isinstance(dup.value, PermanentError)
    assert "duplicate" in dup.value.message
    assert len(graph.state.posts) == 1
    # The fake counts the refused call, but only the accepted one as a create.
    assert len(graph.create_calls("fb_post")) == 2 and len(graph.creates_of("fb_post")) == 1
    # A failed read of the Page's posts is "cannot tell", never "absent".
    graph.faults.fail_before(
        1, status=200, body={"error": "no list"}, path="/v24.0/20001/", method="GET"
    )
    with pytest.raises(RetryableError):
        connector.lookup(ctx_for(session, page, "never posted"))
    graph.faults.hang_after_accept(1, seconds=3, path="/v24.0/20001/feed", method="POST")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(ctx_for(session, page, "slow"))


def test_throttling_is_read_from_the_error_code_and_usage_headers(graph, session):
    page = connect(session, graph)[0]
    connector = get_connector("facebook")
    # Page-level throttle (HTTP 400, code 32): wait from X-Business-Use-Case-Usage.
    graph.throttle(1, code=32, page_id="20001", regain_minutes=7, path="/v24.0/20001/feed")
    with pytest.raises(RetryableError) as info:
        connector.publish(ctx_for(session, page, "hello"))
    assert info.value.retry_after == 420
    # App-level (code 4) without a regain estimate: a default wait, still retryable.
    graph.throttle(1, code=4, path="/v24.0/20001/feed")
    with pytest.raises(RetryableError) as info:
        connector.publish(ctx_for(session, page, "hello"))
    assert info.value.retry_after and info.value.retry_after > 0
    assert graph.state.posts == {}


def test_invalidated_session_marks_needs_reconnect(graph, session):
    page = connect(session, graph)[0]
    graph.state.revoke_all(subcode=460)  # the person changed their password
    connector = get_connector("facebook")
    with pytest.raises(ReconnectRequired) as info:
        service.call_with_account(
            page.id,
            lambda ref: connector.publish(PublishContext(account=ref, text="hi")),
            session=session,
        )
    assert "password" in info.value.message
    row = session.get(SocialAccount, page.id, populate_existing=True)
    assert row.status == AccountStatus.NEEDS_RECONNECT
    assert graph.state.posts == {}


def test_metrics_counts_and_insights(graph, session):
    page = connect(session, graph)[0]
    connector = get_connector("facebook")
    post = connector.publish(ctx_for(session, page, "measure me"))
    graph.state.set_post_stats(post.remote_id, reactions=11, comments=3, views=250, clicks=8)
    m = connector.fetch_metrics(ctx_for(session, page, ""), post.remote_id)
    # Nobody shared: Graph omits "shares", which is a zero (not a missing figure).
    assert (m.impressions, m.likes, m.comments, m.shares, m.clicks) == (250, 11, 3, 0, 8)


def test_disconnecting_the_last_account_of_a_facebook_login_revokes_it(graph, session):
    user = make_user(session)
    pages = connect_oauth(session, "facebook", user=user)
    (insta,) = connect_oauth(session, "instagram", user=user)
    tokens = {t: graph.state.tokens[t] for t in list(graph.state.tokens)}
    # Two Pages and an Instagram account, all from one Facebook login.
    for account in pages:
        assert service.disconnect(account.id, user_id=account.user_id, session=session) is False
        assert graph.state.revoke_calls == 0
    assert all(t.revoked_subcode is None for t in tokens.values())
    assert (
        get_connector("instagram")
        .publish(
            PublishContext(
                account=service.ensure_fresh_token(insta.id, session=session),
                text="still connected",
                media=[Media(url=graph.image_url())],
            )
        )
        .remote_id
    )
    # The last one removes the app's grant at Meta (DELETE /{user-id}/permissions).
    assert service.disconnect(insta.id, user_id=insta.user_id, session=session) is True
    assert graph.state.revoke_calls == 1
    assert graph.state.requests[-1] == ("DELETE", f"{graph.state.user['id']}/permissions")
    assert all(t.revoked_subcode == 458 for t in tokens.values())
    assert service.list_accounts(insta.user_id, session=session) == []


def test_login_revocation_failing_still_deletes_the_tokens(graph, session):
    (page, other) = connect(session, graph)
    service.disconnect(page.id, user_id=page.user_id, session=session)
    graph.faults.fail_before(3, status=500, path="/v24.0/10001/permissions")
    assert service.disconnect(other.id, user_id=other.user_id, session=session) is False
    assert graph.state.revoke_calls == 0
    assert session.get(SocialAccount, other.id) is None


def test_revoke_login_removes_the_app_for_every_page(graph, session):
    pages = connect(session, graph)
    connector = get_connector("facebook")
    # Disconnecting one Page keeps the others working (the grant is shared)...
    service.disconnect(pages[0].id, user_id=pages[0].user_id, session=session)
    assert graph.state.revoke_calls == 0
    assert connector.publish(ctx_for(session, pages[1], "still connected")).remote_id
    # ...while revoke_login removes the grant with the app token.
    connector.revoke_login(service.account_ref(pages[1].id, session=session))
    assert graph.state.revoke_calls == 1
    with pytest.raises(ReconnectRequired):
        connector.publish(ctx_for(session, pages[1], "after revoke"))
