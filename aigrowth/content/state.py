"""Reflex state of the content studio: thin, calls aigrowth.content.service.

Every handler re-reads the signed-in user from the session cookie (never from a
client-set var) and the service scopes every query by that user. State holds only the
visible page of rows and small view models.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import reflex as rx
from sqlmodel import Session

from aigrowth.accounts.state import session_user_id
from aigrowth.ai import progress
from aigrowth.businesses.state import BusinessState, current_business_id
from aigrowth.content import jobs as content_jobs
from aigrowth.content import planning, preview, rules
from aigrowth.content import service as svc
from aigrowth.content.models import ContentStatus
from aigrowth.content.routes import UPLOAD_MAX_FILES
from aigrowth.db import session_scope
from aigrowth.dbtypes import utcnow
from aigrowth.http.limits import read_capped

PAGE_SIZE = 20
WATCH_EVERY_S = 1.5  # how often an open editor asks about a post being published
WATCH_MAX_S = 15 * 60  # then it stops; a reload starts again
JOB_POLL_S = 1.0  # how often a page reads the progress of a fill / regenerate run
ALL = "all"
PLATFORM_CHOICES = list(rules.PLATFORM_RULES)
STATUS_CHOICES = [s.value for s in ContentStatus]
FILTERS = ("f_status", "f_platform", "f_pillar", "f_search", "f_from", "f_to")
# Bulk action → (service call, verb for the toast).
BULK_ACTIONS = {
    "schedule": (svc.bulk_approve_schedule, "Scheduled"),
    "unschedule": (svc.bulk_unschedule, "Moved back to drafts"),
    "regenerate": (svc.bulk_regenerate, "Rewrote"),
    "delete": (svc.bulk_delete, "Deleted"),
}


async def _context(state: rx.State) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(user id, current business id); (None, None) when signed out.

    The business is the one picked in the header switcher (cookie-backed, owner-checked),
    so the library, editor and calendar always agree with the header.
    """
    uid = session_user_id(state)
    if uid is None:
        return None, None
    return uid, await current_business_id(state)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _progress_label(record: dict) -> str:
    """ "Writing drafts (5/8)": the job's message with its count, for the page."""
    message = record.get("message") or "Working…"
    done, total = int(record.get("done") or 0), int(record.get("total") or 0)
    return f"{message} ({done}/{total})" if total else message


async def _follow_job(state: rx.State, kind: str, show) -> tuple[dict, bool]:
    """Poll a content job's progress record until it ends: (final record, still ours).

    ``show(record)`` runs under the state lock after each read (labels). A newer
    follower (another click, a reload) takes over: this one then stops, not ours.
    Also stops when the user switches business, or after the job's own time limit."""
    token = uuid.uuid4().hex
    async with state:
        _uid, bid = await _context(state)
        state._follow_token = token
    record: dict = {}
    for _ in range(int(content_jobs.JOB_TIMEOUT_S / JOB_POLL_S) if bid else 0):
        await asyncio.sleep(JOB_POLL_S)
        record = await asyncio.to_thread(content_jobs.status, bid, kind)
        async with state:
            if state._follow_token != token:
                return record, False
            if (await _context(state))[1] != bid:
                return {}, True
            show(record)
        if not progress.is_running(record):
            return record, True
    return record, True


def _job_toast(record: dict, *, partial: bool = False):
    """The end of a run in one toast (None when the record is gone, e.g. Redis restart)."""
    if record.get("state") == "error":
        return rx.toast.error(record.get("error") or content_jobs.ERROR_WORDS)
    if record.get("state") != "done":
        return None
    result = record.get("result") or {}
    if result.get("failed"):
        return (rx.toast.warning if result.get("done") else rx.toast.error)(record["message"])
    if result.get("made") == 0 and not partial:
        return rx.toast.info(record["message"])
    return rx.toast.success(record["message"])


