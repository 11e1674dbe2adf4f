"""Offline re-plan rules on hand-made results (no database)."""

from __future__ import annotations

import pytest

from aigrowth.ai.replan_rules import offline_replan, round_shares

STRATEGY = {
    "summary": "s",
    "platforms": [{"platform": "x", "why": "w"}, {"platform": "linkedin", "why": "w"}],
    "pillars": [
        {"name": "Tips", "description": "d", "share": 40},
        {"name": "Stories", "description": "d", "share": 35},
        {"name": "Offers", "description": "d", "share": 25},
    ],
    "cadence": [
        {"platform": "x", "posts_per_week": 5, "best_times": ["12:00"]},
        {"platform": "linkedin", "posts_per_week": 3, "best_times": ["08:00"]},
    ],
    "tone": {"voice": "v", "do": ["Be specific"], "dont": []},
    "kpis": [{"name": "Followers", "target": "1000", "by": "", "goal": "g"}],
}


def _g(key: str, posts: int, rate: float | None) -> dict:
    return {"key": key, "posts": posts, "engagement_rate": rate}


RESULTS = {
    "period_days": 90,
    "published_posts": 30,
    "overall": {"engagement_rate": 0.03},
    "pillars": [_g("Tips", 12, 0.06), _g("Stories", 10, 0.02), _g("Offers", 8, 0.01)],
    "platforms": [_g("x", 20, 0.045), _g("linkedin", 10, 0.015)],
    "formats": [_g("thread", 6, 0.07), _g("post", 24, 0.02)],
    "slots": [
        {"weekday": "Tue", "hour": 9, "posts": 4, "engagement_rate": 0.08},
        {"weekday": "Thu", "hour": 17, "posts": 3, "engagement_rate": 0.05},
        {"weekday": "Mon", "hour": 12, "posts": 1, "engagement_rate": 0.2},  # one post: noise
    ],
}


def test_round_shares_sum_to_100_with_a_floor():
    shares = round_shares({"a": 0.7, "b": 0.29, "c": 0.01})
    assert sum(shares.values()) == 100 and min(shares.values()) >= 5


def test_every_rule_with_its_figures():
    out = offline_replan(STRATEGY, RESULTS)
    assert out is not None
    shares = {p.name: p.share for p in out.strategy.pillars}
    assert shares["Tips"] > 40 and shares["Offers"] < 25 and sum(shares.values()) == 100
    by = {(c.area, c.item): c for c in out.changes}
    assert "6.0% engagement over 12 posts vs 3.0% overall" in by[("pillars", "Tips")].why
    cadence = {c.platform: c.posts_per_week for c in out.strategy.cadence}
    assert cadence == {"x": 6, "linkedin": 2}
    assert by[("cadence", "X")].before == "5 posts/week"
    times = {c.platform: c.best_times for c in out.strategy.cadence}
    assert times == {"x": ["09:00", "17:00"], "linkedin": ["09:00", "17:00"]}
    assert "Tue 09:00 posts averaged 8.0% over 4 posts" in by[("times", "X")].why
    assert any("thread" in item for item in out.strategy.tone.do)
    assert STRATEGY["pillars"][0]["share"] == 40  # the input is left untouched


def test_too_little_data_and_nothing_measured():
    with pytest.raises(ValueError, match="Only 9 posts published"):
        offline_replan(STRATEGY, {**RESULTS, "published_posts": 9})
    with pytest.raises(ValueError, match="No engagement rate"):
        offline_replan(STRATEGY, {**RESULTS, "overall": {"engagement_rate": None}})


def test_no_change_when_results_are_even():
    even = {
        **RESULTS,
        "pillars": [_g("Tips", 10, 0.03), _g("Stories", 10, 0.03), _g("Offers", 10, 0.03)],
        "platforms": [_g("x", 20, 0.03), _g("linkedin", 10, 0.03)],
        "formats": [_g("post", 30, 0.03)],
        "slots": [],
    }
    strategy = {
        **STRATEGY,
        "pillars": [
            dict(p, share=s) for p, s in zip(STRATEGY["pillars"], (34, 33, 33), strict=True)
        ],
    }
    assert offline_replan(strategy, even) is None


def test_weighted_pillar_shares_keep_a_quarter_for_exploring():
    from aigrowth.ai.planning import weighted_pillar_shares

    pillars = [{"name": "A", "share": 50}, {"name": "B", "share": 50}]
    weights = weighted_pillar_shares(pillars, {"A": 2.0, "B": 0.5})
    # leaned: A 100, B 25 → 0.8/0.2; mixed with a quarter of the plain 0.5/0.5.
    assert weights["A"] == pytest.approx(0.25 * 0.5 + 0.75 * 0.8)
    assert weights["B"] == pytest.approx(0.25 * 0.5 + 0.75 * 0.2)
    # Factors are capped at 2x / 0.5x; unknown pillars keep 1.
    assert weighted_pillar_shares(pillars, {"A": 50.0}) == weighted_pillar_shares(
        pillars, {"A": 2.0}
    )
