"""Analytics page. Placeholder until its issue fills it in."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui.components import coming_soon, page_header
from aigrowth.ui.layout import app_shell


@rx.page(route="/analytics", title="Analytics · AI Growth Manager")
def analytics_page() -> rx.Component:
    return app_shell(
        page_header("Analytics", "What works, per post, pillar and platform"),
        coming_soon(
            "Analytics",
            "Results are pulled from every platform daily once your posts are published.",
            "chart-line",
        ),
    )