# ============================================================================ library
class LibraryState(rx.State):
    rows: list[dict[str, str]] = []
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
        return f"Page {self.page} of {self.pages} · {_plural(self.total, 'post')}"

    def _filter(self) -> svc.LibraryFilter:
        def day(value: str) -> date | None:
            try:
                return date.fromisoformat(value) if value else None
            except ValueError:
                return None

        return svc.LibraryFilter(
            status="" if self.f_status == ALL else self.f_status,
            platform="" if self.f_platform == ALL else self.f_platform,
            pillar="" if self.f_pillar == ALL else self.f_pillar,
            search=self.f_search,
            date_from=day(self.f_from),
            date_to=day(self.f_to),
        )

    async def _reload(self) -> None:
        uid, bid = await _context(self)
        self.loaded = True
        if uid is None or bid is None:
            self.has_business = uid is None  # signed out: the guard redirects
            self.rows, self.total, self.pages = [], 0, 1
            return
        self.has_business = True
        with session_scope() as db:
            result = svc.list_library(
                bid, self._filter(), user_id=uid, session=db, page=self.page, page_size=PAGE_SIZE
            )
            self.pillar_options = svc.pillars_of(bid, user_id=uid, session=db)
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
        _uid, bid = await _context(self)
        record = content_jobs.status(bid, content_jobs.REGENERATE) if bid else {}
        if progress.is_running(record):
            self.busy, self.busy_label = "regenerate", _progress_label(record)
            return LibraryState.follow_regenerate
        return None

    @rx.event(background=True)
    async def follow_regenerate(self):
        """Follow a bulk rewrite job; the list refreshes and a toast sums up at the end."""

        def show(record: dict) -> None:
            self.busy_label = _progress_label(record)

        record, ours = await _follow_job(self, content_jobs.REGENERATE, show)
        if not ours:
            return
        async with self:
            self.busy, self.busy_label = "", ""
            if record:
                self.selected = []
                await self._reload()
        toast = _job_toast(record)
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
        uid, bid = await _context(self)
        if uid is None or bid is None:
            return rx.toast.error("Create your business first (Onboarding), then write posts.")
        with session_scope() as db:
            content = svc.create_draft(bid, self.new_platform, "", user_id=uid, session=db)
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
            _uid, bid = await _context(self)
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


