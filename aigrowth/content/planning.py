"""Calendar maths without a database: time zones, month/week grids, cadence gaps, coverage.

Kept pure so the DST rules, the gap finder and the coverage maths are unit-tested on
their own and the calendar view model builds fast (bench/bench_calendar.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME = "09:00"


# --------------------------------------------------------------------------- time zones
def get_zone(tz: str | None) -> ZoneInfo:
    """The user's zone; an unknown or empty name falls back to UTC instead of failing."""
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_hhmm(value: str) -> time:
    """'9:05' / '09:05' -> time(9, 5); raises ValueError with a plain message."""
    parts = (value or "").strip().split(":")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1][:2].isdigit():
        raise ValueError(f"“{value}” is not a time of day (use HH:MM, e.g. 09:00).")
    hour, minute = int(parts[0]), int(parts[1][:2])
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"“{value}” is not a time of day (use HH:MM, e.g. 09:00).")
    return time(hour, minute)


def local_to_utc(day: date, at: time | str, tz: str | None) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``tz``, DST-safe.

    - Normal times: the offset in force on that date (CET in winter, CEST in summer).
    - A wall time that does not exist (the spring-forward gap, e.g. 02:30 in Berlin on
      the last Sunday of March) moves forward by the gap, to 03:30 — what a person means.
    - A wall time that happens twice (autumn fall-back) is the first occurrence.
    """
    if isinstance(at, str):
        at = parse_hhmm(at)
    zone = get_zone(tz)
    local = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    utc = local.astimezone(UTC)
    back = utc.astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        # Nonexistent: fold=0 used the offset before the gap; fold=1 the one after.
        # The later instant corresponds to wall time shifted forward by the gap.
        utc = max(utc, local.replace(fold=1).astimezone(UTC))
    return utc


def utc_to_local(instant: datetime, tz: str | None) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")
    return instant.astimezone(get_zone(tz))


def local_day_bounds_utc(first: date, last: date, tz: str | None) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering local days first..last inclusive."""
    zone = get_zone(tz)
    start = datetime.combine(first, time(0)).replace(tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0)).replace(tzinfo=zone).astimezone(UTC)
    return start, end


# --------------------------------------------------------------------------- grids
def week_start(day: date) -> date:
    """Monday of the week holding ``day``."""
    return day - timedelta(days=day.weekday())


def month_grid(year: int, month: int) -> list[list[date]]:
    """Weeks (Monday first) covering the month, including spill-over days."""
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    start = week_start(first)
    weeks: list[list[date]] = []
    cur = start
    while cur <= last:
        weeks.append([cur + timedelta(days=i) for i in range(7)])
        cur += timedelta(days=7)
    return weeks


def week_grid(day: date) -> list[date]:
    start = week_start(day)
    return [start + timedelta(days=i) for i in range(7)]


# --------------------------------------------------------------------------- strategy targets
@dataclass(frozen=True)
class CadenceTarget:
    platform: str
    posts_per_week: int
    best_times: tuple[str, ...] = ()


@dataclass(frozen=True)
class Targets:
    """What the active strategy asks for: pillar shares (fractions) and weekly cadence."""

    pillars: dict[str, float] = field(default_factory=dict)
    cadence: dict[str, CadenceTarget] = field(default_factory=dict)


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def parse_targets(content: Mapping[str, Any] | None) -> Targets:
    """Read pillars and cadence from ``Strategy.content``.

    The AI layer stores ``{"pillars": [{"name", "share" (percent)}], "cadence":
    [{"platform", "posts_per_week", "best_times": ["HH:MM"]}]}``; a dict keyed by
    platform and shares given as fractions are accepted too, so hand-written
    strategies work.
    """
    content = content or {}
    pillars: dict[str, float] = {}
    for item in content.get("pillars") or []:
        if isinstance(item, str):
            pillars[item] = 1.0
            continue
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name") or item.get("title") or "").strip()
        share = _number(
            item.get("share", item.get("target_share", item.get("weight", item.get("percent"))))
        )
        if name:
            pillars[name] = share if share is not None else 1.0
    total = sum(pillars.values())
    if total > 0:
        pillars = {name: share / total for name, share in pillars.items()}

    cadence: dict[str, CadenceTarget] = {}
    raw = content.get("cadence") or {}
    items: Iterable[tuple[str, object]]
    if isinstance(raw, Mapping):
        items = raw.items()
    else:
        items = [
            (str(entry.get("platform", "")), entry) for entry in raw if isinstance(entry, Mapping)
        ]
    for platform, spec in items:
        if isinstance(spec, Mapping):
            per_week = _number(spec.get("posts_per_week", spec.get("per_week")))
            times = tuple(str(t) for t in spec.get("best_times") or () if isinstance(t, str))
        else:
            per_week, times = _number(spec), ()
        if platform and per_week:
            valid_times = []
            for t in times:
                try:
                    valid_times.append(parse_hhmm(t).strftime("%H:%M"))
                except ValueError:
                    continue
            cadence[platform] = CadenceTarget(platform, round(per_week), tuple(valid_times))
    return Targets(pillars=pillars, cadence=cadence)


