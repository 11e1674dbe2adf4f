"""Dashboard summary: counts, upcoming posts in the user's time zone, results, checklist."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from aigrowth.accounts.models import User
from aigrowth.analytics.models import AnalyticsSnapshot
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content
from aigrowth.dashboard.service import dashboard_summary
from aigrowth.dbtypes import utcnow
from aigrowth.social.models import SocialAccount
from aigrowth.strategy.models import Strategy


def _user(session, email: str) -> User:
    user = User(email=email, timezone="Europe/Berlin")
    session.add(user)
    session.commit()
    return user


def test_summary_counts_and_orders_what_matters(session) -> None:
    owner = _user(session, "a@example.com")
    business = Business(user_id=owner.id, name="Acme Bakery", onboarding_completed=True)
    session.add(business)
    session.commit()
    now = utcnow()
    soon = now + timedelta(days=1)
    later = now + timedelta(days=3)
    far = now + timedelta(days=20)
    posts = [
        Content(business_id=business.id, platform="x", text="draft one"),
        Content(business_id=business.id, platform="x", text="later", status="scheduled",
                scheduled_for=later),
        Content(business_id=business.id, platform="bluesky", text="soon", status="scheduled",
                scheduled_for=soon),
        Content(business_id=business.id, platform="mastodon", text="far", status="scheduled",
                scheduled_for=far),
        Content(business_id=business.id, platform="linkedin", text="went out",
                status="published", published_at=now - timedelta(days=2)),
        Content(business_id=business.id, platform="threads", text="broke", status="failed",
                last_error="Token revoked: reconnect Threads"),
    ]  # fmt: skip
    session.add_all(posts)
    session.commit()
    published = posts[4]
    # Two daily snapshots of one post: only the latest counts (counters are cumulative).
    for day, impressions, likes in (
        (date.today() - timedelta(days=1), 100, 5),
        (date.today(), 250, 9),
    ):
        session.add(AnalyticsSnapshot(
            content_id=published.id, business_id=business.id, platform="linkedin", day=day,
            impressions=impressions, likes=likes, comments=1, shares=None,
            engagement_rate=(likes + 1) / impressions,
        ))  # fmt: skip
    session.commit()

    summary = dashboard_summary(
        business, user_id=owner.id, timezone="Europe/Berlin", session=session
    )
    assert summary.business_name == "Acme Bakery"
    assert summary.drafts == 1
    assert summary.scheduled_next_7_days == 2  # the one in 20 days is not "this week"
    assert summary.published_last_30_days == 1
    assert summary.needs_attention == 1
    assert [p.snippet for p in summary.upcoming] == ["soon", "later", "far"]
    expected_local = soon.astimezone(ZoneInfo("Europe/Berlin"))
    assert summary.upcoming[0].when == expected_local.strftime("%a %d %b, %H:%M")
    assert summary.attention[0].detail == "Token revoked: reconnect Threads"
    assert summary.impressions_30d == 250 and summary.engagements_30d == 10
    assert summary.avg_engagement_rate == pytest.approx(10 / 250)
    steps = {s.title: s.done for s in summary.steps}
    assert steps["Describe your business"] and steps["Generate your first posts"]
    assert steps["Schedule a post"]
    assert not steps["Get your marketing strategy"] and not steps["Connect a social account"]
    assert not summary.setup_complete


def test_missing_metrics_stay_unknown_not_zero(session) -> None:
    owner = _user(session, "b@example.com")
    business = Business(user_id=owner.id, name="Quiet")
    session.add(business)
    session.add(Strategy(business_id=business.id, version=1))
    session.add(SocialAccount(user_id=owner.id, platform="bluesky", account_id="did:plc:x",
                              status="needs_reconnect"))  # fmt: skip
    session.commit()
    summary = dashboard_summary(business, user_id=owner.id, timezone="UTC", session=session)
    assert summary.impressions_30d is None and summary.avg_engagement_rate is None
    assert summary.accounts_connected == 1 and summary.accounts_need_reconnect == 1
    assert summary.upcoming == [] and summary.attention == []


def test_no_business_gives_the_first_step_only(session) -> None:
    owner = _user(session, "c@example.com")
    summary = dashboard_summary(None, user_id=owner.id, timezone="UTC", session=session)
    assert summary.business_id == "" and not summary.steps[0].done


def test_another_users_business_is_refused(session) -> None:
    alice = _user(session, "alice@example.com")
    bob = _user(session, "bob@example.com")
    business = Business(user_id=alice.id, name="Alice's")
    session.add(business)
    session.commit()
    with pytest.raises(PermissionError):
        dashboard_summary(business, user_id=bob.id, timezone="UTC", session=session)
