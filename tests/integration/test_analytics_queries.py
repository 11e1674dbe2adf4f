"""Analytics aggregations against figures computed by hand (SQLite and PostgreSQL).

The seed, period 2026-03-02..04 (previous: 02-27..03-01), user in Europe/Paris (UTC+1).
Snapshots are day: impressions, likes, comments, shares, clicks ("-" = not reported):

- P1 x, Tips, post, Mon 03-02 09:00 UTC: 03-02: 100,5,1,0,2 (eng 8); 03-03: 300,10,2,3,5 (eng 20)
- P2 bluesky, Stories, thread, Tue 03-03 14:00: 03-03: -,4,1,1,- (6); 03-04: -,6,2,2,- (10)
- P3 x, Stories, link, Wed 03-04 09:00: 03-04: 200,2,0,0,8 (eng 10)
- P0 x, Tips, post, Fri 02-27 09:00 (previous period): 02-28: 50,1,-,-,- (eng 1)

Daily increases: 03-02 imp 100 eng 8 clk 2; 03-03 imp 200 eng 18 clk 3; 03-04 imp 200
eng 14 clk 8. Period: 500 impressions, 40 engagements, 13 clicks, rate (8+12+10)/500.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from aigrowth.accounts.models import User
from aigrowth.analytics import queries as q
from tests.integration.analytics_support import seed

PERIOD = q.Filters(date(2026, 3, 2), date(2026, 3, 4))


@pytest.fixture
def seeded(session: Session) -> dict:
    return seed(session)


def _kw(w: dict, session: Session) -> dict:
    return {"user_id": w["user"].id, "session": session}


def test_daily_series_is_the_daily_increase_and_missing_figures_stay_null(seeded, session):
    points = q.daily_series(seeded["biz"].id, PERIOD, **_kw(seeded, session))
    assert [(p.day.day, p.impressions, p.engagements, p.clicks) for p in points] == [
        (2, 100, 8, 2),
        (3, 200, 18, 3),
        (4, 200, 14, 8),
    ]
    only_bsky = q.Filters(PERIOD.start, PERIOD.end, platform="bluesky")
    points = q.daily_series(seeded["biz"].id, only_bsky, **_kw(seeded, session))
    assert [(p.day.day, p.impressions, p.engagements, p.clicks) for p in points] == [
        (3, None, 6, None),
        (4, None, 4, None),
    ]


def test_headline_against_the_previous_period(seeded, session):
    h = q.headline(seeded["biz"].id, PERIOD, **_kw(seeded, session))
    assert (h.impressions.value, h.impressions.previous) == (500, 50)
    assert h.impressions.change == pytest.approx(9.0)
    assert (h.engagements.value, h.engagements.previous) == (40, 1)
    assert h.engagement_rate.value == pytest.approx(30 / 500)
    assert h.engagement_rate.previous == pytest.approx(1 / 50)
    assert (h.clicks.value, h.clicks.previous) == (13, None)  # P0's clicks: not reported
    assert h.clicks.change is None
    # X: 125 at the end minus 100 on the day before the period; Bluesky reports none.
    assert (h.followers_gained.value, h.followers_gained.previous) == (25, 10)
    assert (h.posts_published.value, h.posts_published.previous) == (3, 1)


def test_a_pillar_filter_narrows_every_figure(seeded, session):
    stories = q.Filters(PERIOD.start, PERIOD.end, pillar="Stories")
    points = q.daily_series(seeded["biz"].id, stories, **_kw(seeded, session))
    assert [(p.day.day, p.impressions, p.engagements) for p in points] == [
        (3, None, 6),
        (4, 200, 14),
    ]


def test_breakdowns_by_platform_pillar_and_format(seeded, session):
    kw = _kw(seeded, session)
    bid = seeded["biz"].id
    by_platform = q.breakdown(bid, PERIOD, "platform", **kw)
    assert [(g.key, g.posts, g.impressions, g.engagements, g.clicks) for g in by_platform] == [
        ("x", 2, 500, 30, 13),
        ("bluesky", 1, None, 10, None),
    ]
    assert by_platform[0].engagement_rate == pytest.approx(30 / 500)
    assert by_platform[1].engagement_rate is None
    by_pillar = q.breakdown(bid, PERIOD, "pillar", **kw)
    assert [(g.key, g.posts) for g in by_pillar] == [("Tips", 1), ("Stories", 2)]
    assert by_pillar[0].engagement_rate == pytest.approx(20 / 300)
    assert by_pillar[1].engagement_rate == pytest.approx(10 / 200)
    by_format = {g.key: g.posts for g in q.breakdown(bid, PERIOD, "format", **kw)}
    assert by_format == {"post": 1, "thread": 1, "link": 1}
    with pytest.raises(ValueError):
        q.breakdown(bid, PERIOD, "colour", **kw)


def test_heatmap_in_the_users_time_zone_with_posts_per_cell(seeded, session):
    cells = q.heatmap(seeded["biz"].id, PERIOD, timezone="Europe/Paris", **_kw(seeded, session))
    got = [(c.weekday, c.hour, c.posts, c.engagement_rate) for c in cells]
    assert got == [
        (0, 10, 1, pytest.approx(20 / 300)),  # Monday 09:00 UTC = 10:00 in Paris
        (1, 15, 1, None),  # Bluesky: no impressions, so no rate, but the post counts
        (2, 10, 1, pytest.approx(10 / 200)),
    ]


def test_top_and_bottom_posts(seeded, session):
    kw = _kw(seeded, session)
    top = q.ranked_posts(seeded["biz"].id, PERIOD, **kw)
    assert [p.id for p in top] == [str(seeded[k].id) for k in ("p1", "p3", "p2")]
    assert (top[0].impressions, top[0].engagements, top[0].clicks) == (300, 20, 5)
    assert top[0].remote_url.startswith("https://x.example/")
    bottom = q.ranked_posts(seeded["biz"].id, PERIOD, worst=True, **kw)
    assert [p.id for p in bottom] == [str(seeded[k].id) for k in ("p3", "p1", "p2")]


def test_page_data_says_which_platforms_give_no_impressions(seeded, session):
    data = q.page_data(seeded["biz"].id, PERIOD, timezone="Europe/Paris", **_kw(seeded, session))
    assert data.platforms_without_impressions == ["bluesky"]
    assert data.published_total == 4
    assert [(p.day.day, p.followers) for p in data.followers if p.account.startswith("X")] == [
        (2, 110),
        (4, 125),
    ]


def test_another_users_business_is_refused(seeded, session):
    other = User(email="other@example.com")
    session.add(other)
    session.commit()
    from aigrowth.ai.errors import NotFoundError

    with pytest.raises(NotFoundError):
        q.page_data(seeded["biz"].id, PERIOD, user_id=other.id, session=session)


def test_filters_from_the_page():
    today = date(2026, 3, 10)
    f = q.make_filters(today=today, days=7)
    assert (f.start, f.end, f.days) == (date(2026, 3, 4), today, 7)
    assert q.make_filters(today=today, days=13).days == 30  # unknown choice → 30 days
    prev = f.previous()
    assert (prev.start, prev.end) == (date(2026, 2, 25), date(2026, 3, 3))
    for start, end, message in [
        (date(2026, 3, 5), date(2026, 3, 1), "on or before"),
        (date(2024, 1, 1), date(2026, 3, 1), "at most"),
        (date(2026, 4, 1), date(2026, 4, 2), "future"),
    ]:
        with pytest.raises(ValueError, match=message):
            q.make_filters(today=today, start=start, end=end)
