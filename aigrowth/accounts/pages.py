"""Settings page. Placeholder until its issue fills it in."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui.components import coming_soon, page_header
from aigrowth.ui.layout import app_shell


@rx.page(route="/settings", title="Settings · AI Growth Manager")
def settings_page() -> rx.Component:
    return app_shell(
        page_header("Settings", "Your profile, time zone and security"),
        coming_soon(
            "Settings",
            "Profile, time zone, password and sessions will be managed here.",
            "settings",
        ),
    )