# ============================================================================ editor
class EditorState(rx.State):
    content_id: str = ""
    not_found: bool = False
    platform: str = "x"
    status: str = "draft"
    pillar: str = ""
    text: str = ""
    saved_text: str = ""
    hashtags: list[str] = []
    saved_hashtags: list[str] = []
    tag_input: str = ""
    count: int = 0
    limit: int = 280
    unit: str = "characters"
    problems: list[dict[str, str]] = []
    preview_lines: list[list[dict[str, str]]] = []
    folded: bool = False
    expanded: bool = False
    instance_limit: int = 0
    author_name: str = ""
    author_handle: str = ""
    when_label: str = "Not scheduled"
    sched_date: str = ""
    sched_time: str = "09:00"
    tz: str = "UTC"
    last_error: str = ""
    versions: list[dict[str, str]] = []
    variants: list[dict[str, str]] = []
    media: list[dict[str, str]] = []
    library_media: list[dict[str, str]] = []
    pillar_options: list[str] = []
    ai_open: bool = False
    ai_feedback: str = ""
    ai_busy: bool = False
    choose_open: bool = False
    account_choices: list[dict[str, str]] = []
    chosen_account: str = ""
    pending_action: str = ""  # "schedule" or "publish" waiting for an account choice
    connect_hint: str = ""
    confirm_delete_open: bool = False
    confirm_publish_open: bool = False
    variant_platform: str = ""
    uploading: bool = False
    # Live status (see watch): the publisher moves the post, the editor follows.
    watching: bool = False
    remote_url: str = ""
    published_label: str = ""
    status_note: str = ""  # the failure / needs-attention message in plain words
    mark_open: bool = False
    mark_url: str = ""
    figures: list[dict[str, str]] = []  # latest analytics of a published post
    figures_day: str = ""
    figures_fetched: str = ""
    _watch_token: str = ""
    _due_soon: bool = False
    _business_id: str = ""
    _business_name: str = ""

    @rx.var
    def dirty(self) -> bool:
        return self.text != self.saved_text or self.hashtags != self.saved_hashtags

    @rx.var
    def over_limit(self) -> bool:
        return self.count > self.limit

    @rx.var
    def counter_label(self) -> str:
        return f"{self.count} / {self.limit} {self.unit}"

    @rx.var
    def remaining_label(self) -> str:
        left = self.limit - self.count
        return f"{left} left" if left >= 0 else f"{-left} over"

    @rx.var
    def editable(self) -> bool:
        return self.status in ("draft", "scheduled", "failed")

    @rx.var
    def blocking_count(self) -> int:
        return sum(1 for p in self.problems if p.get("severity") == "error")

    @rx.var
    def platform_label(self) -> str:
        return rules.PLATFORM_RULES[self.platform].label

    @rx.var
    def other_platforms(self) -> list[str]:
        taken = {v["platform"] for v in self.variants} | {self.platform}
        return [p for p in PLATFORM_CHOICES if p not in taken]

    # -- loading -----------------------------------------------------------------------
    def _id_from_path(self) -> str:
        path = self.router.url.path.rstrip("/")
        return path.rsplit("/", 1)[-1] if path.startswith("/content/") else ""

    def _load(self, content_id: str) -> None:
        uid = session_user_id(self)
        if uid is None:
            return
        with session_scope() as db:
            try:
                content = svc.get_owned(content_id, user_id=uid, session=db)
            except svc.ContentError:
                self.not_found = True
                self.content_id = ""
                return
            self.not_found = False
            self.content_id = str(content.id)
            self.tz = svc.user_timezone(uid, session=db)
            self.platform = content.platform
            self.status = content.status
            self.pillar = content.pillar
            self.text = self.saved_text = content.text
            self.hashtags = list(content.hashtags or [])
            self.saved_hashtags = list(self.hashtags)
            self.last_error = content.last_error or ""
            self.status_note = svc.status_message(content.status, content.last_error or "")
            self.remote_url = content.remote_url or ""
            self.published_label = (
                svc.format_local(content.published_at, self.tz) if content.published_at else ""
            )
            self._due_soon = svc.should_watch(
                content.status, content.scheduled_for, content.next_attempt_at
            )
            self.media = [
                {
                    "media_id": m.get("media_id", ""),
                    "url": m.get("url", ""),
                    "alt": m.get("alt", ""),
                }
                for m in content.media or []
            ]
            business = svc.owned_business(content.business_id, user_id=uid, session=db)
            self._business_id, self._business_name = str(business.id), business.name
            self.author_name = business.name
            self.author_handle = "@" + "".join(ch for ch in business.name.lower() if ch.isalnum())
            self.instance_limit = 0
            if content.social_account_id:
                account = db.get(svc.SocialAccount, content.social_account_id)
                if account is not None:
                    self.author_name = account.display_name or business.name
                    self.author_handle = "@" + (account.handle or "").lstrip("@")
                    self.instance_limit = int((account.meta or {}).get("max_characters") or 0)
            if content.scheduled_for:
                local = planning.utc_to_local(content.scheduled_for, self.tz)
                self.sched_date = local.date().isoformat()
                self.sched_time = local.strftime("%H:%M")
                word = "Scheduled for" if content.status == "scheduled" else "Planned for"
                self.when_label = f"{word} {svc.format_local(content.scheduled_for, self.tz)}"
            else:
                tomorrow = planning.utc_to_local(utcnow(), self.tz).date() + timedelta(days=1)
                self.sched_date = tomorrow.isoformat()
                self.sched_time = "09:00"
                self.when_label = "Not scheduled"
            if self.published_label:
                self.when_label = f"Published {self.published_label}"
            figures = (
                svc.latest_figures(content.id, user_id=uid, session=db)
                if content.status == ContentStatus.PUBLISHED
                else None
            )
            self.figures = figures.metrics if figures else []
            self.figures_day = figures.day if figures else ""
            self.figures_fetched = figures.fetched if figures else ""
            self.versions = svc.list_versions(content.id, user_id=uid, session=db, tz=self.tz)
            self.variants = svc.list_variants(content.id, user_id=uid, session=db)
            self.library_media = svc.list_media(content.business_id, user_id=uid, session=db)
            self.pillar_options = svc.pillars_of(content.business_id, user_id=uid, session=db)
        self.connect_hint = ""
        self.expanded = False
        self._recompute()

    def _recompute(self) -> None:
        """Counter, problems and preview: pure functions, cheap enough per debounced edit."""
        platform = self.platform
        full = rules.compose_text(self.text, self.hashtags)
        inst = self.instance_limit or None
        self.count = rules.count_length(platform, full)
        self.limit = rules.platform_limit(platform, instance_limit=inst)
        self.unit = rules.PLATFORM_RULES[platform].unit
        missing_alt = sum(1 for m in self.media if not m.get("alt", "").strip())
        self.problems = [
            p.as_dict()
            for p in rules.validate_post(
                platform,
                self.text,
                hashtags=self.hashtags,
                media_count=len(self.media),
                instance_limit=inst,
                alt_texts_missing=missing_alt,
            )
        ]
        self.preview_lines, self.folded = preview.build_preview(
            platform, self.text, self.hashtags, expanded=self.expanded
        )

    @rx.event
    async def load(self):
        self.content_id = ""
        self.ai_open = self.choose_open = False
        self.confirm_delete_open = self.confirm_publish_open = False
        cid = self._id_from_path()
        if not cid:
            self.not_found = True
            return
        self._load(cid)
        # A post of another of the user's businesses (a link, a notification): make that
        # business current so the header switcher and the library agree with the editor.
        if self.content_id and str(await current_business_id(self)) != self._business_id:
            switcher = await self.get_state(BusinessState)
            switcher.remember(self._business_id, self._business_name)
        return self._follow()

    # -- live status -------------------------------------------------------------------
    def _follow(self, *events):
        """``events`` plus the watcher when the publisher is about to move this post."""
        return [*events, EditorState.watch] if self._due_soon else list(events) or None

    def _on_page(self, cid: str) -> bool:
        """Still in this post's editor (not gone to another page or another post)?"""
        return self.content_id == cid and self._id_from_path() == cid

    @rx.event(background=True)
    async def watch(self):
        """Follow the post while the publisher works on it: badge, time, link, reason.

        Asks every WATCH_EVERY_S with one light query, and stops once the post is in a
        state only the user changes (published, failed, needs attention, draft), when
        the user leaves, or after WATCH_MAX_S. A newer watch replaces this one."""
        token = uuid.uuid4().hex
        async with self:
            cid, uid = self.content_id, session_user_id(self)
            if not cid or uid is None:
                return
            self._watch_token = token
            self.watching = True
        deadline = time.monotonic() + WATCH_MAX_S
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(WATCH_EVERY_S)
                live = await asyncio.to_thread(_live_status, cid, uid)
                async with self:
                    if self._watch_token != token or not self._on_page(cid):
                        return
                    if live is None:  # deleted meanwhile (another tab)
                        self.not_found, self.content_id = True, ""
                        return
                    toast = None
                    if live["status"] != self.status:
                        lost_edits = self.dirty and live["status"] == ContentStatus.PUBLISHING
                        self._load(cid)
                        toast = _status_toast(live, self.platform_label, lost_edits=lost_edits)
                    if not live["watch"]:
                        self.watching = False
                if toast is not None:
                    yield toast
                if not live["watch"]:
                    return
        finally:
            async with self:
                if self._watch_token == token:
                    self._watch_token = ""
                    self.watching = False

    @rx.event
    def retry(self):
        """Retry (failed) or Check again (needs attention): the publisher looks first."""
        uid = session_user_id(self)
        if uid is None or not self.content_id:
            return None
        try:
            with session_scope() as db:
                message = svc.retry_publish(self.content_id, user_id=uid, session=db)
        except svc.ContentError as exc:
            self._load(self.content_id)
            return rx.toast.error(str(exc))
        self._load(self.content_id)
        return self._follow(rx.toast.info(message))

    @rx.event
    def set_mark_open(self, value: bool):
        self.mark_open = value
        if not value:
            self.mark_url = ""

    @rx.event
    def set_mark_url(self, value: str):
        self.mark_url = value[:1000]

    @rx.event
    def mark_published(self):
        """ "It's published": the user saw it on their profile (the link is optional)."""
        uid = session_user_id(self)
        if uid is None or not self.content_id:
            return None
        try:
            with session_scope() as db:
                svc.mark_published(self.content_id, self.mark_url, user_id=uid, session=db)
        except svc.ContentError as exc:
            return rx.toast.error(str(exc))
        self.mark_open = False
        self.mark_url = ""
        self._load(self.content_id)
        return rx.toast.success("Marked as published. We will not try to post it again.")

    # -- editing (debounced on the client) -----------------------------------------------
    @rx.event
    def set_text(self, value: str):
        self.text = value
        self._recompute()

    @rx.event
    def set_tag_input(self, value: str):
        self.tag_input = value

    @rx.event
    def add_tags(self, form: dict | None = None):
        raw = (form or {}).get("tag", self.tag_input) if isinstance(form, dict) else self.tag_input
        added = 0
        for part in str(raw).replace(",", " ").split():
            tag = rules.normalise_hashtag(part)
            if tag and tag.casefold() not in {h.casefold() for h in self.hashtags}:
                self.hashtags = [*self.hashtags, tag]
                added += 1
        self.tag_input = ""
        self._recompute()
        if not added:
            return rx.toast.info("Type a hashtag (letters, digits or _), then press Enter.")
        return None

    @rx.event
    def remove_tag(self, tag: str):
        self.hashtags = [h for h in self.hashtags if h != tag]
        self._recompute()

    @rx.event
    def toggle_expanded(self):
        self.expanded = not self.expanded
        self._recompute()

    def _save(self, uid: uuid.UUID, db) -> None:
        svc.save_text(self.content_id, self.text, self.hashtags, user_id=uid, session=db)

    def _act(
        self,
        call: Callable[[uuid.UUID, Session], object],
        success: str,
        then: Callable[[], None] | None = None,
    ):
        """Run a service call on this post for the signed-in user.

        A refusal becomes an error toast (nothing changed). Otherwise ``then`` updates the
        view (default: re-read the post) and ``success`` confirms it."""
        uid = session_user_id(self)
        if uid is None or not self.content_id:
            return None
        try:
            with session_scope() as db:
                call(uid, db)
        except svc.ContentError as exc:
            return rx.toast.error(str(exc))
        (then or (lambda: self._load(self.content_id)))()
        return rx.toast.success(success)

    @rx.event
    def save(self):
        return self._act(self._save, "Saved. The previous text is in the version history.")

    @rx.event
    def discard(self):
        self.text = self.saved_text
        self.hashtags = list(self.saved_hashtags)
        self._recompute()
        return rx.toast.info("Changes discarded.")

    @rx.event
    def set_pillar(self, value: str):
        return self._act(
            lambda uid, db: svc.set_pillar(self.content_id, value, user_id=uid, session=db),
            f"Pillar set to {value}.",
            then=lambda: setattr(self, "pillar", value),
        )

    @rx.event
    def restore(self, version_id: str):
        return self._act(
            lambda uid, db: svc.restore_version(
                self.content_id, version_id, user_id=uid, session=db
            ),
            "Version restored. The text it replaced was kept too.",
        )

    # -- AI ------------------------------------------------------------------------------
    @rx.event
    def set_ai_open(self, value: bool):
        self.ai_open = value

    @rx.event
    def set_ai_feedback(self, value: str):
        self.ai_feedback = value[:1000]

    @rx.event
    def optimise(self):
        uid = session_user_id(self)
        if uid is None:
            return None
        feedback = self.ai_feedback.strip() or "Make it clearer and more engaging."
        self.ai_busy = True
        yield
        try:
            with session_scope() as db:
                if self.dirty:
                    self._save(uid, db)
                svc.optimise_with_ai(self.content_id, feedback, user_id=uid, session=db)
        except svc.ContentError as exc:
            self.ai_busy = False
            yield rx.toast.error(str(exc))
            return
        self.ai_busy = False
        self.ai_open = False
        self.ai_feedback = ""
        self._load(self.content_id)
        yield rx.toast.success("Rewritten. The old text is in the version history.")

    # -- scheduling ----------------------------------------------------------------------
    @rx.event
    def set_sched_date(self, value: str):
        self.sched_date = value

    @rx.event
    def set_sched_time(self, value: str):
        self.sched_time = value

    @rx.event
    def set_choose_open(self, value: bool):
        self.choose_open = value

    @rx.event
    def set_chosen_account(self, value: str):
        self.chosen_account = value

    def _with_account(self, action: str, fn):
        uid = session_user_id(self)
        if uid is None:
            return None
        try:
            with session_scope() as db:
                if self.dirty and self.editable:
                    self._save(uid, db)
                message = fn(uid, db, self.chosen_account or None)
        except svc.NeedsAccount as exc:
            if exc.accounts:
                self.account_choices = exc.accounts
                self.chosen_account = exc.accounts[0]["id"]
                self.pending_action = action
                self.choose_open = True
                return rx.toast.info(str(exc))
            self.connect_hint = str(exc)
            return rx.toast.error(str(exc))
        except (svc.ContentError, ValueError) as exc:
            return rx.toast.error(str(exc))
        self.choose_open = False
        self.chosen_account = ""
        self._load(self.content_id)
        return self._follow(rx.toast.success(message))

    @rx.event
    def schedule(self):
        try:
            day = date.fromisoformat(self.sched_date)
            at = planning.parse_hhmm(self.sched_time)
        except ValueError:
            return rx.toast.error("Pick a date and a time (HH:MM) first.")

        def run(uid, db, account):
            content = svc.schedule_local(
                self.content_id, day, at, user_id=uid, session=db, account_id=account
            )
            return f"Scheduled for {svc.format_local(content.scheduled_for, self.tz)}."

        return self._with_account("schedule", run)

    @rx.event
    def confirm_account(self):
        if self.pending_action == "publish":
            return EditorState.publish_now
        return EditorState.schedule

    @rx.event
    def set_confirm_publish_open(self, value: bool):
        self.confirm_publish_open = value

    @rx.event
    def publish_now(self):
        self.confirm_publish_open = False

        def run(uid, db, account):
            svc.publish_now(self.content_id, user_id=uid, session=db, account_id=account)
            return "Publishing now. The status updates when the platform confirms."

        return self._with_account("publish", run)

    @rx.event
    def unschedule(self):
        return self._act(
            lambda uid, db: svc.unschedule(self.content_id, user_id=uid, session=db),
            "Unscheduled. The post is a draft again.",
        )

    @rx.event
    def set_confirm_delete_open(self, value: bool):
        self.confirm_delete_open = value

    @rx.event
    def delete(self):
        uid = session_user_id(self)
        if uid is None:
            return None
        try:
            with session_scope() as db:
                svc.delete_content(self.content_id, user_id=uid, session=db)
        except svc.ContentError as exc:
            self.confirm_delete_open = False
            return rx.toast.error(str(exc))
        self.confirm_delete_open = False
        return [rx.toast.success("Post deleted."), rx.redirect("/content")]

    # -- variants ------------------------------------------------------------------------
    @rx.event
    def set_variant_platform(self, value: str):
        self.variant_platform = value

    @rx.event
    def make_variant(self):
        uid = session_user_id(self)
        if uid is None or not self.variant_platform:
            return rx.toast.info("Choose a platform for the new version.")
        try:
            with session_scope() as db:
                variant = svc.create_variant(
                    self.content_id, self.variant_platform, user_id=uid, session=db
                )
                vid = str(variant.id)
        except svc.ContentError as exc:
            return rx.toast.error(str(exc))
        label = rules.PLATFORM_RULES[self.variant_platform].label
        self.variant_platform = ""
        return [
            rx.toast.success(f"{label} version created: adapt it to the platform."),
            rx.redirect(f"/content/{vid}"),
        ]

    # -- media ---------------------------------------------------------------------------
    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        uid = session_user_id(self)
        if uid is None or not files:
            return
        self.uploading = True
        yield
        errors: list[str] = []
        done = 0
        for file in files[:UPLOAD_MAX_FILES]:
            # Read in chunks and stop at the limit: never a whole oversized file in memory.
            data = await read_capped(file, svc.MEDIA_MAX_BYTES)
            if data is None:
                limit_mb = svc.MEDIA_MAX_BYTES // 1_048_576
                errors.append(f"{file.name}: larger than {limit_mb} MB. Make it smaller.")
                continue
            try:
                with session_scope() as db:
                    content = svc.get_owned(self.content_id, user_id=uid, session=db)
                    asset = svc.save_upload(
                        content.business_id, file.name or "image", data, user_id=uid, session=db
                    )
                    svc.attach_media(self.content_id, asset.id, user_id=uid, session=db)
                done += 1
            except svc.ContentError as exc:
                errors.append(f"{file.name}: {exc}")
        self.uploading = False
        self._load(self.content_id)
        if errors:
            yield rx.toast.error(" ".join(errors))
        if done:
            yield rx.toast.success(f"{_plural(done, 'image')} uploaded and attached.")

    @rx.event
    def attach(self, media_id: str):
        return self._act(
            lambda uid, db: svc.attach_media(self.content_id, media_id, user_id=uid, session=db),
            "Image attached.",
        )

    @rx.event
    def detach(self, media_id: str):
        return self._act(
            lambda uid, db: svc.detach_media(self.content_id, media_id, user_id=uid, session=db),
            "Image detached (it stays in your media library).",
        )

    @rx.event
    def save_alt(self, media_id: str, alt: str):
        alt = alt.strip()
        if any(m["media_id"] == media_id and m["alt"] == alt for m in self.media):
            return None  # left the field without changing it: nothing to save

        def show() -> None:
            self.media = [{**m, "alt": alt} if m["media_id"] == media_id else m for m in self.media]
            self._recompute()

        return self._act(
            lambda uid, db: svc.set_alt_text(
                media_id, alt, user_id=uid, session=db, content_id=self.content_id
            ),
            "Alt text saved.",
            then=show,
        )


