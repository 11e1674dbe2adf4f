"""The editor's "Latest figures" for a published post: its newest daily snapshot.

It reads the analytics table; it stays beside the editor until the analytics
capability offers post figures of its own (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypedDict

from sqlmodel import Session, col, select

from aigrowth.analytics.models import AnalyticsSnapshot
from aigrowth.content.access import format_local, get_owned, user_timezone
from aigrowth.platforms import PLATFORM_RULES

# The editor's "Latest figures" for a published post: the newest daily snapshot.
FIGURES = (
    ("impressions", "Impressions"),
    ("reach", "Reach"),
    ("likes", "Likes"),
    ("comments", "Comments"),
    ("shares", "Shares"),
    ("clicks", "Clicks"),
    ("saves", "Saves"),
    ("engagement_rate", "Engagement rate"),
)


class Figure(TypedDict):
    key: str
    label: str
    value: str  # "—" when the platform does not report it
    tip: str  # why it is missing, else ""


@dataclass
class Figures:
    day: str  # the day the figures are for, e.g. "Tue 24 Mar 2026"
    fetched: str  # when they were pulled, in the user's time zone
    metrics: list[Figure]


def latest_figures(
    content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> Figures | None:
    """The post's latest analytics snapshot as the strings the editor shows.

    None when there is none yet (the pull runs daily at 03:00 UTC). A figure the
    platform does not report is NULL in the table and "—" here, with a tooltip saying
    so: it is unknown, not zero."""
    content = get_owned(content_id, user_id=user_id, session=session)
    snap = session.exec(
        select(AnalyticsSnapshot)
        .where(AnalyticsSnapshot.content_id == content.id)
        .order_by(col(AnalyticsSnapshot.day).desc(), col(AnalyticsSnapshot.fetched_at).desc())
    ).first()
    if snap is None:
        return None
    label = PLATFORM_RULES[content.platform].label if content.platform in PLATFORM_RULES else ""
    label = label or content.platform
    metrics: list[Figure] = []
    for key, name in FIGURES:
        value = getattr(snap, key)
        tip = ""
        if value is None:
            shown = "—"
            tip = (
                f"No engagement rate: {label} reports neither impressions nor reach"
                if key == "engagement_rate"
                else f"{label} does not report {name.lower()}"
            )
        elif key == "engagement_rate":
            shown = f"{value:.1%}"
        else:
            shown = f"{int(value):,}"
        metrics.append(Figure(key=key, label=name, value=shown, tip=tip))
    return Figures(
        day=snap.day.strftime("%a %d %b %Y"),
        fetched=format_local(snap.fetched_at, user_timezone(user_id, session=session)),
        metrics=metrics,
    )
