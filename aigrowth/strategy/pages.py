"""Strategy page. Placeholder until its issue fills it in."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui.components import coming_soon, page_header
from aigrowth.ui.layout import app_shell


@rx.page(route="/strategy", title="Strategy · AI Growth Manager")
def strategy_page() -> rx.Component:
    return app_shell(
        page_header("Strategy", "Platforms, pillars, cadence, tone and KPIs"),
        coming_soon(
            "Your marketing strategy",
            "Describe your business and the AI writes a strategy: which platforms, what to talk about, how often and how to measure it.",
            "compass",
        ),
    )
