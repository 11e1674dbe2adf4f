"""A small business with hand-computable analytics figures (see test_analytics_queries)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlmodel import Session

from aigrowth.accounts.models import User
from aigrowth.analytics.models import AccountMetricsDaily, AnalyticsSnapshot
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.social.models import SocialAccount


def _post(s, biz, account, platform, pillar, when, **kw) -> Content:  # type: ignore[no-untyped-def]
    row = Content(
        business_id=biz.id,
        social_account_id=account.id,
        platform=platform,
        pillar=pillar,
        text=kw.pop("text", f"{pillar} post"),
        status=ContentStatus.PUBLISHED,
        published_at=when,
        remote_url=f"https://{platform}.example/p/{uuid.uuid4().hex[:6]}",
        **kw,
    )
    s.add(row)
    s.flush()
    return row


def _snap(s, post, day, imp, likes, comments, shares, clicks) -> None:  # type: ignore[no-untyped-def]
    s.add(
        AnalyticsSnapshot(
            content_id=post.id,
            business_id=post.business_id,
            platform=post.platform,
            day=day,
            impressions=imp,
            likes=likes,
            comments=comments,
            shares=shares,
            clicks=clicks,
        )
    )


def seed(session: Session, email: str = "founder@example.com") -> dict:
    """The seed described in test_analytics_queries' docstring."""
    s = session
    user = User(email=email, timezone="Europe/Paris")
    s.add(user)
    s.flush()
    biz = Business(user_id=user.id, name="Roastery")
    s.add(biz)
    s.flush()
    x = SocialAccount(
        user_id=user.id, business_id=biz.id, platform="x", account_id="1", handle="roast"
    )
    bsky = SocialAccount(
        user_id=user.id,
        business_id=biz.id,
        platform="bluesky",
        account_id="did:plc:r",
        handle="r.bsky",
    )
    s.add_all([x, bsky])
    s.flush()
    p1 = _post(s, biz, x, "x", "Tips", datetime(2026, 3, 2, 9, tzinfo=UTC))
    p2 = _post(
        s,
        biz,
        bsky,
        "bluesky",
        "Stories",
        datetime(2026, 3, 3, 14, tzinfo=UTC),
        thread_parts=["2/2"],
    )
    p3 = _post(
        s,
        biz,
        x,
        "x",
        "Stories",
        datetime(2026, 3, 4, 9, tzinfo=UTC),
        text="Read https://r.example",
    )
    p0 = _post(s, biz, x, "x", "Tips", datetime(2026, 2, 27, 9, tzinfo=UTC))
    _snap(s, p1, date(2026, 3, 2), 100, 5, 1, 0, 2)
    _snap(s, p1, date(2026, 3, 3), 300, 10, 2, 3, 5)
    _snap(s, p2, date(2026, 3, 3), None, 4, 1, 1, None)
    _snap(s, p2, date(2026, 3, 4), None, 6, 2, 2, None)
    _snap(s, p3, date(2026, 3, 4), 200, 2, 0, 0, 8)
    _snap(s, p0, date(2026, 2, 28), 50, 1, None, None, None)
    for day, x_followers, bsky_followers in [
        (date(2026, 2, 27), 90, None),
        (date(2026, 3, 1), 100, None),
        (date(2026, 3, 2), 110, None),
        (date(2026, 3, 4), 125, None),
    ]:
        s.add(
            AccountMetricsDaily(
                social_account_id=x.id,
                business_id=biz.id,
                platform="x",
                day=day,
                followers=x_followers,
            )
        )
        s.add(
            AccountMetricsDaily(
                social_account_id=bsky.id,
                business_id=biz.id,
                platform="bluesky",
                day=day,
                followers=bsky_followers,
            )
        )
    s.commit()
    return {"user": user, "biz": biz, "p0": p0, "p1": p1, "p2": p2, "p3": p3, "x": x, "bsky": bsky}
