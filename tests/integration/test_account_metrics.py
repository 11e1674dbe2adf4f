"""Account-level figures (followers...): one row per account per day from each
platform's fake over real HTTP; NULL where a platform reports nothing; one account's
platform error never stops the others."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from aigrowth.analytics.models import AccountMetricsDaily
from aigrowth.analytics.service import pull_account_metrics, pull_all
from aigrowth.db import get_engine
from aigrowth.social import service
from aigrowth.social.models import SocialAccount
from tests.fakes.bluesky import BlueskyFake
from tests.fakes.graph import GraphFake
from tests.fakes.linkedin import LinkedInFake
from tests.fakes.mastodon import MastodonFake
from tests.fakes.social_support import connect_oauth, make_user, serve
from tests.fakes.threads import ThreadsFake
from tests.fakes.x import XFake
from tests.integration.publish_support import make_user as make_founder
from tests.integration.publish_support import make_x_account, point_x_at

DAY = date(2026, 3, 2)


def _rows(session: Session) -> list[AccountMetricsDaily]:
    session.expire_all()
    return list(session.exec(select(AccountMetricsDaily)).all())


def _pull(session: Session) -> list[AccountMetricsDaily]:
    rows, failed = pull_account_metrics(engine=get_engine(), day=DAY)
    assert failed == 0
    found = _rows(session)
    assert len(found) == rows
    return found


def test_x_followers_and_a_second_pull_the_same_day_updates_the_row(app_env, monkeypatch, session):
    with XFake() as x:
        point_x_at(monkeypatch, x)
        user, biz = make_founder()
        account = make_x_account(user, biz, x)
        (row,) = _pull(session)
        assert (row.followers, row.following, row.posts) == (120, 80, 42)
        assert row.business_id == biz.id and row.day == DAY
        assert row.profile_views is None and row.reach is None  # X reports neither
        x.account_metrics["followers_count"] = 131
        (row,) = _pull(session)
        assert row.followers == 131 and row.social_account_id == account.id


def test_mastodon_followers_and_no_views(app_env, monkeypatch, session):
    with MastodonFake() as fake:
        from tests.fakes.social_support import set_env

        set_env(monkeypatch, SOCIAL_HTTP_TIMEOUT="2", **fake.settings())
        connect_oauth(session, "mastodon", instance_url=fake.base_url)
        (row,) = _pull(session)
        assert (row.followers, row.following, row.posts) == (64, 30, 12)
        assert row.profile_views is None and row.impressions is None


def test_bluesky_followers_from_the_public_profile(app_env, monkeypatch, session):
    for fake in serve(BlueskyFake(), monkeypatch, SOCIAL_HTTP_TIMEOUT="2"):
        user, _ = make_user(session)
        account = service.connect_bluesky(
            user_id=user.id,
            handle="@Alice.test",
            app_password="abcd-efgh-ijkl-mnop",
            pds_url=fake.base_url,
            session=session,
        )
        fake.users[account.account_id]["followersCount"] = 58
        (row,) = _pull(session)
        assert row.followers == 58 and row.following == 0 and row.profile_views is None


def test_facebook_pages_and_instagram(app_env, monkeypatch, session):
    for fake in serve(GraphFake(), monkeypatch):
        user = make_user(session)
        pages = connect_oauth(session, "facebook", user=user)
        (insta,) = connect_oauth(session, "instagram", user=user)
        fake.state.pages[0]["followers_count"] = 275
        rows = _pull(session)
        by_account = {r.social_account_id: r for r in rows}
        assert by_account[pages[0].id].followers == 275
        assert by_account[pages[1].id].followers == 250  # the fake's default
        ig = by_account[insta.id]
        assert (ig.followers, ig.following, ig.posts) == (310, 90, 25)
        assert (ig.reach, ig.profile_views) == (900, 35)


def test_threads_followers_and_profile_views(app_env, monkeypatch, session):
    for fake in serve(ThreadsFake(), monkeypatch):
        connect_oauth(session, "threads")
        fake.state.user["insights"] = {"followers_count": 77}
        (row,) = _pull(session)
        assert row.followers == 77 and row.profile_views == 410


def test_linkedin_page_followers_and_member_without_the_analytics_scope(
    app_env, monkeypatch, session
):
    for _fake in serve(LinkedInFake(), monkeypatch):
        user = make_user(session)
        (profile,) = connect_oauth(session, "linkedin", user=user)
        pages = connect_oauth(session, "linkedin", user=user, extra={"account_type": "page"})
        page = next(a for a in pages if a.account_type == "page")
        by_account = {r.social_account_id: r for r in _pull(session)}
        assert by_account[page.id].followers == 1200
        # Member follower counts need r_member_profileAnalytics: NULL, never 0.
        assert by_account[profile.id].followers is None


def test_a_platform_error_on_one_account_does_not_stop_the_others(app_env, monkeypatch, session):
    with XFake() as x:
        point_x_at(monkeypatch, x)
        user, biz = make_founder()
        good = make_x_account(user, biz, x, handle="good", x_user_id="1700000000000000001")
        bad = make_x_account(user, biz, x, handle="bad", x_user_id="1700000000000000002")
        from aigrowth.social import vault

        token = vault.decrypt(bad.id, session.get(SocialAccount, bad.id).access_token_enc)
        x.oauth.access[token].revoked = True
        stats = pull_all(now=datetime(2026, 3, 2, 12, tzinfo=UTC))
        assert stats.account_rows == 1 and stats.account_failures == 1
        assert [r.social_account_id for r in _rows(session)] == [good.id]


def test_each_day_is_a_row_of_its_own(app_env, monkeypatch, session):
    with XFake() as x:
        point_x_at(monkeypatch, x)
        user, biz = make_founder()
        make_x_account(user, biz, x)
        pull_account_metrics(engine=get_engine(), day=DAY)
        pull_account_metrics(engine=get_engine(), day=DAY + timedelta(days=1))
        assert sorted(r.day for r in _rows(session)) == [DAY, DAY + timedelta(days=1)]


def test_refresh_now_pulls_one_business_only_and_is_rate_limited(app_env, monkeypatch, session):
    from aigrowth.analytics.state import _claim_refresh

    with XFake() as x:
        point_x_at(monkeypatch, x)
        user, biz = make_founder()
        mine = make_x_account(user, biz, x, handle="mine", x_user_id="1700000000000000011")
        other_user, other_biz = make_founder("other@example.com")
        make_x_account(other_user, other_biz, x, handle="other", x_user_id="1700000000000000012")
        stats = pull_all(business_id=biz.id)
        assert stats.account_rows == 1
        assert [r.social_account_id for r in _rows(session)] == [mine.id]
        # "Refresh now": once per business per 10 minutes, across web processes (Redis).
        assert _claim_refresh(biz.id) is True
        assert _claim_refresh(biz.id) is False
        assert _claim_refresh(other_biz.id) is True
