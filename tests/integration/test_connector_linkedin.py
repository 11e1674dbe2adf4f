"""LinkedIn connector + social service against the fake LinkedIn (real HTTP, Redis, DBs)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from aigrowth.dbtypes import utcnow
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
from aigrowth.social.connectors.linkedin import LOOKUP_FORBIDDEN, post_url
from aigrowth.social.models import AccountStatus, SocialAccount
from tests.fakes.linkedin import LinkedInFake, render_little_text
from tests.fakes.social_support import (
    authorize,
    callback_client,
    connect_oauth,
    make_user,
    serve,
    set_env,
)
from tests.fakes.social_support import (
    publish_ctx as ctx_for,
)

ORG = "w_organization_social r_organization_social rw_organization_admin"


@pytest.fixture
def li(app_env, monkeypatch):
    yield from serve(LinkedInFake(), monkeypatch)


def connect(session: Session, fake: LinkedInFake) -> list[SocialAccount]:
    # No PKCE for web apps: `state` protects the flow. Profile first, then Pages.
    return connect_oauth(
        session,
        "linkedin",
        url_has=("state=",),
        url_lacks=("code_challenge",),
        order_by=SocialAccount.account_type.desc(),
    )


def test_connect_member_profile_stores_encrypted_token(li, session):
    (account,) = connect(session, li)
    assert account.account_id == li.state.member["sub"]
    assert account.account_type == "profile"
    assert account.display_name == "Fran Founder"
    assert account.status == AccountStatus.ACTIVE
    issued = next(iter(li.state.tokens))
    assert issued not in (account.access_token_enc or "")
    assert service.account_ref(account.id, session=session).access_token == issued
    # 60-day token, no refresh token for a non-partner app.
    assert account.token_expires_at > utcnow() + timedelta(days=59)
    assert account.refresh_token_enc is None


def test_connect_with_page_scopes_adds_the_organization_pages(li, session, monkeypatch):
    set_env(monkeypatch, LINKEDIN_EXTRA_SCOPES=ORG)
    accounts = connect(session, li)
    assert [(a.account_type, a.account_id) for a in accounts] == [
        ("profile", li.state.member["sub"]),
        ("page", "2414183"),
    ]
    page = accounts[1]
    assert page.display_name == "Acme Coffee" and page.meta["author_urn"] == (
        "urn:li:organization:2414183"
    )


def test_connect_a_company_page_from_the_accounts_page(li, session):
    """ "Connect a company page" (extra account_type=page): org scopes, pages only."""
    user = make_user(session)
    (profile,) = connect_oauth(session, "linkedin", user=user)
    pages = connect_oauth(
        session,
        "linkedin",
        user=user,
        extra={"account_type": "page"},
        url_has=("rw_organization_admin", "w_organization_social"),
        order_by=SocialAccount.account_type.desc(),
    )
    assert [(a.account_type, a.account_id, a.display_name) for a in pages] == [
        ("profile", li.state.member["sub"], "Fran Founder"),
        ("page", "2414183", "Acme Coffee"),
    ]
    assert pages[0].id == profile.id  # the profile is untouched, the page is added
    page = pages[1]
    assert page.meta["author_urn"] == "urn:li:organization:2414183"
    profile_token = service.account_ref(profile.id, session=session).access_token
    assert li.state.tokens[profile_token].scopes == {"openid", "profile", "w_member_social"}
    result = get_connector("linkedin").publish(ctx_for(session, page, "From the page"))
    (call,) = li.state.create_calls
    assert call["body"]["author"] == "urn:li:organization:2414183"
    assert li.state.posts[result.remote_id]["text"] == "From the page"


def test_company_page_connect_without_a_page_says_why(li, session):
    li.state.organizations = []
    user, token = make_user(session)
    url = service.begin_connect(
        "linkedin",
        user_id=user.id,
        session=session,
        session_token=token,
        extra={"account_type": "page"},
    )
    resp = callback_client(token).get(authorize(url))
    assert "not+an+administrator" in resp.headers["location"]
    assert service.list_accounts(user.id, session=session) == []


def test_publish_escapes_little_text_and_reads_the_urn_header(li, session):
    (account,) = connect(session, li)
    text = r"Launch (beta) for @team: [docs] <now> *bold* _it_ ~tilde | {braces} \ done #growth"
    # Without escaping, LinkedIn would keep only what precedes the first reserved char.
    assert render_little_text(text) == "Launch "
    result = get_connector("linkedin").publish(ctx_for(session, account, text))
    (call,) = li.state.create_calls
    assert call["headers"]["linkedin-version"] == "202511"
    assert call["headers"]["x-restli-protocol-version"] == "2.0.0"
    assert call["body"]["author"] == f"urn:li:person:{li.state.member['sub']}"
    assert call["body"]["lifecycleState"] == "PUBLISHED"
    stored = li.state.posts[result.remote_id]
    assert stored["text"] == text  # what readers see: the whole post
    assert result.remote_id.startswith("urn:li:share:")
    assert result.url == f"https://www.linkedin.com/feed/update/{result.remote_id}/"


def test_unknown_outcome_then_duplicate_names_the_existing_urn(li, session):
    (account,) = connect(session, li)
    connector = get_connector("linkedin")
    li.faults.fail_after_accept(1, path="/rest/posts", method="POST")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(ctx_for(session, account, "Accepted, then 500"))
    (urn,) = li.state.posts
    # A member's posts cannot be read back (403): lookup cannot tell, so it raises
    # (never "absent", which would let the publisher post again blindly)...
    with pytest.raises(PermanentError) as cannot_tell:
        connector.lookup(ctx_for(session, account, "Accepted, then 500"))
    assert cannot_tell.value.code == LOOKUP_FORBIDDEN and cannot_tell.value.status == 403
    # ...and publishing again finds out: 422 DUPLICATE_POST names the post we already made.
    with pytest.raises(DuplicateError) as dup:
        connector.publish(ctx_for(session, account, "Accepted, then 500"))
    assert dup.value.remote_id == urn and dup.value.url == post_url(urn)
    assert "duplicate" in dup.value.message
    assert len(li.state.posts) == 1
    # The refused create was a call (the fake counts it) but created nothing.
    assert len(li.create_calls("post")) == 2 and len(li.creates_of("post")) == 1

    # A hang after accepting is an unknown outcome too.
    li.faults.hang_after_accept(1, seconds=3, path="/rest/posts", method="POST")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(ctx_for(session, account, "slow"))


def test_page_lookup_reads_recent_posts(li, session, monkeypatch):
    set_env(monkeypatch, LINKEDIN_EXTRA_SCOPES=ORG)
    _profile, page = connect(session, li)
    connector = get_connector("linkedin")
    li.faults.fail_after_accept(1, path="/rest/posts", method="POST")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(ctx_for(session, page, "Page news (v2) #launch"))
    found = connector.lookup(ctx_for(session, page, "Page news (v2) #launch"))
    assert found is not None and found.remote_id == next(iter(li.state.posts))
    assert li.state.posts[found.remote_id]["author"] == "urn:li:organization:2414183"
    assert connector.lookup(ctx_for(session, page, "never posted")) is None


def test_lookup_raises_when_it_cannot_read_and_sees_lagging_posts_late(li, session, monkeypatch):
    set_env(monkeypatch, LINKEDIN_EXTRA_SCOPES=ORG)
    _profile, page = connect(session, li)
    connector = get_connector("linkedin")
    li.state.timeline_lag_s = 0.6
    result = connector.publish(ctx_for(session, page, "Lagging news"))
    # A failed read (5xx, 404 on the list) is "cannot tell", never "absent".
    li.faults.fail_before(1, status=503, path="/rest/posts", method="GET")
    with pytest.raises(RetryableError):
        connector.lookup(ctx_for(session, page, "Lagging news"))
    li.faults.fail_before(1, status=404, body={"status": 404}, path="/rest/posts", method="GET")
    with pytest.raises(PermanentError):
        connector.lookup(ctx_for(session, page, "Lagging news"))
    # A good read before the list shows the post says absent (the publisher asks again
    # after a delay)...
    assert connector.lookup(ctx_for(session, page, "Lagging news")) is None
    time.sleep(0.7)
    # ...and once the list caught up, it is found.
    found = connector.lookup(ctx_for(session, page, "Lagging news"))
    assert found is not None and found.remote_id == result.remote_id


def test_errors_are_classified(li, session, monkeypatch):
    (account,) = connect(session, li)
    connector = get_connector("linkedin")
    # 429 without headers: a daily limit, retried after midnight UTC.
    li.rate_limit(1, path="/rest/posts")
    with pytest.raises(RetryableError) as info:
        connector.publish(ctx_for(session, account, "hello"))
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs((info.value.retry_after or 0) - (midnight - now).total_seconds()) < 60
    # A retired LinkedIn-Version → 426 → permanent, naming the setting to change.
    set_env(monkeypatch, LINKEDIN_VERSION="202301")
    with pytest.raises(PermanentError) as old:
        get_connector("linkedin").publish(ctx_for(session, account, "hello"))
    assert old.value.status == 426 and "LINKEDIN_VERSION" in old.value.message
    set_env(monkeypatch, LINKEDIN_VERSION="202511")
    # Connection refused before sending → retryable.
    set_env(monkeypatch, LINKEDIN_API_BASE="http://127.0.0.1:9")
    with pytest.raises(RetryableError):
        get_connector("linkedin").publish(ctx_for(session, account, "hello"))
    set_env(monkeypatch, LINKEDIN_API_BASE=li.base_url)
    assert li.state.posts == {}
    # Revoked by the member (401, 65601) → needs reconnect, nothing posted.
    li.state.revoke_all()
    with pytest.raises(ReconnectRequired):
        service.call_with_account(
            account.id,
            lambda ref: connector.publish(PublishContext(account=ref, text="hi")),
            session=session,
        )
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.status == AccountStatus.NEEDS_RECONNECT
    assert li.state.posts == {}


def test_metrics_for_members_and_pages(li, session, monkeypatch):
    set_env(monkeypatch, LINKEDIN_EXTRA_SCOPES=ORG + " r_member_postAnalytics")
    profile, page = connect(session, li)
    connector = get_connector("linkedin")
    mine = connector.publish(ctx_for(session, profile, "member post"))
    ours = connector.publish(ctx_for(session, page, "page post"))
    li.state.set_stats(mine.remote_id, impressions=300, reach=200, likes=9, comments=2, shares=1)
    li.state.set_stats(ours.remote_id, impressions=500, reach=350, clicks=12, likes=20, comments=4)
    m = connector.fetch_metrics(ctx_for(session, profile, ""), mine.remote_id)
    assert (m.impressions, m.reach, m.likes, m.comments, m.shares, m.clicks) == (
        300,
        200,
        9,
        2,
        1,
        None,  # members get no click counts
    )
    p = connector.fetch_metrics(ctx_for(session, page, ""), ours.remote_id)
    assert (p.impressions, p.reach, p.clicks, p.likes, p.comments, p.shares) == (
        500,
        350,
        12,
        20,
        4,
        0,
    )


def test_metrics_without_analytics_permission_are_null_not_zero(li, session):
    (account,) = connect(session, li)
    connector = get_connector("linkedin")
    post = connector.publish(ctx_for(session, account, "no analytics scope"))
    m = connector.fetch_metrics(ctx_for(session, account, ""), post.remote_id)
    assert (m.impressions, m.likes, m.comments, m.shares, m.clicks) == (None,) * 5


def test_partner_refresh_token_is_used_when_the_access_token_expires(li, session):
    li.state.refresh_enabled = True
    (account,) = connect(session, li)
    old = service.account_ref(account.id, session=session)
    assert old.refresh_token
    row = session.get(SocialAccount, account.id)
    row.token_expires_at = utcnow() - timedelta(minutes=1)
    session.add(row)
    session.commit()
    fresh = service.ensure_fresh_token(account.id, session=session)
    assert fresh.access_token != old.access_token
    assert fresh.refresh_token == old.refresh_token  # LinkedIn keeps the refresh token
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.refresh_expires_at is not None and row.refresh_expires_at > utcnow()


def test_disconnect_revokes_a_profile_token_but_not_one_shared_with_pages(li, session, monkeypatch):
    (account,) = connect(session, li)
    token = service.account_ref(account.id, session=session).access_token
    assert service.disconnect(account.id, user_id=account.user_id, session=session) is True
    assert li.state.revoked_calls == [token]
    assert session.get(SocialAccount, account.id) is None
    set_env(monkeypatch, LINKEDIN_EXTRA_SCOPES=ORG)
    profile, page = connect(session, li)
    service.disconnect(profile.id, user_id=profile.user_id, session=session)
    assert len(li.state.revoked_calls) == 1
    # The Page still publishes with the shared token.
    assert get_connector("linkedin").publish(ctx_for(session, page, "still here")).remote_id


def test_images_are_uploaded_once_and_attached(li, session, tmp_path):
    (account,) = connect(session, li)
    connector = get_connector("linkedin")
    files = []
    for name in ("a.jpg", "b.jpg"):
        path = tmp_path / name
        path.write_bytes(b"\xff\xd8\xff\xe0" + name.encode() + b"\xff\xd9")
        files.append(Media(path=str(path), alt=f"photo {name}"))
    saved: list[dict] = []
    # The create call is throttled after the images went up: retry reuses them.
    li.rate_limit(1, path="/rest/posts")
    ctx = ctx_for(session, account, "Two photos", media=files, save_state=saved.append)
    with pytest.raises(RetryableError):
        connector.publish(ctx)
    assert len(li.state.images) == 2 and li.state.posts == {}
    retry = ctx_for(
        session,
        account,
        "Two photos",
        media=files,
        publish_state=dict(saved[-1]),
        save_state=saved.append,
    )
    result = connector.publish(retry)
    assert len(li.state.images) == 2  # not uploaded again
    post = li.state.posts[result.remote_id]
    assert post["images"] == saved[-1]["li_image_urns"]
    assert [li.state.images[u]["data"][4:9] for u in post["images"]] == [b"a.jpg", b"b.jpg"]
    body = li.state.create_calls[-1]["body"]
    assert [i["altText"] for i in body["content"]["multiImage"]["images"]] == [
        "photo a.jpg",
        "photo b.jpg",
    ]
