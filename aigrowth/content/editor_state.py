"""Reflex state of the editor screen (/content/<id>): the post's view model comes from
the content service (editing.editor_view); the counter, problems and preview are
recomputed here per (debounced) keystroke; the live status is followed while the
publisher works on the post."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import date

import reflex as rx
from sqlmodel import Session

from aigrowth.accounts.state import session_user_id
from aigrowth.businesses.state import BusinessState, current_business_id
from aigrowth.content import access, editing, media, planning, preview, rules, scheduling
from aigrowth.content.access import AccountChoice
from aigrowth.content.editing import AttachedImage, EditorView, VariantRow, VersionRow, editor_view
from aigrowth.content.figures import Figure
from aigrowth.content.media import MEDIA_MAX_BYTES, MediaItem
from aigrowth.content.models import ContentStatus
from aigrowth.content.routes import UPLOAD_MAX_FILES
from aigrowth.content.scheduling import LiveStatus
from aigrowth.content.state_support import PLATFORM_CHOICES, plural
from aigrowth.db import session_scope
from aigrowth.http.limits import read_capped

WATCH_EVERY_S = 1.5  # how often an open editor asks about a post being published
WATCH_MAX_S = 15 * 60  # then it stops; a reload starts again


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
    versions: list[VersionRow] = []
    variants: list[VariantRow] = []
    media: list[AttachedImage] = []
    library_media: list[MediaItem] = []
    pillar_options: list[str] = []
    ai_open: bool = False
    ai_feedback: str = ""
    ai_busy: bool = False
    choose_open: bool = False
    account_choices: list[AccountChoice] = []
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
    figures: list[Figure] = []  # latest analytics of a published post
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

    def _load(self, content_id: str, *, keep_edits: bool = True) -> None:
        """Show the post's view model (built by the content service) and recompute.

        Text the user typed and has not saved survives any re-read of the same post
        (an upload, an attach, a status change while it stays editable); only actions
        whose purpose is new text (restore a version, AI rewrite) pass keep_edits=False."""
        uid = session_user_id(self)
        if uid is None:
            return
        try:
            with session_scope() as db:
                view = editor_view(content_id, user_id=uid, session=db)
        except access.ContentError:
            self.not_found = True
            self.content_id = ""
            return
        self._show(view, keep_edits=keep_edits)
        self.connect_hint = ""
        self.expanded = False
        self._recompute()

    def _show(self, view: EditorView, *, keep_edits: bool = True) -> None:
        keep = (
            keep_edits
            and self.content_id == view.content_id
            and self.dirty
            and str(view.status) in {s.value for s in access.EDITABLE}
        )
        self.not_found = False
        self.content_id = view.content_id
        self.tz = view.tz
        self.platform = view.platform
        self.status = view.status
        self.pillar = view.pillar
        if not keep:
            self.text = view.text
            self.hashtags = list(view.hashtags)
        self.saved_text = view.text
        self.saved_hashtags = list(view.hashtags)
        self.last_error = view.last_error
        self.status_note = view.status_note
        self.remote_url = view.remote_url
        self.published_label = view.published_label
        self._due_soon = view.due_soon
        self.media = view.media
        self._business_id, self._business_name = view.business_id, view.business_name
        self.author_name = view.author_name
        self.author_handle = view.author_handle
        self.instance_limit = view.instance_limit
        self.sched_date = view.sched_date
        self.sched_time = view.sched_time
        self.when_label = view.when_label
        self.figures = view.figures
        self.figures_day = view.figures_day
        self.figures_fetched = view.figures_fetched
        self.versions = view.versions
        self.variants = view.variants
        self.library_media = view.library_media
        self.pillar_options = view.pillar_options

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
                message = scheduling.retry_publish(self.content_id, user_id=uid, session=db)
        except access.ContentError as exc:
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
                scheduling.mark_published(self.content_id, self.mark_url, user_id=uid, session=db)
        except access.ContentError as exc:
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
        editing.save_text(self.content_id, self.text, self.hashtags, user_id=uid, session=db)

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
        except access.ContentError as exc:
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
            lambda uid, db: editing.set_pillar(self.content_id, value, user_id=uid, session=db),
            f"Pillar set to {value}.",
            then=lambda: setattr(self, "pillar", value),
        )

    @rx.event
    def restore(self, version_id: str):
        return self._act(
            lambda uid, db: editing.restore_version(
                self.content_id, version_id, user_id=uid, session=db
            ),
            "Version restored. The text it replaced was kept too.",
            then=lambda: self._load(self.content_id, keep_edits=False),
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
                editing.optimise_with_ai(self.content_id, feedback, user_id=uid, session=db)
        except access.ContentError as exc:
            self.ai_busy = False
            yield rx.toast.error(str(exc))
            return
        self.ai_busy = False
        self.ai_open = False
        self.ai_feedback = ""
        self._load(self.content_id, keep_edits=False)
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
        except access.NeedsAccount as exc:
            if exc.accounts:
                self.account_choices = exc.accounts
                self.chosen_account = exc.accounts[0]["id"]
                self.pending_action = action
                self.choose_open = True
                return rx.toast.info(str(exc))
            self.connect_hint = str(exc)
            return rx.toast.error(str(exc))
        except (access.ContentError, ValueError) as exc:
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
            content = scheduling.schedule_local(
                self.content_id, day, at, user_id=uid, session=db, account_id=account
            )
            return f"Scheduled for {access.format_local(content.scheduled_for, self.tz)}."

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
            scheduling.publish_now(self.content_id, user_id=uid, session=db, account_id=account)
            return "Publishing now. The status updates when the platform confirms."

        return self._with_account("publish", run)

    @rx.event
    def unschedule(self):
        return self._act(
            lambda uid, db: scheduling.unschedule(self.content_id, user_id=uid, session=db),
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
                editing.delete_content(self.content_id, user_id=uid, session=db)
        except access.ContentError as exc:
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
                variant = editing.create_variant(
                    self.content_id, self.variant_platform, user_id=uid, session=db
                )
                vid = str(variant.id)
        except access.ContentError as exc:
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
            data = await read_capped(file, MEDIA_MAX_BYTES)
            if data is None:
                limit_mb = MEDIA_MAX_BYTES // 1_048_576
                errors.append(f"{file.name}: larger than {limit_mb} MB. Make it smaller.")
                continue
            try:  # decoding and re-encoding an image takes a while: off the event loop
                await asyncio.to_thread(
                    _store_upload, self.content_id, file.name or "image", data, uid
                )
                done += 1
            except access.ContentError as exc:
                errors.append(f"{file.name}: {exc}")
        self.uploading = False
        self._load(self.content_id)
        if errors:
            yield rx.toast.error(" ".join(errors))
        if done:
            yield rx.toast.success(f"{plural(done, 'image')} uploaded and attached.")

    @rx.event
    def attach(self, media_id: str):
        return self._act(
            lambda uid, db: media.attach_media(self.content_id, media_id, user_id=uid, session=db),
            "Image attached.",
        )

    @rx.event
    def detach(self, media_id: str):
        return self._act(
            lambda uid, db: media.detach_media(self.content_id, media_id, user_id=uid, session=db),
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
            lambda uid, db: media.set_alt_text(
                media_id, alt, user_id=uid, session=db, content_id=self.content_id
            ),
            "Alt text saved.",
            then=show,
        )


def _store_upload(content_id: str, filename: str, data: bytes, uid: uuid.UUID) -> None:
    """Clean and store one uploaded image, then attach it to the post."""
    with session_scope() as db:
        content = access.get_owned(content_id, user_id=uid, session=db)
        asset = media.save_upload(content.business_id, filename, data, user_id=uid, session=db)
        media.attach_media(content_id, asset.id, user_id=uid, session=db)


def _live_status(cid: str, uid: uuid.UUID) -> LiveStatus | None:
    """One status read for the watcher (runs in a thread: the event loop stays free)."""
    with session_scope() as db:
        return scheduling.live_status(cid, user_id=uid, session=db)


def _status_toast(live: LiveStatus, platform: str, *, lost_edits: bool = False):
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
            "Publishing failed: " + scheduling.status_message(status, live["last_error"])
        )
    if status == ContentStatus.NEEDS_ATTENTION:
        return rx.toast.warning("We could not confirm this post went out. Please check.")
    if status == ContentStatus.PUBLISHING:
        return rx.toast.info(f"Publishing to {platform}…")
    return None
