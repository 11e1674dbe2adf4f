"""Calendar page. Placeholder until its issue fills it in."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui.components import coming_soon, page_header
from aigrowth.ui.layout import app_shell


@rx.page(route="/calendar", title="Calendar · AI Growth Manager")
def calendar_page() -> rx.Component:
    return app_shell(
        page_header("Calendar", "Month and week views in your time zone"),
        coming_soon(
            "The content calendar",
            "Drag posts to reschedule them, and see the gaps against your strategy's cadence.",
            "calendar-days",
        ),
    )
