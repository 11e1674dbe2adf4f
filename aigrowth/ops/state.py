"""Operations page state: admin-only; the check is server-side on every load."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.billing.service import plan_counts
from aigrowth.db import session_scope
from aigrowth.ops import service
from aigrowth.settings import get_settings


class QueueItem(TypedDict):
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int


class StatusCount(TypedDict):
    status: str
    count: int


class OpsState(rx.State):
    allowed: bool = False
    checked: bool = False
    redis_ok: bool = True
    error: str = ""
    workers: int = 0
    scheduler_ok: bool = False
    heartbeat: str = "never"
    queues: list[QueueItem] = []
    failed_total: int = 0
    posts: list[StatusCount] = []
    due_unclaimed: int = 0
    oldest_due: str = "—"
    dashboard_url: str = ""
    billing_on: bool = False
    users_per_plan: list[StatusCount] = []
    subscription_states: list[StatusCount] = []

    @rx.event
    def load(self):
        uid = session_user_id(self)
        with session_scope() as db:
            self.allowed = service.is_admin(uid, session=db)
            self.checked = True
            if not self.allowed:
                self.queues, self.posts = [], []
                return
            data = service.overview(session=db)
            billing = plan_counts(session=db)
        self.billing_on = billing["enabled"]
        self.users_per_plan = [StatusCount(status=k, count=v) for k, v in billing["plans"].items()]
        self.subscription_states = [
            StatusCount(status=k, count=v) for k, v in sorted(billing["statuses"].items())
        ]
        self.redis_ok = data.redis_ok
        self.error = data.error
        self.workers = data.workers
        self.scheduler_ok = data.scheduler_ok
        self.heartbeat = (
            "never" if data.heartbeat_age_s is None else f"{data.heartbeat_age_s:.0f} s ago"
        )
        self.queues = [
            QueueItem(
                name=q.name,
                queued=q.queued,
                started=q.started,
                failed=q.failed,
                scheduled=q.scheduled,
            )
            for q in data.queues
        ]
        self.failed_total = data.failed_total
        self.posts = [
            StatusCount(status=k, count=v) for k, v in sorted(data.posts_by_status.items())
        ]
        self.due_unclaimed = data.due_unclaimed
        self.oldest_due = "—" if data.oldest_due_s is None else f"{data.oldest_due_s:.0f} s"
        self.dashboard_url = f"{get_settings().effective_api_url}/ops/rq/"
