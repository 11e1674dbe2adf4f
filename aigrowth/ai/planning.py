"""Plan a batch: which platform, pillar, content type and time each post gets.

The plan is made here, deterministically, and the model only writes the words: so the
spread over pillars follows their target shares and the spread over platforms follows
the cadence, whatever the model does. Times are chosen in the founder's IANA time zone
and stored as aware UTC (zoneinfo handles DST: a wall time skipped by the spring-forward
gap moves forward by the gap; an ambiguous autumn time uses its first occurrence).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_BATCH = 7
MAX_BATCH = 30
# Results-weighted batches: this share of the slots follows the strategy's own pillar
# shares (exploring), the rest leans toward pillars in proportion to their measured
# engagement rate (each factor kept within 0.5x-2x of the average).
EXPLORE = 0.25
FACTOR_RANGE = (0.5, 2.0)
DEFAULT_TIMES = {
    "x": ["09:00", "12:30", "17:00"],
    "bluesky": ["09:30", "13:00", "18:00"],
    "threads": ["11:00", "19:00"],
    "mastodon": ["10:00", "15:00"],
    "linkedin": ["08:30", "12:00"],
    "instagram": ["11:00", "19:30"],
    "facebook": ["13:00", "18:30"],
}


@dataclass
class Slot:
    slot: int
    platform: str
    pillar: str
    content_type: str
    idea: int
    scheduled_for: datetime  # aware UTC
    local_time: str  # for the prompt and the UI: "Tue 2025-03-04 09:00"

    def prompt_view(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("scheduled_for")
        return data


def allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split `total` by weight with the largest-remainder method (sums exactly)."""
    weights = {k: max(0.0, float(v)) for k, v in weights.items()}
    mass = sum(weights.values())
    if total <= 0 or not weights:
        return dict.fromkeys(weights, 0)
    if mass <= 0:
        weights = dict.fromkeys(weights, 1.0)
        mass = float(len(weights))
    exact = {k: total * v / mass for k, v in weights.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    rest = total - sum(counts.values())
    order = sorted(exact, key=lambda k: (-(exact[k] - counts[k]), -weights[k], k))
    for key in order[:rest]:
        counts[key] += 1
    return counts


def _interleave(counts: dict[str, int]) -> list[str]:
    """Smooth weighted round-robin: a sequence with each key spread evenly."""
    total = sum(counts.values())
    current = dict.fromkeys(counts, 0)
    out: list[str] = []
    for _ in range(total):
        for key in counts:
            current[key] += counts[key]
        best = max(counts, key=lambda k: (current[k], counts[k]))
        current[best] -= total
        out.append(best)
    return out


def safe_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_to_utc(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """Aware UTC for a wall-clock time in `zone`, DST-safe."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    # fold=0: an ambiguous time is its first occurrence; a skipped time is read with the
    # offset before the gap, i.e. it lands the gap's length later (02:30 -> 03:30).
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def platform_weights(strategy: dict[str, Any], wanted: list[str] | None = None) -> dict[str, int]:
    chosen = [p["platform"] for p in strategy.get("platforms", [])]
    cadence = {
        c["platform"]: int(c.get("posts_per_week") or 1) for c in strategy.get("cadence", [])
    }
    platforms = [p for p in chosen if not wanted or p in wanted] or chosen
    return {p: max(1, cadence.get(p, 1)) for p in platforms}


def weighted_pillar_shares(
    pillars: list[dict[str, Any]], factors: dict[str, float]
) -> dict[str, float]:
    """Pillar weights leaning toward measured performance (`factors`: pillar → its
    engagement rate ÷ the average), keeping EXPLORE of the batch on the plain shares.
    Pillars without results keep factor 1."""
    low, high = FACTOR_RANGE
    shares = {p["name"]: float(p.get("share", 0) or 0) for p in pillars}
    total = sum(shares.values()) or 1.0
    leaned = {n: v * min(max(factors.get(n, 1.0), low), high) for n, v in shares.items()}
    leaned_total = sum(leaned.values()) or 1.0
    return {
        n: EXPLORE * shares[n] / total + (1 - EXPLORE) * leaned[n] / leaned_total for n in shares
    }


def plan_batch(
    strategy: dict[str, Any],
    count: int,
    *,
    timezone: str,
    start: date | None = None,
    now: datetime | None = None,
    pillar_factors: dict[str, float] | None = None,
    thread_factor: float = 1.0,
) -> list[Slot]:
    """Slots for `count` posts, starting tomorrow (local) unless `start` is given.

    `pillar_factors` (from results) tilt the pillar spread toward what performs;
    `thread_factor` > 1.2 makes threads twice as frequent on X and Bluesky, < 0.8 rarer.
    """
    if not MIN_BATCH <= count <= MAX_BATCH:
        raise ValueError(f"A batch has {MIN_BATCH} to {MAX_BATCH} posts.")
    zone = safe_zone(timezone)
    now = now or datetime.now(UTC)
    first_day = start or (now.astimezone(zone).date() + timedelta(days=1))

    weights = platform_weights(strategy)
    if not weights:
        raise ValueError("The strategy has no platforms.")
    per_platform = allocate(count, weights)
    cadence = {c["platform"]: c for c in strategy.get("cadence", [])}

    raw: list[tuple[datetime, str, str]] = []  # (utc, platform, label)
    for platform, n in per_platform.items():
        ppw = max(1, int(cadence.get(platform, {}).get("posts_per_week") or 1))
        times = list(cadence.get(platform, {}).get("best_times") or []) or DEFAULT_TIMES[platform]
        step = 7.0 / ppw  # days between posts at this cadence
        for k in range(n):
            day = first_day + timedelta(days=math.floor(k * step))
            same_day = sum(1 for j in range(k) if math.floor(j * step) == math.floor(k * step))
            hhmm = times[same_day % len(times)]
            utc = local_to_utc(day, hhmm, zone)
            label = utc.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")
            raw.append((utc, platform, label))
    raw.sort(key=lambda r: (r[0], r[1]))

    pillars = strategy.get("pillars", [])
    pillar_weights = (
        weighted_pillar_shares(pillars, pillar_factors)
        if pillar_factors
        else {p["name"]: p.get("share", 0) for p in pillars}
    )
    pillar_counts = allocate(count, pillar_weights)
    thread_every = 5 if 0.8 <= thread_factor <= 1.2 else (3 if thread_factor > 1.2 else 8)
    pillar_seq = _interleave(pillar_counts) if pillars else ["General"] * count

    slots: list[Slot] = []
    type_counter: dict[str, int] = {}
    for index, ((utc, platform, label), pillar) in enumerate(zip(raw, pillar_seq, strict=True)):
        nth = type_counter.get(platform, 0)
        type_counter[platform] = nth + 1
        content_type = "post"
        if platform in ("x", "bluesky") and nth % thread_every == 2:
            content_type = "thread"
        elif platform == "linkedin" and nth % 6 == 5:
            content_type = "article"
        slots.append(Slot(index + 1, platform, pillar, content_type, 0, utc, label))

    # Same pillar on the same local day on different platforms = one idea, adapted.
    ideas: dict[tuple[date, str], int] = {}
    for slot in slots:
        key = (slot.scheduled_for.astimezone(zone).date(), slot.pillar)
        if key not in ideas:
            ideas[key] = len(ideas) + 1
        slot.idea = ideas[key]
    seen: dict[int, set[str]] = {}
    for slot in slots:  # an idea has at most one post per platform
        platforms = seen.setdefault(slot.idea, set())
        if slot.platform in platforms:
            ideas_count = max(s.idea for s in slots) + 1
            slot.idea = ideas_count
            seen[slot.idea] = {slot.platform}
        else:
            platforms.add(slot.platform)
    return slots
