"""The calendar screen: a month or week of posts in the user's time zone, the open
cadence slots of the active strategy, coverage against its targets, and "Fill the gaps"."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col

from aigrowth.ai.planning import MAX_BATCH
from aigrowth.ai.service import generate_for_slots
from aigrowth.content import planning
from aigrowth.content.access import (
    ContentError,
    active_targets,
    ai_errors,
    owned_business,
    user_timezone,
)
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.platforms import PLATFORM_RULES

S = ContentStatus


class CalendarPost(TypedDict):
    id: str
    platform: str
    status: str
    time: str  # HH:MM, local
    hour: str
    snippet: str
    pillar: str


class CalendarSlot(TypedDict):
    """An open cadence slot: a post the strategy wants that is not planned yet."""

    platform: str
    time: str
    key: str


class CalendarDay(TypedDict):
    date: str  # ISO
    label: str
    weekday: str
    day_num: str
    in_month: bool
    is_today: bool
    is_past: bool
    posts: list[CalendarPost]
    slots: list[CalendarSlot]


class CoverageRow(TypedDict):
    """Planned vs target share of one pillar or platform, as the panel shows it."""

    name: str
    planned: str
    planned_pct: str
    target_pct: str
    delta: str  # "on target", "+12 pts", "no target"
    tone: str  # a colour scheme
    platform: NotRequired[str]  # platform rows: the platform's key (name is its label)


@dataclass
class CalendarModel:
    """Everything the calendar page shows for one period, as plain strings."""

    title: str
    days: list[CalendarDay]
    coverage_pillars: list[CoverageRow]
    coverage_platforms: list[CoverageRow]
    slots_total: int
    posts_total: int
    list_days: list[CalendarDay]  # only days with posts or slots, for the phone list view


def calendar_rows(
    business_id: uuid.UUID, start: datetime, end: datetime, *, session: Session
) -> list[sa.Row[Any]]:
    """Only what the calendar draws: one light row per post in [start, end)."""
    return list(
        session.execute(
            sa.select(
                col(Content.id),
                col(Content.platform),
                col(Content.status),
                col(Content.pillar),
                col(Content.scheduled_for),
                sa.func.substr(Content.text, 1, 60),
            )
            .where(
                col(Content.business_id) == business_id,
                col(Content.scheduled_for) >= start,
                col(Content.scheduled_for) < end,
            )
            .order_by(col(Content.scheduled_for))
        ).all()
    )


def build_calendar(
    rows: Sequence[sa.Row[Any]] | Sequence[tuple[Any, ...]],
    days: list[date],
    *,
    tz: str,
    targets: planning.Targets,
    today: date,
    month: int | None,
    title: str,
) -> CalendarModel:
    """Place rows on local days, find open cadence slots and compute coverage."""
    zone = planning.get_zone(tz)
    by_day: dict[date, list[CalendarPost]] = {d: [] for d in days}
    planned: Counter[tuple[date, str]] = Counter()
    pillar_counts: Counter[str] = Counter()
    platform_counts: Counter[str] = Counter()
    for cid, platform, status, pillar, when, snippet in rows:
        local = when.astimezone(zone)
        day = local.date()
        if day not in by_day:
            continue
        by_day[day].append(
            CalendarPost(
                id=str(cid),
                platform=platform,
                status=status,
                time=local.strftime("%H:%M"),
                hour=str(local.hour),
                snippet=(snippet or "").replace("\n", " "),
                pillar=pillar or "",
            )
        )
        if status != S.FAILED:
            planned[(day, platform)] += 1
            pillar_counts[pillar or ""] += 1
            platform_counts[platform] += 1
    slots = planning.open_slots(days, targets.cadence, planned, today=today)
    slots_by_day: dict[date, list[CalendarSlot]] = {}
    for slot in slots:
        slots_by_day.setdefault(slot.day, []).append(
            CalendarSlot(platform=slot.platform, time=slot.at, key=slot.key)
        )
    out_days = [
        CalendarDay(
            date=d.isoformat(),
            label=d.strftime("%a %d %b"),
            weekday=d.strftime("%a"),
            day_num=str(d.day),
            in_month=month is None or d.month == month,
            is_today=d == today,
            is_past=d < today,
            posts=by_day[d],
            slots=slots_by_day.get(d, []),
        )
        for d in days
    ]
    pillars = _coverage_rows(pillar_counts, targets.pillars)
    platforms: list[CoverageRow] = [
        {
            **row,
            "name": PLATFORM_RULES[row["name"]].label
            if row["name"] in PLATFORM_RULES
            else row["name"],
            "platform": row["name"],
        }
        for row in _coverage_rows(platform_counts, planning.cadence_shares(targets.cadence))
        if row["name"] != "No pillar"
    ]
    list_days = [d for d in out_days if d["posts"] or d["slots"]]
    return CalendarModel(
        title=title,
        days=out_days,
        coverage_pillars=pillars,
        coverage_platforms=platforms,
        slots_total=len(slots),
        posts_total=sum(len(v) for v in by_day.values()),
        list_days=list_days,
    )


def _coverage_rows(counts: Counter[str], targets: dict[str, float]) -> list[CoverageRow]:
    """Planned vs target share per name, as the strings the coverage panel shows."""
    has_target = bool(targets)
    return [
        CoverageRow(
            name=r.name,
            planned=str(r.planned),
            planned_pct=f"{round(r.planned_share * 100)}",
            target_pct=f"{round(r.target_share * 100)}",
            delta=_delta_words(r.delta, has_target),
            tone=_delta_tone(r.delta, has_target),
        )
        for r in planning.coverage(counts, targets)
    ]


def _delta_words(delta: float, has_target: bool) -> str:
    if not has_target:
        return "no target"
    pts = round(delta * 100)
    if abs(pts) <= 5:
        return "on target"
    return f"{pts:+d} pts"


def _delta_tone(delta: float, has_target: bool) -> str:
    if not has_target or abs(delta) <= 0.05:
        return "green" if has_target else "gray"
    return "orange" if delta < 0 else "blue"


def calendar_view(
    business_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    anchor: date,
    mode: str = "month",
    now: datetime | None = None,
) -> CalendarModel:
    """The month (or week) around ``anchor`` in the user's time zone."""
    business = owned_business(business_id, user_id=user_id, session=session)
    tz = user_timezone(user_id, session=session)
    today = planning.utc_to_local(now or utcnow(), tz).date()
    if mode == "week":
        days = planning.week_grid(anchor)
        month = None
        title = f"Week of {days[0].strftime('%d %b')} to {days[-1].strftime('%d %b %Y')}"
    else:
        days = [d for week in planning.month_grid(anchor.year, anchor.month) for d in week]
        month = anchor.month
        title = anchor.strftime("%B %Y")
    start, end = planning.local_day_bounds_utc(days[0], days[-1], tz)
    rows = calendar_rows(business.id, start, end, session=session)
    return build_calendar(
        rows,
        days,
        tz=tz,
        targets=active_targets(business.id, session=session),
        today=today,
        month=month,
        title=title,
    )


