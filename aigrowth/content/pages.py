"""Content page. Placeholder until its issue fills it in."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui.components import coming_soon, page_header
from aigrowth.ui.layout import app_shell


@rx.page(route="/content", title="Content · AI Growth Manager")
def content_page() -> rx.Component:
    return app_shell(
        page_header("Content", "Every post of your business, in one library"),
        coming_soon(
            "The content studio",
            "Generate, edit and preview posts exactly as they will look on each platform.",
            "file-text",
        ),
    )
