"""Reflex state of the calendar screen (/calendar): the month or week from the content
service's calendar view, drag and drop (calendar_dnd), and "Fill the gaps" as a job."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.ai import progress
from aigrowth.content import access, calendar, planning, scheduling
from aigrowth.content import jobs as content_jobs
from aigrowth.content.calendar import CalendarDay, CoverageRow
from aigrowth.content.calendar_dnd import DND_JS
from aigrowth.content.state_support import context, follow_job, job_toast, progress_label
from aigrowth.db import session_scope
from aigrowth.dbtypes import utcnow


# ============================================================================ calendar
@dataclass
class CalPost:
    id: str = ""
    platform: str = ""
    status: str = ""
    time: str = ""
    snippet: str = ""
    pillar: str = ""


@dataclass
class CalSlot:
    platform: str = ""
    time: str = ""


@dataclass
class CalDay:
    date: str = ""
    label: str = ""
    weekday: str = ""
    day_num: str = ""
    in_month: bool = True
    is_today: bool = False
    is_past: bool = False
    posts: list[CalPost] = field(default_factory=list)
    slots: list[CalSlot] = field(default_factory=list)


def _cal_day(d: CalendarDay) -> CalDay:
    return CalDay(
        date=d["date"],
        label=d["label"],
        weekday=d["weekday"],
        day_num=d["day_num"],
        in_month=d["in_month"],
        is_today=d["is_today"],
        is_past=d["is_past"],
        posts=[
            CalPost(
                id=p["id"],
                platform=p["platform"],
                status=p["status"],
                time=p["time"],
                snippet=p["snippet"],
                pillar=p["pillar"],
            )
            for p in d["posts"]
        ],
        slots=[CalSlot(platform=s["platform"], time=s["time"]) for s in d["slots"]],
    )


class CalendarState(rx.State):
    mode: str = "month"
    anchor: str = ""
    title: str = ""
    tz: str = "UTC"
    days: list[CalDay] = []
    list_days: list[CalDay] = []
    coverage_pillars: list[CoverageRow] = []
    coverage_platforms: list[CoverageRow] = []
    slots_total: int = 0
    posts_total: int = 0
    has_business: bool = True
    loaded: bool = False
    confirm_fill_open: bool = False
    filling: bool = False
    fill_label: str = ""  # progress of "Fill the gaps" (runs as a job)
    _follow_token: str = ""

    def _anchor(self) -> date:
        try:
            return date.fromisoformat(self.anchor)
        except ValueError:
            return planning.utc_to_local(utcnow(), self.tz).date()

    async def _reload(self) -> None:
        uid, bid = await context(self)
        self.loaded = True
        if uid is None or bid is None:
            self.has_business = uid is None
            self.days, self.list_days = [], []
            return
        self.has_business = True
        with session_scope() as db:
            self.tz = access.user_timezone(uid, session=db)
            anchor = self._anchor()
            self.anchor = anchor.isoformat()
            model = calendar.calendar_view(
                bid, user_id=uid, session=db, anchor=anchor, mode=self.mode
            )
        self.title = model.title
        self.days = [_cal_day(d) for d in model.days]
        self.list_days = [_cal_day(d) for d in model.list_days]
        self.coverage_pillars = model.coverage_pillars
        self.coverage_platforms = model.coverage_platforms
        self.slots_total = model.slots_total
        self.posts_total = model.posts_total

    @rx.event
    async def load(self):
        query = self.router.url.query_parameters
        if query.get("mode") in ("month", "week"):
            self.mode = query["mode"]
        if query.get("date"):
            self.anchor = query["date"]
        await self._reload()
        events = [rx.call_script(DND_JS)]
        _uid, bid = await context(self)
        record = content_jobs.status(bid, content_jobs.FILL) if bid else {}
        if progress.is_running(record):  # started earlier (before a reload, another tab)
            self.filling, self.fill_label = True, progress_label(record)
            events.append(CalendarState.follow_fill)
        return events

    @rx.event
    async def set_mode(self, value: str | list[str]):
        value = value[0] if isinstance(value, list) and value else value
        if value in ("month", "week"):
            self.mode = value
            await self._reload()

    @rx.event
    async def shift(self, step: int):
        anchor = self._anchor()
        if self.mode == "week":
            anchor += timedelta(days=7 * step)
        else:
            month = anchor.month - 1 + step
            anchor = date(anchor.year + month // 12, month % 12 + 1, 1)
        self.anchor = anchor.isoformat()
        await self._reload()

    @rx.event
    async def today(self):
        self.anchor = ""
        await self._reload()

    @rx.event
    async def handle_drop(self, payload: dict | None):
        """Drag and drop from the calendar: {id, date} → same local time on that day."""
        if not isinstance(payload, dict) or not payload.get("id") or not payload.get("date"):
            return None
        uid = session_user_id(self)
        if uid is None:
            return None
        try:
            day = date.fromisoformat(str(payload["date"]))
            with session_scope() as db:
                content = scheduling.move_to_day(str(payload["id"]), day, user_id=uid, session=db)
                label = access.format_local(content.scheduled_for, self.tz)
        except (access.ContentError, ValueError) as exc:
            await self._reload()
            return rx.toast.error(str(exc))
        await self._reload()
        return rx.toast.success(f"Moved to {label}.")

    @rx.event
    def set_confirm_fill_open(self, value: bool):
        self.confirm_fill_open = value

    @rx.event
    async def fill_gaps(self):
        """Queue drafts for the open slots; the page follows the job (never blocks)."""
        uid, bid = await context(self)
        self.confirm_fill_open = False
        if uid is None or bid is None:
            return None
        message = content_jobs.start_fill(bid, user_id=uid, anchor=self._anchor(), mode=self.mode)
        if message:
            return rx.toast.error(message)
        self.filling, self.fill_label = True, "Queued: finding the open slots…"
        return CalendarState.follow_fill

    @rx.event(background=True)
    async def follow_fill(self):
        """Follow "Fill the gaps"; the calendar reloads and a toast sums up at the end."""

        def show(record: dict) -> None:
            self.fill_label = progress_label(record)

        record, ours = await follow_job(self, content_jobs.FILL, show)
        if not ours:
            return
        async with self:
            self.filling, self.fill_label = False, ""
            await self._reload()  # the drafts written (also those before an error)
        toast = job_toast(record)
        if toast is not None:
            yield toast
