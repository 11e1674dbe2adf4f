"""Reflex state of /analytics (thin: queries, goals and re-plan services do the work).

Queries, the platform pull and the re-plan run off the event loop (asyncio.to_thread).
The business is always resolved again from the signed-in user; ids sent by the page
(proposal, KPI name) are checked by the services against that user.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.ai.errors import AIError
from aigrowth.analytics import charts, goals
from aigrowth.analytics import queries as q
from aigrowth.businesses.service import user_timezone
from aigrowth.businesses.state import current_business_id
from aigrowth.db import session_scope
from aigrowth.dbtypes import utcnow
from aigrowth.settings import get_settings
from aigrowth.social.models import platform_label

REFRESH_EVERY_S = 600  # "Refresh now" at most once per 10 minutes per business
CARDS = (
    ("impressions", "Impressions", False),
    ("engagements", "Engagements", False),
    ("engagement_rate", "Engagement rate", True),
    ("clicks", "Link clicks", False),
    ("followers_gained", "Followers gained", False),
    ("posts_published", "Posts published", False),
)


def _num(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if percent else f"{value:,.0f}"


def _card(key: str, label: str, percent: bool, figure: q.Figure, days: int) -> dict[str, str]:
    change = figure.change
    if change is None:
        trend, tone = "no comparison", "gray"
    else:
        trend = f"{change:+.0%} vs previous {days} days"
        tone = "green" if change > 0 else ("red" if change < 0 else "gray")
    return {
        "key": key,
        "label": label,
        "value": _num(figure.value, percent),
        "trend": trend,
        "tone": tone,
    }


def _post_row(p: q.PostFigures, tz: str) -> dict[str, str]:
    from zoneinfo import ZoneInfo

    when = (
        p.published_at.astimezone(ZoneInfo(tz)).strftime("%d %b %Y, %H:%M")
        if p.published_at
        else ""
    )
    flat = " ".join(p.text.split())
    return {
        "id": p.id,
        "platform": p.platform,
        "pillar": p.pillar,
        "format": p.format,
        "snippet": flat if len(flat) <= 120 else flat[:119] + "…",
        "when": when,
        "impressions": _num(p.impressions),
        "engagements": _num(p.engagements),
        "rate": _num(p.engagement_rate, True),
        "url": p.remote_url,
    }


def _goal_row(g: goals.GoalStatus) -> dict[str, str]:
    percent = g.metric == "engagement_rate"
    return {
        "name": g.name,
        "message": g.message,
        "status": g.status,
        "color": goals.STATUS_COLORS.get(g.status, "gray"),
        "current": _num(g.current, percent),
        "target": _num(g.target, percent) if g.target is not None else (g.target_text or "—"),
        "by": g.by,
        "progress": str(round(100 * g.progress)) if g.progress is not None else "",
        "measured": "1" if g.measured else "",
    }


def _options(pairs: list[tuple[str, str]]) -> list[list[str]]:
    return [[value, label] for value, label in pairs]


class AnalyticsState(rx.State):
    loading: bool = True
    has_business: bool = False
    business_name: str = ""
    error: str = ""
    # Filters
    period: str = "30"
    start: str = ""
    end: str = ""
    platform: str = "all"
    account: str = "all"
    pillar: str = "all"
    platform_options: list[list[str]] = []
    account_options: list[list[str]] = []
    pillar_options: list[list[str]] = []
    # Figures
    cards: list[dict[str, str]] = []
    published_total: int = 0
    period_label: str = ""
    not_reported: str = ""
    has_daily: bool = False
    has_followers: bool = False
    has_heatmap: bool = False
    daily_fig: go.Figure = go.Figure()
    followers_fig: go.Figure = go.Figure()
    heatmap_fig: go.Figure = go.Figure()
    platform_fig: go.Figure = go.Figure()
    pillar_fig: go.Figure = go.Figure()
    format_fig: go.Figure = go.Figure()
    breakdown_tab: str = "platform"
    unrated: str = ""
    top: list[dict[str, str]] = []
    bottom: list[dict[str, str]] = []
    # Goals
    goals: list[dict[str, str]] = []
    # Refresh
    refreshing: bool = False
    refresh_message: str = ""
    # Re-plan
    replanning: bool = False
    replan_message: str = ""
    proposal_id: str = ""
    proposal_summary: str = ""
    proposal_changes: list[dict[str, str]] = []
    pillars_side: list[dict[str, str]] = []
    base_version: int = 0
    export_base: str = ""

    @rx.var
    def export_query(self) -> str:
        """Query string of the CSV export for the current filters (business added by the
        server from the session; the route re-checks ownership)."""
        from urllib.parse import urlencode

        params: dict[str, str] = {"days": self.period if self.period != "custom" else "30"}
        if self.period == "custom" and self.start and self.end:
            params.update(start=self.start, end=self.end)
        for key, value in (
            ("platform", self.platform),
            ("account", self.account),
            ("pillar", self.pillar),
        ):
            if value and value != "all":
                params[key] = value
        return urlencode(params)

    # ------------------------------------------------------------------ loading
    def _filters(self, today: date) -> q.Filters:
        def pick(value: str) -> str:
            return "" if value == "all" else value

        custom = self.period == "custom"
        return q.make_filters(
            today=today,
            days=int(self.period) if self.period.isdigit() else 30,
            start=date.fromisoformat(self.start) if custom and self.start else None,
            end=date.fromisoformat(self.end) if custom and self.end else None,
            platform=pick(self.platform),
            account_id=pick(self.account),
            pillar=pick(self.pillar),
        )

    def _compute(self, uid: uuid.UUID, bid: uuid.UUID) -> dict[str, Any]:
        """Everything the page shows (runs in a worker thread)."""
        from aigrowth.businesses.service import get_business
        from aigrowth.strategy import replan
        from aigrowth.strategy.service import active_strategy

        with session_scope() as db:
            business = get_business(bid, user_id=uid, session=db)
            if business is None:
                return {}
            tz = user_timezone(uid, session=db)
            f = self._filters(utcnow().date())
            data = q.page_data(bid, f, user_id=uid, session=db, timezone=tz)
            options = q.filter_options(bid, user_id=uid, session=db)
            card = goals.scorecard(bid, user_id=uid, session=db)
            proposal = replan.pending_proposal(bid, user_id=uid, session=db)
            active = active_strategy(bid, user_id=uid, session=db)
            return {
                "name": business.name,
                "id": str(business.id),
                "tz": tz,
                "data": data,
                "options": options,
                "goals": card,
                "proposal": None
                if proposal is None
                else (
                    str(proposal.id),
                    proposal.summary,
                    list(proposal.changes),
                    dict(proposal.content),
                    proposal.base_version,
                ),
                "active": dict(active.content) if active else {},
            }

    def _show(self, result: dict[str, Any]) -> None:
        data: q.PageData = result["data"]
        f, tz = data.filters, result["tz"]
        self.business_name = result["name"]
        self.export_base = (
            f"{get_settings().effective_api_url}/analytics/export?business={result['id']}"
        )
        self.period_label = f"{f.start:%d %b %Y} to {f.end:%d %b %Y}"
        self.cards = [
            _card(key, label, percent, getattr(data.headline, key), f.days)
            for key, label, percent in CARDS
        ]
        self.published_total = data.published_total
        self.not_reported = ", ".join(platform_label(p) for p in data.platforms_without_impressions)
        self.has_daily = bool(data.daily)
        self.daily_fig = charts.daily_figure(data.daily)
        self.has_followers = any(p.followers is not None for p in data.followers)
        self.followers_fig = charts.followers_figure(data.followers)
        self.has_heatmap = bool(data.heatmap)
        self.heatmap_fig = charts.heatmap_figure(data.heatmap)
        self.platform_fig = charts.breakdown_figure("platform", data.breakdowns["platform"])
        self.pillar_fig = charts.breakdown_figure("pillar", data.breakdowns["pillar"])
        self.format_fig = charts.breakdown_figure("format", data.breakdowns["format"])
        unrated = [
            platform_label(g.key) for g in data.breakdowns["platform"] if g.engagement_rate is None
        ]
        self.unrated = ", ".join(unrated)
        self.top = [_post_row(p, tz) for p in data.top]
        self.bottom = [_post_row(p, tz) for p in data.bottom]
        options = result["options"]
        self.platform_options = _options(options["platforms"])
        self.account_options = _options(options["accounts"])
        self.pillar_options = _options(options["pillars"])
        self.goals = [_goal_row(g) for g in result["goals"]]
        self._show_proposal(result["proposal"], result["active"])

    def _show_proposal(self, proposal: Any, active: dict[str, Any]) -> None:
        if proposal is None:
            self.proposal_id, self.proposal_summary = "", ""
            self.proposal_changes, self.pillars_side = [], []
            return
        pid, summary, changes, content, base = proposal
        self.proposal_id, self.proposal_summary, self.base_version = pid, summary, base
        self.proposal_changes = [
            {k: str(c.get(k, "")) for k in ("area", "item", "before", "after", "why")}
            for c in changes
        ]
        now = {p["name"]: p["share"] for p in active.get("pillars") or []}
        new = {p["name"]: p["share"] for p in content.get("pillars") or []}
        self.pillars_side = [
            {
                "name": name,
                "now": f"{now[name]}%" if name in now else "—",
                "new": f"{new[name]}%" if name in new else "—",
                "changed": "1" if now.get(name) != new.get(name) else "",
            }
            for name in dict.fromkeys([*now, *new])
        ]

    async def _reload(self) -> None:
        uid = session_user_id(self)
        bid = await current_business_id(self)
        self.has_business = uid is not None and bid is not None
        if not self.has_business:
            self.loading = False
            return
        try:
            result = await asyncio.to_thread(self._compute, uid, bid)  # type: ignore[arg-type]
        except ValueError as exc:  # a bad custom range: plain words, nothing changes
            self.error = str(exc)
            self.loading = False
            return
        self.error = ""
        if result:
            self._show(result)
        self.loading = False

    @rx.event
    async def load(self):
        self.loading = True
        await self._reload()

    # ------------------------------------------------------------------ filters
    @rx.event
    async def set_period(self, value: str):
        if value not in ("7", "30", "90", "custom"):
            return
        self.period = value
        if value != "custom":
            await self._reload()

    @rx.event
    def set_start(self, value: str):
        self.start = value

    @rx.event
    def set_end(self, value: str):
        self.end = value

    @rx.event
    async def apply_custom(self):
        if not self.start or not self.end:
            self.error = "Choose both a start and an end date."
            return
        self.period = "custom"
        await self._reload()

    @rx.event
    async def set_platform(self, value: str):
        self.platform = value or "all"
        await self._reload()

    @rx.event
    async def set_account(self, value: str):
        self.account = value or "all"
        await self._reload()

    @rx.event
    async def set_pillar(self, value: str):
        self.pillar = value or "all"
        await self._reload()

    @rx.event
    def set_breakdown_tab(self, value: str):
        if value in q.BREAKDOWNS:
            self.breakdown_tab = value

    @rx.event
    def export_csv(self, kind: str):
        """Start the CSV download for the current filters (the route re-checks the owner)."""
        if kind not in ("posts", "accounts") or not self.export_base:
            return None
        url = f"{self.export_base}&kind={kind}&{self.export_query}"
        # A full navigation to an attachment: the browser downloads and stays on the page
        # (a same-origin link would be taken over by the client router).
        return rx.call_script(f"window.location.assign({json.dumps(url)})")

    # ------------------------------------------------------------------ refresh now
    @rx.event(background=True)
    async def refresh_now(self):
        """Pull today's figures for this business (once per 10 minutes)."""
        async with self:
            if self.refreshing:
                return
            uid = session_user_id(self)
            bid = await current_business_id(self)
            if uid is None or bid is None:
                return
            self.refreshing = True
            self.refresh_message = "Pulling today's figures from your platforms…"
        try:
            allowed = await asyncio.to_thread(_claim_refresh, bid)
            if not allowed:
                async with self:
                    self.refreshing = False
                    self.refresh_message = ""
                yield rx.toast.info("Figures were refreshed a few minutes ago; try again later.")
                return
            from aigrowth.analytics.service import pull_all

            stats = await asyncio.to_thread(pull_all, business_id=bid)
            async with self:
                await self._reload()
                self.refreshing = False
                self.refresh_message = ""
            failed = stats.failed_accounts + stats.account_failures
            if failed:
                yield rx.toast.warning(
                    f"Updated {stats.rows} posts; {failed} account(s) could not be read "
                    "(see Accounts)."
                )
            else:
                yield rx.toast.success(
                    f"Updated {stats.rows} post(s) and {stats.account_rows} account(s)."
                )
        except Exception:  # the platform pull logs details; the page stays usable
            async with self:
                self.refreshing = False
                self.refresh_message = ""
            yield rx.toast.error("Refreshing failed; the daily pull will try again tonight.")

    # ------------------------------------------------------------------ goals
    @rx.event
    async def save_goal_value(self, form: dict[str, Any]):
        uid = session_user_id(self)
        bid = await current_business_id(self)
        if uid is None or bid is None:
            return None
        kpi, value = str(form.get("kpi", "")), str(form.get("value", ""))
        with session_scope() as db:
            error = goals.set_manual_value(bid, kpi, value, user_id=uid, session=db)
        if error:
            return rx.toast.error(error)
        await self._reload()
        return rx.toast.success(f"{kpi} updated.")

    # ------------------------------------------------------------------ re-plan
    @rx.event(background=True)
    async def ask_replan(self):
        async with self:
            if self.replanning:
                return
            uid = session_user_id(self)
            bid = await current_business_id(self)
            if uid is None or bid is None:
                return
            self.replanning = True
            self.replan_message = ""
        from aigrowth.strategy import replan

        def work() -> str:
            with session_scope() as db:
                return replan.propose(bid, user_id=uid, session=db).message

        try:
            message = await asyncio.to_thread(work)
        except AIError as exc:  # an AI outage, quota or allowance: say so, change nothing
            message = exc.message
        async with self:
            self.replanning = False
            self.replan_message = message
            await self._reload()
        yield rx.toast.info(message)

    @rx.event
    async def accept_proposal(self):
        from aigrowth.strategy import replan

        uid = session_user_id(self)
        if uid is None or not self.proposal_id:
            return None
        with session_scope() as db:
            version, error = replan.accept(self.proposal_id, user_id=uid, session=db)
            number = version.version if version is not None else 0
        await self._reload()
        if error:
            return rx.toast.error(error)
        self.replan_message = ""
        return rx.toast.success(
            f"Version {number} is now your active strategy; new batches follow it."
        )

    @rx.event
    async def dismiss_proposal(self):
        from aigrowth.strategy import replan

        uid = session_user_id(self)
        if uid is None or not self.proposal_id:
            return None
        with session_scope() as db:
            replan.dismiss(self.proposal_id, user_id=uid, session=db)
        self.replan_message = ""
        await self._reload()
        return rx.toast.info("Proposal dismissed; your strategy is unchanged.")


def _claim_refresh(business_id: uuid.UUID) -> bool:
    """One manual refresh per business per REFRESH_EVERY_S, across web processes."""
    from aigrowth.redis_client import get_redis

    key = f"analytics:refresh:{business_id}"
    return bool(get_redis().set(key, "1", nx=True, ex=REFRESH_EVERY_S))
