"""Reflex state of the Strategy page (thin: services do the work, jobs do the AI)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.ai import progress
from aigrowth.ai.errors import NotFoundError
from aigrowth.ai.planning import MAX_BATCH, MIN_BATCH
from aigrowth.businesses.service import resolve_current, user_timezone
from aigrowth.businesses.state import BusinessState, follow_progress
from aigrowth.db import session_scope
from aigrowth.platforms import PLATFORM_RULES
from aigrowth.strategy import service

SOURCE_LABELS = {"ai": "AI", "offline": "Offline draft", "manual": "Edited by hand"}


def _label(platform: str) -> str:
    rules = PLATFORM_RULES.get(platform)
    return rules.label if rules else platform


class StrategyState(rx.State):
    business_id: str = ""
    business_name: str = ""
    loaded: bool = False
    # Versions, newest first: {version, label, active}
    versions: list[dict[str, str]] = []
    version: int = 0
    active_version: int = 0
    source: str = ""
    created: str = ""
    summary: str = ""
    platforms: list[dict[str, str]] = []
    pillars: list[dict[str, str]] = []
    voice: str = ""
    tone_do: list[str] = []
    tone_dont: list[str] = []
    kpis: list[dict[str, str]] = []
    # Editing
    editing: bool = False
    edit_error: str = ""
    form_key: int = 0
    # Jobs
    strategy_job: dict[str, str] = {}
    posts_job: dict[str, str] = {}
    batch_size: str = "14"
    polling: bool = False

    @rx.var
    def has_strategy(self) -> bool:
        return self.version > 0

    @rx.var
    def viewing_old(self) -> bool:
        return self.version > 0 and self.version != self.active_version

    @rx.var
    def strategy_running(self) -> bool:
        return self.strategy_job.get("state", "") in ("queued", "running")

    @rx.var
    def posts_running(self) -> bool:
        return self.posts_job.get("state", "") in ("queued", "running")

    @rx.var
    def posts_percent(self) -> int:
        total = int(self.posts_job.get("total", "0") or 0)
        done = int(self.posts_job.get("done", "0") or 0)
        return int(100 * done / total) if total else 0

    @rx.var
    def pillar_rows(self) -> list[dict[str, str]]:
        """Edit rows: the pillars plus blank rows up to 5."""
        rows = [dict(p) for p in self.pillars]
        while len(rows) < 5:
            rows.append({"name": "", "description": "", "share": ""})
        return rows

    @rx.var
    def kpi_rows(self) -> list[dict[str, str]]:
        rows = [dict(k) for k in self.kpis]
        while len(rows) < 6:
            rows.append({"name": "", "target": "", "by": "", "goal": ""})
        return rows

    # ------------------------------------------------------------------ loading
    def _show(self, row: Any, tz: str) -> None:
        from aigrowth.ai.planning import safe_zone

        content = row.content or {}
        cadence = {c["platform"]: c for c in content.get("cadence", [])}
        self.version = row.version
        self.source = SOURCE_LABELS.get(row.source, row.source)
        self.created = row.created_at.astimezone(safe_zone(tz)).strftime("%d %b %Y, %H:%M")
        self.summary = content.get("summary", "")
        self.platforms = [
            {
                "platform": p["platform"],
                "label": _label(p["platform"]),
                "why": p.get("why", ""),
                "per_week": str(cadence.get(p["platform"], {}).get("posts_per_week", "")),
                "times": ", ".join(cadence.get(p["platform"], {}).get("best_times", [])),
            }
            for p in content.get("platforms", [])
        ]
        self.pillars = [
            {"name": p["name"], "description": p.get("description", ""), "share": str(p["share"])}
            for p in content.get("pillars", [])
        ]
        tone = content.get("tone") or {}
        self.voice = tone.get("voice", "")
        self.tone_do = list(tone.get("do", []))
        self.tone_dont = list(tone.get("dont", []))
        self.kpis = [
            {
                "name": k.get("name", ""),
                "target": str(k.get("target", "")),
                "by": k.get("by", ""),
                "goal": k.get("goal", ""),
            }
            for k in content.get("kpis", [])
        ]

    def _job(self, kind: str) -> dict[str, str]:
        record = progress.get(self.business_id, kind) if self.business_id else {}
        return {k: str(v) for k, v in record.items() if not isinstance(v, dict)}

    def _reload(self, version: int | None = None) -> None:
        uid = session_user_id(self)
        if uid is None:
            return
        self.version = self.active_version = 0
        with session_scope() as db:
            rows = service.list_versions(self.business_id, user_id=uid, session=db)
            tz = user_timezone(uid, session=db)
            active = next((r for r in rows if r.is_active), rows[0] if rows else None)
            self.active_version = active.version if active else 0
            self.versions = [
                {
                    "version": str(r.version),
                    "label": f"v{r.version} · {SOURCE_LABELS.get(r.source, r.source)}"
                    + (" · active" if r.is_active else ""),
                }
                for r in rows
            ]
            shown = next((r for r in rows if r.version == version), active)
            if shown is not None:
                self._show(shown, tz)

    @rx.event
    async def load(self):
        uid = session_user_id(self)
        if uid is None:
            return None
        chosen = await self.get_state(BusinessState)
        with session_scope() as db:
            business = resolve_current(chosen.selected_id or None, user_id=uid, session=db)
            self.business_id = str(business.id) if business else ""
            self.business_name = business.name if business else ""
        self.editing = False
        self.edit_error = ""
        if self.business_id:
            self._reload()
            self.strategy_job = self._job("strategy")
            self.posts_job = self._job("posts")
        self.loaded = True
        if self.strategy_running or self.posts_running:
            return StrategyState.poll
        return None

    @rx.event
    def view_version(self, version: str):
        if not version.isdigit():
            return
        self.editing = False
        try:
            self._reload(int(version))
        except NotFoundError:
            return

    @rx.event
    def make_active(self):
        uid = session_user_id(self)
        if uid is None or not self.version:
            return None
        with session_scope() as db:
            service.activate_version(self.business_id, self.version, user_id=uid, session=db)
        self._reload(self.version)
        return rx.toast.success(f"Version {self.version} is now the active strategy.")

    # ------------------------------------------------------------------ editing
    @rx.event
    def start_edit(self):
        self.editing = True
        self.edit_error = ""
        self.form_key += 1

    @rx.event
    def cancel_edit(self):
        self.editing = False
        self.edit_error = ""

    @rx.event
    def save_edit(self, form: dict[str, Any]):
        """Hand edit → validated → new active version (nothing saved when invalid)."""
        uid = session_user_id(self)
        if uid is None:
            return None

        def lines(value: Any) -> list[str]:
            return [x.strip() for x in str(value or "").splitlines() if x.strip()]

        platforms, cadence = [], []
        for p in self.platforms:
            key = p["platform"]
            platforms.append({"platform": key, "why": str(form.get(f"why_{key}", "")).strip()})
            per_week = str(form.get(f"ppw_{key}", "")).strip()
            times = [t.strip() for t in str(form.get(f"times_{key}", "")).split(",") if t.strip()]
            cadence.append(
                {
                    "platform": key,
                    "posts_per_week": int(per_week) if per_week.isdigit() else 0,
                    "best_times": times,
                }
            )
        pillars = []
        for i in range(5):
            name = str(form.get(f"pillar_name_{i}", "")).strip()
            if not name:
                continue
            share = str(form.get(f"pillar_share_{i}", "")).strip()
            pillars.append(
                {
                    "name": name,
                    "description": str(form.get(f"pillar_desc_{i}", "")).strip(),
                    "share": int(share) if share.isdigit() else 0,
                }
            )
        kpis = []
        for i in range(6):
            name = str(form.get(f"kpi_name_{i}", "")).strip()
            if not name:
                continue
            kpis.append(
                {
                    "name": name,
                    "target": str(form.get(f"kpi_target_{i}", "")).strip(),
                    "by": str(form.get(f"kpi_by_{i}", "")).strip(),
                    "goal": str(form.get(f"kpi_goal_{i}", "")).strip(),
                }
            )
        content = {
            "summary": str(form.get("summary", "")).strip(),
            "platforms": platforms,
            "pillars": pillars,
            "cadence": cadence,
            "tone": {
                "voice": str(form.get("voice", "")).strip(),
                "do": lines(form.get("tone_do")),
                "dont": lines(form.get("tone_dont")),
            },
            "kpis": kpis,
        }
        with session_scope() as db:
            row, error = service.save_manual_edit(
                self.business_id, content, user_id=uid, session=db
            )
        if error:
            self.edit_error = error
            return None
        self.editing = False
        self.edit_error = ""
        self._reload(row.version if row else None)
        return rx.toast.success(f"Saved as version {self.version}.")

    # ------------------------------------------------------------------ jobs
    @rx.event
    def set_batch_size(self, value: str):
        self.batch_size = value

    @rx.event
    def regenerate(self):
        return self._start("strategy", 0)

    @rx.event
    def generate_posts(self):
        size = self.batch_size.strip()
        if not size.isdigit() or not MIN_BATCH <= int(size) <= MAX_BATCH:
            return rx.toast.error(f"Choose between {MIN_BATCH} and {MAX_BATCH} posts.")
        return self._start("posts", int(size))

    def _start(self, kind: str, count: int):
        from aigrowth.ai.runner import start_generation

        uid = session_user_id(self)
        if uid is None or not self.business_id:
            return None
        message = start_generation(kind, self.business_id, user_id=uid, count=count)
        if message:
            return rx.toast.error(message)
        if kind == "strategy":
            self.strategy_job = self._job("strategy")
        else:
            self.posts_job = self._job("posts")
        return StrategyState.poll

    def _tick(self) -> bool:
        """Refresh both jobs; a finished strategy job brings its new version."""
        was_strategy = self.strategy_running
        self.strategy_job = self._job("strategy")
        self.posts_job = self._job("posts")
        if was_strategy and not self.strategy_running:
            self._reload()
        return self.strategy_running or self.posts_running

    @rx.event(background=True)
    async def poll(self):
        await follow_progress(self, self._tick, rounds=1800)
