"""Calendar maths: DST-safe local times, grids, cadence gaps and pillar coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from aigrowth.content.planning import (
    CadenceTarget,
    coverage,
    local_to_utc,
    month_grid,
    most_needed_pillar,
    open_slots,
    parse_hhmm,
    parse_targets,
    slot_weekdays,
)


@pytest.mark.parametrize(
    ("day", "at", "zone", "utc"),
    [
        # DST starts 2026-03-29 in Berlin (CET +1 -> CEST +2): 09:00 is 08:00, then 07:00 UTC.
        (date(2026, 3, 28), "09:00", "Europe/Berlin", (3, 28, 8, 0)),
        (date(2026, 3, 29), "09:00", "Europe/Berlin", (3, 29, 7, 0)),
        # DST ends 2026-10-25 (CEST +2 -> CET +1): 07:00, then 08:00 UTC.
        (date(2026, 10, 24), "09:00", "Europe/Berlin", (10, 24, 7, 0)),
        (date(2026, 10, 25), "09:00", "Europe/Berlin", (10, 25, 8, 0)),
        # 02:30 does not exist on 2026-03-29 in Berlin: becomes 03:30 CEST = 01:30 UTC.
        (date(2026, 3, 29), "02:30", "Europe/Berlin", (3, 29, 1, 30)),
        # 02:30 happens twice on 2026-10-25: the first (CEST) = 00:30 UTC.
        (date(2026, 10, 25), "02:30", "Europe/Berlin", (10, 25, 0, 30)),
        # Other zones; an unknown zone falls back to UTC.
        (date(2026, 7, 1), "09:00", "Asia/Kolkata", (7, 1, 3, 30)),
        (date(2026, 7, 1), "09:00", "Not/AZone", (7, 1, 9, 0)),
    ],
)
def test_local_wall_time_to_utc_across_dst(day, at, zone, utc):
    month, dom, hour, minute = utc
    assert local_to_utc(day, at, zone) == datetime(2026, month, dom, hour, minute, tzinfo=UTC)


def test_parse_hhmm_refuses_nonsense():
    assert parse_hhmm("9:05").hour == 9
    for bad in ("", "25:00", "nine", "12:61"):
        with pytest.raises(ValueError):
            parse_hhmm(bad)


def test_month_grid_is_whole_weeks_starting_monday():
    weeks = month_grid(2026, 2)  # Feb 2026 starts on a Sunday
    assert weeks[0][0] == date(2026, 1, 26) and weeks[0][6] == date(2026, 2, 1)
    assert all(len(w) == 7 and w[0].weekday() == 0 for w in weeks)
    assert weeks[-1][-1] >= date(2026, 2, 28)


def test_parse_targets_from_ai_strategy_shape():
    targets = parse_targets(
        {
            "pillars": [{"name": "Tips", "share": 60}, {"name": "Stories", "share": 40}],
            "cadence": [{"platform": "x", "posts_per_week": 5, "best_times": ["9:00", "bad"]}],
        }
    )
    assert targets.pillars == {"Tips": 0.6, "Stories": 0.4}
    assert targets.cadence["x"] == CadenceTarget("x", 5, ("09:00",))
    assert parse_targets({"cadence": {"linkedin": 2}}).cadence["linkedin"].posts_per_week == 2
    assert parse_targets(None).pillars == {}


def test_slot_weekdays_spread_evenly():
    assert slot_weekdays(1) == [0]
    assert slot_weekdays(3) == [0, 2, 4]
    assert slot_weekdays(7) == list(range(7))
    assert len(slot_weekdays(14)) == 14


def test_open_slots_respect_planned_posts_and_today():
    week = [date(2026, 4, 6 + i) for i in range(7)]  # Mon..Sun
    cadence = {"x": CadenceTarget("x", 3, ("10:00",)), "linkedin": CadenceTarget("linkedin", 1)}
    planned = {(date(2026, 4, 6), "x"): 1, (date(2026, 4, 9), "linkedin"): 1}
    slots = open_slots(week, cadence, planned, today=date(2026, 4, 6))
    assert [(s.day.isoformat(), s.platform, s.at) for s in slots] == [
        ("2026-04-08", "x", "10:00"),
        ("2026-04-10", "x", "10:00"),
    ]
    # Past days are never offered.
    later = open_slots(week, cadence, {}, today=date(2026, 4, 9))
    assert all(s.day >= date(2026, 4, 9) for s in later)


def test_coverage_maths():
    rows = coverage({"tips": 3, "Stories": 1, "": 1}, {"Tips": 0.5, "Stories": 0.3, "Launch": 0.2})
    by = {r.name: r for r in rows}
    assert by["Tips"].planned == 3 and by["Tips"].planned_share == pytest.approx(0.6)
    assert by["Stories"].planned_share == pytest.approx(0.2)
    assert by["Launch"].planned == 0 and by["Launch"].delta == pytest.approx(-0.2)
    assert by["No pillar"].target_share == 0 and by["No pillar"].planned == 1
    assert sum(r.planned_share for r in rows) == pytest.approx(1.0)
    assert coverage({}, {"A": 1.0})[0].planned_share == 0.0


def test_most_needed_pillar_fills_the_biggest_deficit():
    assert most_needed_pillar({"Tips": 3, "Stories": 0}, {"Tips": 0.5, "Stories": 0.5}) == "Stories"
    assert most_needed_pillar({}, {}) == ""
