"""Shared page pieces with no capability in them: the public shell (landing, sign-in)
and the light/dark toggle. The signed-in shell is aigrowth/shell.py."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui import theme
from aigrowth.ui.components import logo


def color_mode_toggle() -> rx.Component:
    return rx.tooltip(
        rx.icon_button(
            rx.color_mode_cond(light=rx.icon("moon", size=18), dark=rx.icon("sun", size=18)),
            on_click=rx.toggle_color_mode,
            variant="ghost",
            color_scheme="gray",
            aria_label="Toggle dark mode",
        ),
        content="Toggle light/dark",
    )


def public_shell(*children: rx.Component) -> rx.Component:
    """Landing and auth pages: a slim header and centered content."""
    return rx.box(
        rx.flex(
            rx.link(logo(), href="/", underline="none", color="inherit"),
            rx.spacer(),
            rx.hstack(
                color_mode_toggle(),
                rx.box(
                    rx.link(rx.button("Sign in", variant="soft"), href="/login"),
                    display=["none", "block"],
                ),
                rx.link(rx.button("Get started"), href="/signup"),
                spacing="3",
                align="center",
            ),
            align="center",
            padding_x=theme.PAGE_PADDING_X,
            padding_y=theme.space(4),
            max_width=theme.CONTENT_MAX_WIDTH,
            margin_x="auto",
            width="100%",
        ),
        *children,
        width="100%",
        min_height="100vh",
    )
