"""Reflex state for the business switcher and the onboarding wizard (thin: calls services).

"Current business" per browser: the selected id lives in a cookie-backed state var
(`aig_business`), checked against the owner on every use; when it is missing or not the
user's, the most recently used business is current. Other capabilities read it with
`await current_business_id(self)`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.ai import progress
from aigrowth.businesses import service
from aigrowth.db import session_scope

BUSINESS_COOKIE = "aig_business"
POLL_S = 1.0


class BusinessState(rx.State):
    """The user's businesses and which one is current."""

    selected_id: str = rx.Cookie("", name=BUSINESS_COOKIE, max_age=365 * 86400, same_site="lax")
    current_id: str = ""
    current_name: str = ""
    options: list[dict[str, str]] = []
    loaded: bool = False

    def _refresh(self, user_id: uuid.UUID) -> service.Business | None:
        with session_scope() as db:
            current = service.resolve_current(self.selected_id or None, user_id=user_id, session=db)
            rows = service.list_businesses(user_id=user_id, session=db)
            self.options = [
                {"id": str(b.id), "name": b.name, "done": "1" if b.onboarding_completed else ""}
                for b in sorted(rows, key=lambda b: b.name.lower())
            ]
            self.current_id = str(current.id) if current else ""
            self.current_name = current.name if current else ""
        self.loaded = True
        return current

    @rx.event
    def load(self):
        """on_mount of the switcher. A user with no business is sent to onboarding."""
        uid = session_user_id(self)
        if uid is None:
            return None
        current = self._refresh(uid)
        if current is None and self.router.url.path.rstrip("/") in ("/dashboard", "/strategy"):
            return rx.redirect("/onboarding")
        return None

    @rx.event
    def switch(self, business_id: str):
        uid = session_user_id(self)
        if uid is None:
            return None
        with session_scope() as db:
            business = service.get_business(business_id, user_id=uid, session=db)
            if business is None:
                return rx.toast.error("That business was not found.")
            service.touch(business, session=db)
        self.selected_id = business_id
        self._refresh(uid)
        # Every page re-reads its data for the new business.
        return rx.call_script("window.location.reload()")

    def remember(self, business_id: str, name: str) -> None:
        self.selected_id = business_id
        self.current_id = business_id
        self.current_name = name


async def follow_progress(state: rx.State, tick: Callable[[], bool], *, rounds: int) -> None:
    """The body of a background ``poll`` event: every POLL_S, ``tick()`` (run under the
    state lock) refreshes the page from the job's progress record and says whether a
    job is still running. One poller per tab (``state.polling``); it stops when the
    page switches business."""
    async with state:
        if state.polling:
            return
        state.polling = True
        business_id = state.business_id
    try:
        for _ in range(rounds):
            await asyncio.sleep(POLL_S)
            async with state:
                if state.business_id != business_id or not tick():
                    return
    finally:
        async with state:
            state.polling = False


async def current_business_id(state: rx.State) -> uuid.UUID | None:
    """The current business for the signed-in user of `state` (owner-checked)."""
    uid = session_user_id(state)
    if uid is None:
        return None
    chosen = await state.get_state(BusinessState)
    with session_scope() as db:
        business = service.resolve_current(chosen.selected_id or None, user_id=uid, session=db)
        return business.id if business else None


# ============================================================================ wizard
STEP_TITLES = ["Your business", "Your audience", "Your goals", "Platforms and tone", "Strategy"]
EMPTY_GOALS = [{"metric": "followers", "target": "", "by": ""} for _ in range(3)]


