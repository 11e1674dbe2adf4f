"""Reflex state of the library screen (/content): one page of posts, filters, selection
and bulk actions. Thin: calls the content service."""

from __future__ import annotations

from datetime import date

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.ai import progress
from aigrowth.content import bulk, editing, library
from aigrowth.content import jobs as content_jobs
from aigrowth.content.library import LibraryRow
from aigrowth.content.state_support import (
    ALL,
    PLATFORM_CHOICES,
    STATUS_CHOICES,
    context,
    follow_job,
    job_toast,
    plural,
    progress_label,
)
from aigrowth.db import session_scope

PAGE_SIZE = 20
FILTERS = ("f_status", "f_platform", "f_pillar", "f_search", "f_from", "f_to")
# Bulk action → (service call, verb for the toast).
BULK_ACTIONS = {
    "schedule": (bulk.bulk_approve_schedule, "Scheduled"),
    "unschedule": (bulk.bulk_unschedule, "Moved back to drafts"),
    "regenerate": (bulk.bulk_regenerate, "Rewrote"),
    "delete": (bulk.bulk_delete, "Deleted"),
}


class LibraryState(rx.State):
    rows: list[LibraryRow] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    f_status: str = ALL
    f_platform: str = ALL
    f_pillar: str = ALL
    f_search: str = ""
    f_from: str = ""
    f_to: str = ""
    pillar_options: list[str] = []
    selected: list[str] = []
    has_business: bool = True
    loaded: bool = False
    confirm_delete_open: bool = False
    new_platform: str = "x"
    busy: str = ""  # the bulk action running, if any
    busy_label: str = ""  # progress of a bulk rewrite (runs as a job)
    _follow_token: str = ""

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def filtered(self) -> bool:
        return bool(
            self.f_search
            or self.f_from
            or self.f_to
            or ALL not in (self.f_status,)
            or self.f_platform != ALL
            or self.f_pillar != ALL
        )

    @rx.var
    def page_label(self) -> str:
        return f"Page {self.page} of {self.pages} · {plural(self.total, 'post')}"

    def _filter(self) -> library.LibraryFilter:
        def day(value: str) -> date | None:
            try:
                return date.fromisoformat(value) if value else None
            except ValueError:
                return None

        return library.LibraryFilter(
            status="" if self.f_status == ALL else self.f_status,
            platform="" if self.f_platform == ALL else self.f_platform,
            pillar="" if self.f_pillar == ALL else self.f_pillar,
            search=self.f_search,
            date_from=day(self.f_from),
            date_to=day(self.f_to),
        )

    async def _reload(self) -> None:
        uid, bid = await context(self)
        self.loaded = True
        if uid is None or bid is None:
            self.has_business = uid is None  # signed out: the guard redirects
            self.rows, self.total, self.pages = [], 0, 1
            return
        self.has_business = True
        with session_scope() as db:
            result = library.list_library(
                bid, self._filter(), user_id=uid, session=db, page=self.page, page_size=PAGE_SIZE
            )
            self.pillar_options = library.pillars_of(bid, user_id=uid, session=db)
        self.rows, self.total, self.page, self.pages = (
            result.rows,
            result.total,
            result.page,
            result.pages,
        )
        visible = {r["id"] for r in self.rows}
        self.selected = [i for i in self.selected if i in visible]

    @rx.event
    async def load(self):
        status = self.router.url.query_parameters.get("status", "")
        if status in STATUS_CHOICES:
            self.f_status = status
        await self._reload()
        # A rewrite started earlier (this tab before a reload, or another tab) still runs.
        _uid, bid = await context(self)
        record = content_jobs.status(bid, content_jobs.REGENERATE) if bid else {}
        if progress.is_running(record):
            self.busy, self.busy_label = "regenerate", progress_label(record)
            return LibraryState.follow_regenerate
        return None

    @rx.event(background=True)
    async def follow_regenerate(self):
        """Follow a bulk rewrite job; the list refreshes and a toast sums up at the end."""

        def show(record: dict) -> None:
            self.busy_label = progress_label(record)

        record, ours = await follow_job(self, content_jobs.REGENERATE, show)
        if not ours:
            return
        async with self:
            self.busy, self.busy_label = "", ""
            if record:
                self.selected = []
                await self._reload()
        toast = job_toast(record)
        if toast is not None:
            yield toast

    @rx.event
    async def set_filter(self, name: str, value: str):
        """One filter changed (search, selects, dates): back to the first page."""
        if name not in FILTERS:
            return
        setattr(self, name, str(value)[:200])
        self.page = 1
        await self._reload()

    @rx.event
    async def clear_filters(self):
        self.f_status = self.f_platform = self.f_pillar = ALL
        self.f_search = self.f_from = self.f_to = ""
        self.page = 1
        await self._reload()

    @rx.event
    async def turn_page(self, step: int):
        page = min(max(1, self.page + int(step)), self.pages)
        if page != self.page:
            self.page = page
            await self._reload()

    @rx.event
    def toggle(self, content_id: str):
        if content_id in self.selected:
            self.selected = [i for i in self.selected if i != content_id]
        else:
            self.selected = [*self.selected, content_id]

    @rx.event
    def toggle_all(self, _checked: bool = True):
        ids = [r["id"] for r in self.rows]
        self.selected = [] if set(ids) <= set(self.selected) and ids else ids

    @rx.event
    def set_new_platform(self, value: str):
        self.new_platform = value

    @rx.event
    async def new_post_on(self, platform: str):
        """The "New post" menu: a draft for that platform, opened in the editor."""
        if platform in PLATFORM_CHOICES:
            self.new_platform = platform
        return await self.new_post()

    @rx.event
    async def new_post(self):
        uid, bid = await context(self)
        if uid is None or bid is None:
            return rx.toast.error("Create your business first (Onboarding), then write posts.")
        with session_scope() as db:
            content = editing.create_draft(bid, self.new_platform, "", user_id=uid, session=db)
            cid = str(content.id)
        return [rx.toast.success("New draft created."), rx.redirect(f"/content/{cid}")]

    @rx.event
    async def bulk(self, action: str):
        """A bulk action on the ticked posts; the bar shows it running (AI rewrites are slow)."""
        if action not in BULK_ACTIONS:
            return
        uid = session_user_id(self)
        if uid is None or not self.selected:
            yield rx.toast.info("Select posts first (tick the boxes on the left).")
            return
        run, verb = BULK_ACTIONS[action]
        self.confirm_delete_open = False
        if action == "regenerate":  # many AI calls: a job, followed through Redis
            _uid, bid = await context(self)
            message = content_jobs.start_regenerate(bid, self.selected, user_id=uid) if bid else ""
            if message or bid is None:
                yield rx.toast.error(message or "Create your business first (Onboarding).")
                return
            self.busy, self.busy_label = "regenerate", "Queued: rewriting with AI…"
            yield LibraryState.follow_regenerate
            return
        self.busy = action
        yield
        try:
            with session_scope() as db:
                result = run(self.selected, user_id=uid, session=db)
        finally:
            self.busy = ""
        self.selected = []
        await self._reload()
        message = result.summary(verb)
        if result.failed and not result.done:
            yield rx.toast.error(message)
        elif result.failed:
            yield rx.toast.warning(message)
        else:
            yield rx.toast.success(message)

    @rx.event
    def ask_delete(self):
        if not self.selected:
            return rx.toast.info("Select posts first (tick the boxes on the left).")
        self.confirm_delete_open = True
        return None

    @rx.event
    def set_confirm_delete_open(self, value: bool):
        self.confirm_delete_open = value
