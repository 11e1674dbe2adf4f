"""The sign-in guard around every signed-in page and the account menu in the top bar.

Registered in aigrowth/shell.py (PAGE_GUARDS / HEADER_WIDGETS), so every page built
with `app_shell` requires a session without touching the page modules. Must not import
aigrowth.shell (the shell imports this module).
"""

from __future__ import annotations

import reflex as rx

from aigrowth.accounts.state import AuthState


def _checking() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.spinner(size="3"),
            rx.text("Checking your session…", size="2", color_scheme="gray"),
            align="center",
            spacing="3",
        ),
        min_height="100vh",
        width="100%",
    )


def require_login_guard(page: rx.Component) -> rx.Component:
    """Show the page only once the server confirmed the session; otherwise the
    `require_login` event redirects to /login?next=<this page>."""
    return rx.box(
        rx.cond(AuthState.signed_in, page, _checking()),
        on_mount=AuthState.require_login,
        width="100%",
    )


def user_menu() -> rx.Component:
    """Avatar button → name/email, Settings, Sign out."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=AuthState.initials, size="2", radius="full"),
                rx.text(
                    AuthState.display_name,
                    size="2",
                    weight="medium",
                    display=["none", "none", "block"],
                    max_width="160px",
                    overflow="hidden",
                    text_overflow="ellipsis",
                    white_space="nowrap",
                ),
                rx.box(rx.icon("chevron-down", size=14), display=["none", "none", "block"]),
                variant="ghost",
                color_scheme="gray",
                aria_label="Account menu",
                id="user-menu",
                style={"padding": "4px 6px", "height": "auto"},
            )
        ),
        rx.menu.content(
            rx.box(
                rx.text(AuthState.display_name, size="2", weight="bold", trim="both"),
                rx.text(AuthState.user_email, size="1", color_scheme="gray"),
                padding_x="var(--space-3)",
                padding_y="var(--space-2)",
                max_width="260px",
                overflow_wrap="anywhere",
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.hstack(rx.icon("settings", size=16), rx.text("Settings"), spacing="2"),
                on_select=rx.redirect("/settings"),
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.hstack(rx.icon("log-out", size=16), rx.text("Sign out"), spacing="2"),
                on_select=AuthState.sign_out,
                color_scheme="red",
                id="sign-out",
            ),
            align="end",
            min_width="220px",
        ),
    )
