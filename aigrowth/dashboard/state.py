"""Dashboard state: one load on mount, plain values for the page (thin: calls the service)."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.analytics.goals import STATUS_COLORS, scorecard
from aigrowth.businesses import service as businesses
from aigrowth.businesses.state import current_business_id
from aigrowth.dashboard.service import dashboard_summary
from aigrowth.db import session_scope

GOALS_SHOWN = 4


def _figure(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _strings(line: object) -> dict[str, str]:
    """A dataclass as the dict of strings the page reads."""
    return {k: str(v) for k, v in asdict(line).items()}


class DashboardState(rx.State):
    loading: bool = True
    business_name: str = ""
    has_business: bool = False
    setup_complete: bool = False
    drafts: int = 0
    scheduled_week: int = 0
    published_month: int = 0
    needs_attention: int = 0
    accounts_connected: int = 0
    accounts_need_reconnect: int = 0
    impressions: str = "—"
    engagements: str = "—"
    engagement_rate: str = "—"
    has_results: bool = False
    upcoming: list[dict[str, str]] = []
    attention: list[dict[str, str]] = []
    steps: list[dict[str, str]] = []
    steps_done: int = 0
    # Short goals scorecard: {name, message, color, progress}
    goals: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        uid = session_user_id(self)
        if uid is None:
            return
        business_id = await current_business_id(self)
        with session_scope() as db:
            business = businesses.get_business(business_id, user_id=uid, session=db)
            timezone = businesses.user_timezone(uid, session=db)
            summary = dashboard_summary(business, user_id=uid, timezone=timezone, session=db)
            card = scorecard(business.id, user_id=uid, session=db) if business else []
        self.goals = [
            {
                "name": g.name,
                "message": g.message,
                "color": STATUS_COLORS.get(g.status, "gray"),
                "progress": "" if g.progress is None else str(round(100 * g.progress)),
            }
            for g in card[:GOALS_SHOWN]
        ]
        self.has_business = business is not None
        self.business_name = summary.business_name
        self.setup_complete = summary.setup_complete
        self.drafts = summary.drafts
        self.scheduled_week = summary.scheduled_next_7_days
        self.published_month = summary.published_last_30_days
        self.needs_attention = summary.needs_attention
        self.accounts_connected = summary.accounts_connected
        self.accounts_need_reconnect = summary.accounts_need_reconnect
        self.impressions = _figure(summary.impressions_30d)
        self.engagements = _figure(summary.engagements_30d)
        rate = summary.avg_engagement_rate
        self.engagement_rate = "—" if rate is None else f"{rate:.1%}"
        self.has_results = (
            summary.impressions_30d is not None or summary.engagements_30d is not None
        )
        self.upcoming = [_strings(line) for line in summary.upcoming]
        self.attention = [_strings(line) for line in summary.attention]
        self.steps = [
            {"title": s.title, "done": "1" if s.done else "", "href": s.href, "action": s.action}
            for s in summary.steps
        ]
        self.steps_done = sum(1 for s in summary.steps if s.done)
        self.loading = False