class OnboardingState(rx.State):
    business_id: str = ""
    step: int = 1
    max_step: int = 1
    completed: bool = False
    form_key: int = 0
    # Bumped when a load finishes; the page exposes it so tests (and scripts) can tell
    # the wizard has its saved values after a reload.
    loads: int = 0
    # Step 1
    name: str = ""
    industry: str = ""
    description: str = ""
    website: str = ""
    # Step 2
    target_audience: str = ""
    location: str = ""
    pains: str = ""
    # Step 3
    goals: list[dict[str, str]] = EMPTY_GOALS
    # Step 4
    platforms: list[str] = []
    tone: str = ""
    brand_voice: str = ""
    errors: dict[str, str] = {}
    saving: bool = False
    # Step 5: generation progress
    gen_state: str = ""
    gen_done: int = 0
    gen_total: int = 3
    gen_message: str = ""
    gen_error: str = ""
    has_strategy: bool = False
    polling: bool = False

    @rx.var
    def step_title(self) -> str:
        return STEP_TITLES[max(1, min(self.step, 5)) - 1]

    @rx.var
    def gen_percent(self) -> int:
        return int(100 * self.gen_done / self.gen_total) if self.gen_total else 0

    @rx.var
    def generating(self) -> bool:
        return self.gen_state in ("queued", "running")

    def _form_values(self) -> tuple:
        """What the wizard's uncontrolled inputs are filled from."""
        return (
            self.business_id, self.step, self.name, self.industry, self.description,
            self.website, self.target_audience, self.location, self.pains,
            repr(self.goals), tuple(self.platforms), self.tone, self.brand_voice,
        )  # fmt: skip

    def _blank(self) -> None:
        self.business_id = ""
        self.step = self.max_step = 1
        self.completed = False
        self.name = self.industry = self.description = self.website = ""
        self.target_audience = self.location = self.pains = ""
        self.goals = [dict(g) for g in EMPTY_GOALS]
        self.platforms = []
        self.tone = self.brand_voice = ""
        self.errors = {}
        self.gen_state = self.gen_message = self.gen_error = ""
        self.gen_done = 0
        self.has_strategy = False

    def _fill(self, business: service.Business, has_strategy: bool) -> None:
        self.business_id = str(business.id)
        self.name = business.name
        self.industry = business.industry
        self.description = business.description
        self.website = business.website
        self.target_audience = business.target_audience
        audience = business.audience or {}
        self.location = str(audience.get("location", ""))
        self.pains = str(audience.get("pains", ""))
        goals = [
            {
                "metric": str(g.get("metric", "")),
                "target": str(g.get("target", "")),
                "by": str(g.get("by", "")),
            }
            for g in (business.goals or [])[:3]
        ]
        self.goals = goals + [dict(g) for g in EMPTY_GOALS[len(goals) :]]
        self.platforms = list(business.platforms or [])
        voice = business.brand_voice or ""
        preset = next((k for k, v in service.TONE_PRESETS.items() if v == voice), "")
        self.tone = preset
        self.brand_voice = "" if preset else voice
        self.completed = bool(business.onboarding_completed)
        self.max_step = max(1, min(5, business.onboarding_step or 1))
        self.step = 1 if self.completed else self.max_step
        self.has_strategy = has_strategy
        self.errors = {}

    @rx.event
    async def load(self):
        """on_mount: resume the current business's wizard, or start a new one (?new=1)."""
        from aigrowth.strategy.service import active_strategy

        uid = session_user_id(self)
        if uid is None:
            return None
        params = self.router.url.query_parameters
        shown = self._form_values()
        self._blank()
        if params.get("new") != "1":
            chosen = await self.get_state(BusinessState)
            with session_scope() as db:
                business = service.resolve_current(
                    params.get("business") or chosen.selected_id or None, user_id=uid, session=db
                )
                if business is not None:
                    has = active_strategy(business.id, user_id=uid, session=db) is not None
                    self._fill(business, has)
            if self.business_id:
                record = progress.get(self.business_id, "strategy")
                self._apply(record)
        # Re-key (remount) the form only when what it shows changed: after a reload the
        # restored state already shows the saved values, and remounting would wipe what
        # the founder started typing meanwhile.
        if self._form_values() != shown:
            self.form_key += 1
        self.loads += 1
        if self.generating:
            return OnboardingState.poll
        return None

    @rx.event
    def go_to(self, step: int):
        if 1 <= step <= self.max_step:
            self.step = step
            self.errors = {}
            self.form_key += 1

    @rx.event
    def back(self):
        if self.step > 1:
            self.step -= 1
            self.errors = {}
            self.form_key += 1

    @rx.event
    async def submit_step(self, form: dict[str, Any]):
        """Validate and save the current step; advance on success."""
        uid = session_user_id(self)
        if uid is None:
            return rx.redirect("/login?next=/onboarding")
        step = self.step
        data: dict[str, Any]
        if step == 1:
            data = {k: form.get(k, "") for k in ("name", "industry", "description", "website")}
            self.name, self.industry = data["name"], data["industry"]
            self.description, self.website = data["description"], data["website"]
        elif step == 2:
            data = {k: form.get(k, "") for k in ("target_audience", "location", "pains")}
            self.target_audience, self.location, self.pains = (
                data["target_audience"],
                data["location"],
                data["pains"],
            )
        elif step == 3:
            goals = [
                {
                    "metric": str(form.get(f"goal_metric_{i}", "")),
                    "target": str(form.get(f"goal_target_{i}", "")),
                    "by": str(form.get(f"goal_by_{i}", "")),
                }
                for i in range(3)
            ]
            self.goals = goals
            data = {"goals": goals}
        else:
            chosen = [
                p for p in service.PLATFORMS if form.get(f"platform_{p}") in ("on", True, "true")
            ]
            self.platforms = chosen
            self.tone = str(form.get("tone", "") or "")
            self.brand_voice = str(form.get("brand_voice", "") or "")
            data = {"platforms": chosen, "tone": self.tone, "brand_voice": self.brand_voice}
        with session_scope() as db:
            business, errors = service.save_step(
                self.business_id or None, step, data, user_id=uid, session=db
            )
            if errors:
                self.errors = errors
                return rx.toast.error("Please fix the highlighted fields.")
            assert business is not None
            self.business_id = str(business.id)
            self.max_step = max(self.max_step, min(5, business.onboarding_step))
            name = business.name
        chosen_state = await self.get_state(BusinessState)
        chosen_state.remember(self.business_id, name)
        self.errors = {}
        self.step = min(5, step + 1)
        self.form_key += 1
        return None

    def _apply(self, record: dict[str, Any]) -> None:
        self.gen_state = str(record.get("state", ""))
        self.gen_done = int(record.get("done", 0) or 0)
        self.gen_total = int(record.get("total", 3) or 3)
        self.gen_message = str(record.get("message", "") or "")
        self.gen_error = str(record.get("error", "") or "")
        if self.gen_state == "done":
            self.has_strategy = True
            self.completed = True

    @rx.event
    def generate(self):
        from aigrowth.ai.runner import start_generation

        uid = session_user_id(self)
        if uid is None or not self.business_id:
            return rx.toast.error("Save your business first.")
        message = start_generation("strategy", self.business_id, user_id=uid)
        if message:
            self.gen_error = message
            return None
        self._apply(progress.get(self.business_id, "strategy"))
        return OnboardingState.poll

    def _tick(self) -> bool:
        self._apply(progress.get(self.business_id, "strategy"))
        return self.generating

    @rx.event(background=True)
    async def poll(self):
        """Follow the job's progress record until it finishes (page stays responsive)."""
        await follow_progress(self, self._tick, rounds=900)