# --------------------------------------------------------------------------- gaps
@dataclass(frozen=True)
class OpenSlot:
    day: date
    platform: str
    at: str  # local HH:MM

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}|{self.platform}|{self.at}"


def slot_weekdays(posts_per_week: int) -> list[int]:
    """Weekdays (0 = Monday) of ``n`` evenly spread weekly slots; several a day past 7."""
    n = max(0, int(posts_per_week))
    return sorted(int(i * 7 // n) for i in range(n)) if n else []


def open_slots(
    days: list[date],
    cadence: Mapping[str, CadenceTarget],
    planned: Mapping[tuple[date, str], int],
    *,
    today: date,
) -> list[OpenSlot]:
    """Empty slots against the cadence in the visible ``days`` (today and later only).

    Per week and platform, the target is ``posts_per_week`` posts on evenly spread days;
    posts already planned that week fill slots first (wherever they are), and only the
    remaining slots on the suggested days are reported open.
    """
    visible = set(days)
    weeks = sorted({week_start(d) for d in days})
    result: list[OpenSlot] = []
    for monday in weeks:
        week_days = [monday + timedelta(days=i) for i in range(7)]
        for platform, target in sorted(cadence.items()):
            have = sum(planned.get((d, platform), 0) for d in week_days)
            missing = target.posts_per_week - have
            if missing <= 0:
                continue
            times = target.best_times or (DEFAULT_TIME,)
            # Suggested days without a post of this platform, in order; then any day.
            suggested = slot_weekdays(target.posts_per_week)
            candidates: list[tuple[date, str]] = []
            per_day_seen: dict[date, int] = {}
            for wd in suggested:
                day = monday + timedelta(days=wd)
                idx = per_day_seen.get(day, 0)
                per_day_seen[day] = idx + 1
                if planned.get((day, platform), 0) > idx:
                    continue  # this slot is already taken by a post that day
                candidates.append((day, times[idx % len(times)]))
            for day, at in candidates[:missing]:
                if day in visible and day >= today:
                    result.append(OpenSlot(day, platform, at))
    return result


# --------------------------------------------------------------------------- coverage
@dataclass(frozen=True)
class CoverageRow:
    name: str
    planned: int
    planned_share: float  # 0..1 of the planned posts
    target_share: float  # 0..1; 0 when the strategy sets none

    @property
    def delta(self) -> float:
        return self.planned_share - self.target_share


def coverage(counts: Mapping[str, int], targets: Mapping[str, float]) -> list[CoverageRow]:
    """Planned mix vs target shares: every target appears, and every planned name too.

    Names are matched case-insensitively (a post's pillar text vs the strategy's name);
    posts without a pillar are grouped as "No pillar".
    """
    canonical: dict[str, str] = {name.casefold(): name for name in targets}
    merged: dict[str, int] = {name: 0 for name in targets}
    for raw, n in counts.items():
        name = (raw or "").strip() or "No pillar"
        key = canonical.get(name.casefold(), name)
        merged[key] = merged.get(key, 0) + int(n)
    total = sum(merged.values())
    rows = [
        CoverageRow(
            name=name,
            planned=n,
            planned_share=(n / total) if total else 0.0,
            target_share=float(targets.get(name, 0.0)),
        )
        for name, n in merged.items()
    ]
    rows.sort(key=lambda r: (-r.target_share, -r.planned, r.name))
    return rows


def cadence_shares(cadence: Mapping[str, CadenceTarget]) -> dict[str, float]:
    total = sum(c.posts_per_week for c in cadence.values())
    return {p: c.posts_per_week / total for p, c in cadence.items()} if total else {}


def most_needed_pillar(counts: Mapping[str, int], targets: Mapping[str, float]) -> str:
    """The pillar furthest below its target share (for filling a gap); '' without targets."""
    if not targets:
        return ""
    rows = [r for r in coverage(counts, targets) if r.name in targets]
    total = sum(counts.values())
    # Deficit in posts if one more were added: target*(total+1) - planned.
    best = max(rows, key=lambda r: (r.target_share * (total + 1) - r.planned, r.target_share))
    return best.name