def fill_gaps(
    business_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    anchor: date,
    mode: str = "month",
    now: datetime | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Create a draft for every open slot in the visible period; returns how many.

    The AI layer writes them (with the LLM when a key is set, else its offline writer),
    validated for their platform. Drafts carry their planned time (status draft).
    ``progress(done, total, message)`` is told after each AI batch (see content/jobs.py).
    """
    business = owned_business(business_id, user_id=user_id, session=session)
    tz = user_timezone(user_id, session=session)
    model = calendar_view(
        business.id, user_id=user_id, session=session, anchor=anchor, mode=mode, now=now
    )
    targets = active_targets(business.id, session=session)
    if not targets.cadence:
        raise ContentError(
            "Your strategy has no posting cadence yet. Create a strategy first (Strategy page)."
        )
    pillar_counts: Counter[str] = Counter(
        {r["name"]: int(r["planned"]) for r in model.coverage_pillars}
    )
    slots: list[dict[str, str]] = []
    current = now or utcnow()
    for day in model.days:
        for slot in day["slots"]:
            when = planning.local_to_utc(date.fromisoformat(day["date"]), slot["time"], tz)
            if when <= current:
                continue
            pillar = planning.most_needed_pillar(pillar_counts, targets.pillars)
            pillar_counts[pillar] += 1
            slots.append({"platform": slot["platform"], "when": when.isoformat(), "pillar": pillar})
    if not slots:
        return 0
    made = 0
    report = progress or (lambda done, total, message: None)
    report(0, len(slots), "Writing drafts")
    with ai_errors(session):
        for first in range(0, len(slots), MAX_BATCH):  # one AI batch per MAX_BATCH slots
            made += len(
                generate_for_slots(
                    business.id, slots[first : first + MAX_BATCH], user_id=user_id, session=session
                )
            )
            report(min(first + MAX_BATCH, len(slots)), len(slots), "Writing drafts")
    return made
