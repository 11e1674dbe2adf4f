"""Theme tokens shared by every page: one accent, one radius, one spacing scale."""

from __future__ import annotations

import reflex as rx

# Platform names and badge colours live with the other platform facts; pages read them here.
from aigrowth.platforms import PLATFORM_COLORS as PLATFORM_COLORS
from aigrowth.platforms import PLATFORM_LABELS as PLATFORM_LABELS

ACCENT = "iris"
GRAY = "slate"
RADIUS = "large"


def space(step: int | str) -> str:
    """A Radix spacing step as CSS (1 = 4px ... 9 = 64px) for style props like padding.

    Style props take CSS values: a bare "4" would be passed through as invalid CSS.
    Layout props that take tokens (`spacing=` on flex/grid/stacks) take "4" directly.
    """
    return f"var(--space-{step})"


# Tokens for `spacing=` (stacks, flex, grid).
GAP_TIGHT = "2"
GAP = "4"
# CSS values for style props.
GAP_SECTION = space(6)
PAGE_PADDING_X = [space(4), space(5), space(6), space(8)]
PAGE_PADDING_Y = [space(4), space(5), space(6)]
CONTENT_MAX_WIDTH = "1200px"
SIDEBAR_WIDTH = "240px"


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
