"""What the content studio's three screens (library, editor, calendar) share in their
Reflex states: the signed-in user and current business, and following a background
job's progress (fill the gaps, bulk rewrite) with a toast at the end."""

from __future__ import annotations

import asyncio
import uuid

import reflex as rx

from aigrowth import platforms as rules
from aigrowth.accounts.state import session_user_id
from aigrowth.ai import progress
from aigrowth.businesses.state import current_business_id
from aigrowth.content import jobs as content_jobs
from aigrowth.content.models import ContentStatus

JOB_POLL_S = 1.0  # how often a page reads the progress of a fill / regenerate run
ALL = "all"
PLATFORM_CHOICES = list(rules.PLATFORM_RULES)
STATUS_CHOICES = [s.value for s in ContentStatus]


async def context(state: rx.State) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(user id, current business id); (None, None) when signed out.

    The business is the one picked in the header switcher (cookie-backed, owner-checked),
    so the library, editor and calendar always agree with the header.
    """
    uid = session_user_id(state)
    if uid is None:
        return None, None
    return uid, await current_business_id(state)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def progress_label(record: dict) -> str:
    """ "Writing drafts (5/8)": the job's message with its count, for the page."""
    message = record.get("message") or "Working…"
    done, total = int(record.get("done") or 0), int(record.get("total") or 0)
    return f"{message} ({done}/{total})" if total else message


async def follow_job(state: rx.State, kind: str, show) -> tuple[dict, bool]:
    """Poll a content job's progress record until it ends: (final record, still ours).

    ``show(record)`` runs under the state lock after each read (labels). A newer
    follower (another click, a reload) takes over: this one then stops, not ours.
    Also stops when the user switches business, or after the job's own time limit."""
    token = uuid.uuid4().hex
    async with state:
        _uid, bid = await context(state)
        state._follow_token = token
    record: dict = {}
    for _ in range(int(content_jobs.JOB_TIMEOUT_S / JOB_POLL_S) if bid else 0):
        await asyncio.sleep(JOB_POLL_S)
        record = await asyncio.to_thread(content_jobs.status, bid, kind)
        async with state:
            if state._follow_token != token:
                return record, False
            if (await context(state))[1] != bid:
                return {}, True
            show(record)
        if not progress.is_running(record):
            return record, True
    return record, True


def job_toast(record: dict, *, partial: bool = False):
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
