"""Accounts page. Placeholder until its issue fills it in."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui.components import coming_soon, page_header
from aigrowth.ui.layout import app_shell


@rx.page(route="/accounts", title="Accounts · AI Growth Manager")
def accounts_page() -> rx.Component:
    return app_shell(
        page_header("Accounts", "Your connected social accounts"),
        coming_soon(
            "Social accounts",
            "Connect LinkedIn, X, Facebook, Instagram, Threads, Bluesky and Mastodon to publish.",
            "share-2",
        ),
    )
