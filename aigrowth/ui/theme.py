"""Theme tokens shared by every page: one accent, one radius, one spacing scale."""

from __future__ import annotations

import reflex as rx

ACCENT = "iris"
GRAY = "slate"
RADIUS = "large"

# Radix spacing steps used across the app (1 = 4px ... 9 = 64px).
GAP_TIGHT = "2"
GAP = "4"
GAP_SECTION = "6"
PAGE_PADDING_X = ["4", "5", "6", "8"]
PAGE_PADDING_Y = ["4", "5", "6"]
CONTENT_MAX_WIDTH = "1200px"
SIDEBAR_WIDTH = "240px"

PLATFORM_LABELS: dict[str, str] = {
    "x": "X",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "threads": "Threads",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
}

PLATFORM_COLORS: dict[str, str] = {
    "x": "gray",
    "linkedin": "blue",
    "facebook": "indigo",
    "instagram": "pink",
    "threads": "gray",
    "bluesky": "sky",
    "mastodon": "purple",
}

STATUS_COLORS: dict[str, str] = {
    "draft": "gray",
    "scheduled": "blue",
    "publishing": "amber",
    "published": "green",
    "failed": "red",
    "needs_attention": "orange",
}


def app_theme() -> rx.Component:
    return rx.theme(
        accent_color=ACCENT, gray_color=GRAY, radius=RADIUS, has_background=True, scaling="100%"
    )