def _live_status(cid: str, uid: uuid.UUID) -> dict[str, str] | None:
    """One status read for the watcher (runs in a thread: the event loop stays free)."""
    with session_scope() as db:
        return svc.live_status(cid, user_id=uid, session=db)


def _status_toast(live: dict[str, str], platform: str, *, lost_edits: bool = False):
    """The toast for a status the publisher just reached (None: the page says enough)."""
    status = live["status"]
    if lost_edits:
        return rx.toast.warning(
            "This post just started publishing with its saved text; "
            "your unsaved changes were not included."
        )
    if status == ContentStatus.PUBLISHED:
        return rx.toast.success(f"Published on {platform}.")
    if status == ContentStatus.FAILED:
        return rx.toast.error(
            "Publishing failed: " + svc.status_message(status, live["last_error"])
        )
    if status == ContentStatus.NEEDS_ATTENTION:
        return rx.toast.warning("We could not confirm this post went out. Please check.")
    if status == ContentStatus.PUBLISHING:
        return rx.toast.info(f"Publishing to {platform}…")
    return None


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


def _cal_day(d: dict) -> CalDay:
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


# HTML5 drag and drop for the calendar, installed once per page load. A drop on a day
# cell stores {id, date} and clicks the hidden #aig-drop-trigger, whose handler reads it
# with rx.call_script and calls CalendarState.handle_drop (no per-keystroke traffic).
DND_JS = """
(function () {
  if (window.__aigDnd) return;
  window.__aigDnd = true;
  function zone(t) { return t && t.closest ? t.closest('[data-drop-date]') : null; }
  document.addEventListener('dragstart', function (e) {
    var el = e.target && e.target.closest ? e.target.closest('[data-post-id]') : null;
    if (!el) return;
    e.dataTransfer.setData('application/x-aig-post', el.getAttribute('data-post-id'));
    e.dataTransfer.setData('text/plain', el.getAttribute('data-post-id'));
    e.dataTransfer.effectAllowed = 'move';
  });
  document.addEventListener('dragover', function (e) {
    var z = zone(e.target);
    if (!z) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    z.setAttribute('data-over', '1');
  });
  document.addEventListener('dragleave', function (e) {
    var z = zone(e.target);
    if (z) z.removeAttribute('data-over');
  });
  document.addEventListener('drop', function (e) {
    var z = zone(e.target);
    if (!z) return;
    e.preventDefault();
    z.removeAttribute('data-over');
    var id = e.dataTransfer.getData('application/x-aig-post') ||
      e.dataTransfer.getData('text/plain');
    if (!id) return;
    window.__aigDrop = {id: id, date: z.getAttribute('data-drop-date')};
    var b = document.getElementById('aig-drop-trigger');
    if (b) b.click();
  });
})();
"""
TAKE_DROP_JS = (
    "(function () { var d = window.__aigDrop || null; window.__aigDrop = null; return d; })()"
)


