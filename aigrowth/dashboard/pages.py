"""Dashboard page. Placeholder until its issue fills it in."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui.components import coming_soon, page_header
from aigrowth.ui.layout import app_shell


@rx.page(route="/dashboard", title="Dashboard · AI Growth Manager")
def dashboard_page() -> rx.Component:
    return app_shell(
        page_header("Dashboard", "Your marketing at a glance"),
        coming_soon(
            "The dashboard",
            "Upcoming posts, recent results and what needs your attention will show here.",
            "layout-dashboard",
        ),
    )
