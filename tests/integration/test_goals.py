"""Goals scorecard: KPIs tied to measured series, pace projections, hand-entered values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from aigrowth.accounts.models import User
from aigrowth.analytics import goals
from aigrowth.analytics.models import AccountMetricsDaily, AnalyticsSnapshot
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.social.models import SocialAccount
from aigrowth.strategy.models import Strategy

TODAY = date(2026, 3, 1)


def test_pace_on_track_behind_and_reached():
    # 300 to go at 5 a day = 60 days → 30 Apr, before the 12 May deadline.
    assert goals.pace(current=700, target=1000, per_day=5, today=TODAY, by=date(2026, 5, 12)) == (
        "on_track",
        "on track — reaches 1,000 around 30 Apr 2026",
    )
    # Deadline in 31 days (4.43 weeks): 300 ÷ 4.43 = 68 a week needed.
    assert goals.pace(current=700, target=1000, per_day=5, today=TODAY, by=date(2026, 4, 1)) == (
        "behind",
        "behind — needs +68 a week",
    )
    assert goals.pace(current=1005, target=1000, per_day=0, today=TODAY, by=None)[0] == "reached"
    assert goals.pace(current=10, target=1000, per_day=-1, today=TODAY, by=None)[0] == "behind"


def test_slope_and_target_parsing():
    days = [(TODAY + timedelta(days=i), 100 + 3 * i) for i in range(10)]
    assert goals.slope_per_day(days) == pytest.approx(3.0)
    assert goals.slope_per_day(days[:1]) is None
    assert goals.parse_target("1,000 followers") == (1000, False)
    assert goals.parse_target("3%") == (3, True)
    assert goals.parse_target("2.5k") == (2500, False)
    assert goals.parse_target("grow") == (None, False)


@pytest.mark.parametrize(
    ("kpi", "metric"),
    [
        ({"name": "Followers", "goal": ""}, "followers"),
        ({"name": "Engagement rate", "goal": ""}, "engagement_rate"),
        ({"name": "Website visits", "goal": ""}, "clicks"),
        ({"name": "Newsletter subscribers", "goal": "newsletter"}, ""),
        ({"name": "Leads", "goal": "Leads / sign-ups"}, ""),
        ({"name": "Posts published", "goal": ""}, "posts"),
    ],
)
def test_kpis_map_to_series(kpi, metric):
    assert goals.metric_of(kpi) == metric


@pytest.fixture
def founder(session: Session):
    user = User(email="goals@example.com")
    session.add(user)
    session.flush()
    biz = Business(user_id=user.id, name="Roastery")
    session.add(biz)
    session.flush()
    account = SocialAccount(
        user_id=user.id, business_id=biz.id, platform="x", account_id="1", handle="r"
    )
    session.add(account)
    session.flush()
    kpis = [
        {"name": "Followers", "target": "1,000", "by": "2026-05-12", "goal": "Build an audience"},
        {"name": "Engagement rate", "target": "3%", "by": "", "goal": "Build an audience"},
        {"name": "Newsletter subscribers", "target": "500", "by": "", "goal": "newsletter"},
        {"name": "Posts published", "target": "20", "by": "2026-03-31", "goal": "Show up"},
    ]
    session.add(
        Strategy(
            business_id=biz.id,
            content={"kpis": kpis},
            created_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
    )
    # Followers: 5 a day for 4 weeks, 700 today.
    for i in range(28):
        day = TODAY - timedelta(days=27 - i)
        session.add(
            AccountMetricsDaily(
                social_account_id=account.id,
                business_id=biz.id,
                platform="x",
                day=day,
                followers=700 - 5 * (27 - i),
            )
        )
    # Six posts published in February; one with figures: 2 engagements on 100 impressions.
    for i in range(6):
        post = Content(
            business_id=biz.id,
            platform="x",
            status=ContentStatus.PUBLISHED,
            published_at=datetime(2026, 2, 10 + i, 9, tzinfo=UTC),
        )
        session.add(post)
        session.flush()
        if i == 0:
            session.add(
                AnalyticsSnapshot(
                    content_id=post.id,
                    business_id=biz.id,
                    platform="x",
                    day=date(2026, 2, 20),
                    impressions=100,
                    likes=2,
                )
            )
    session.commit()
    return user, biz


def test_scorecard_measures_each_kpi(founder, session):
    user, biz = founder
    card = {
        g.name: g for g in goals.scorecard(biz.id, user_id=user.id, session=session, today=TODAY)
    }
    followers = card["Followers"]
    assert followers.current == 700 and followers.target == 1000
    assert followers.progress == pytest.approx(0.7)
    assert (followers.status, followers.message) == (
        "on_track",
        "on track — reaches 1,000 around 30 Apr 2026",
    )
    rate = card["Engagement rate"]
    assert rate.current == pytest.approx(0.02) and rate.target == pytest.approx(0.03)
    assert rate.status == "behind" and "2.0%" in rate.message
    posts = card["Posts published"]
    assert posts.current == 6 and posts.status == "behind"
    assert posts.message.startswith("behind — needs +")
    newsletter = card["Newsletter subscribers"]
    assert not newsletter.measured and newsletter.status == "manual"
    assert "enter the current value" in newsletter.message


def test_hand_entered_value_for_an_unmeasured_kpi(founder, session):
    user, biz = founder
    kw = {"user_id": user.id, "session": session}
    assert goals.set_manual_value(biz.id, "Newsletter subscribers", "abc", **kw).startswith("Enter")
    assert "measured from the platforms" in goals.set_manual_value(biz.id, "Followers", "5", **kw)
    assert "not in the active" in goals.set_manual_value(biz.id, "Made up", "5", **kw)
    assert goals.set_manual_value(biz.id, "Newsletter subscribers", "250", **kw) == ""
    card = {g.name: g for g in goals.scorecard(biz.id, today=TODAY, **kw)}
    assert card["Newsletter subscribers"].current == 250
    assert card["Newsletter subscribers"].progress == pytest.approx(0.5)
    assert goals.set_manual_value(biz.id, "Newsletter subscribers", "1,200", **kw) == ""
    card = {g.name: g for g in goals.scorecard(biz.id, today=TODAY, **kw)}
    assert card["Newsletter subscribers"].status == "reached"


def test_another_user_gets_nothing(founder, session):
    _user, biz = founder
    other = User(email="other@example.com")
    session.add(other)
    session.commit()
    from aigrowth.ai.errors import NotFoundError

    with pytest.raises(NotFoundError):
        goals.scorecard(biz.id, user_id=other.id, session=session)
    with pytest.raises(NotFoundError):
        goals.set_manual_value(
            biz.id, "Newsletter subscribers", "1", user_id=other.id, session=session
        )