class CalendarState(rx.State):
    mode: str = "month"
    anchor: str = ""
    title: str = ""
    tz: str = "UTC"
    days: list[CalDay] = []
    list_days: list[CalDay] = []
    coverage_pillars: list[dict[str, str]] = []
    coverage_platforms: list[dict[str, str]] = []
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
        uid, bid = await _context(self)
        self.loaded = True
        if uid is None or bid is None:
            self.has_business = uid is None
            self.days, self.list_days = [], []
            return
        self.has_business = True
        with session_scope() as db:
            self.tz = svc.user_timezone(uid, session=db)
            anchor = self._anchor()
            self.anchor = anchor.isoformat()
            model = svc.calendar_view(bid, user_id=uid, session=db, anchor=anchor, mode=self.mode)
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
        _uid, bid = await _context(self)
        record = content_jobs.status(bid, content_jobs.FILL) if bid else {}
        if progress.is_running(record):  # started earlier (before a reload, another tab)
            self.filling, self.fill_label = True, _progress_label(record)
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
                content = svc.move_to_day(str(payload["id"]), day, user_id=uid, session=db)
                label = svc.format_local(content.scheduled_for, self.tz)
        except (svc.ContentError, ValueError) as exc:
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
        uid, bid = await _context(self)
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
            self.fill_label = _progress_label(record)

        record, ours = await _follow_job(self, content_jobs.FILL, show)
        if not ours:
            return
        async with self:
            self.filling, self.fill_label = False, ""
            await self._reload()  # the drafts written (also those before an error)
        toast = _job_toast(record)
        if toast is not None:
            yield toast
