"""Small building blocks every page uses, so pages look alike."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui import theme


def logo_mark() -> rx.Component:
    return rx.center(
        rx.icon("sprout", size=18, color="white"),
        width="28px",
        height="28px",
        min_width="28px",
        border_radius="8px",
        background=rx.color(theme.ACCENT, 9),
    )


def logo(size: str = "4") -> rx.Component:
    return rx.hstack(
        logo_mark(),
        rx.text("AI Growth Manager", weight="bold", size=size, white_space="nowrap"),
        align="center",
        spacing="2",
    )


def page_header(title: str, subtitle: str = "", *actions: rx.Component) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="7", weight="bold"),
            rx.cond(subtitle != "", rx.text(subtitle, color_scheme="gray", size="3")),
            spacing="1",
            align="start",
        ),
        rx.hstack(*actions, spacing="2", wrap="wrap"),
        justify="between",
        align="end",
        wrap="wrap",
        spacing="3",
        width="100%",
        margin_bottom=theme.GAP_SECTION,
    )


def empty_state(
    icon: str, title: str, text: str, action: rx.Component | None = None
) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=28, color=rx.color(theme.ACCENT, 11)),
                width="56px",
                height="56px",
                border_radius="50%",
                background=rx.color(theme.ACCENT, 3),
            ),
            rx.heading(title, size="5", text_align="center"),
            rx.text(text, color_scheme="gray", text_align="center", max_width="460px"),
            action if action is not None else rx.fragment(),
            align="center",
            spacing="3",
            padding_y=theme.space(7),
            padding_x=theme.space(4),
        ),
        width="100%",
    )


def coming_soon(feature: str, description: str, icon: str) -> rx.Component:
    """Placeholder for a section another issue fills in: says what will be here."""
    return empty_state(
        icon,
        f"{feature} is coming soon",
        description,
        rx.badge("In development", color_scheme="gray", variant="soft"),
    )


def platform_badge(platform: rx.Var | str) -> rx.Component:
    return rx.badge(
        rx.match(platform, *theme.PLATFORM_LABELS.items(), platform),
        color_scheme=rx.match(platform, *theme.PLATFORM_COLORS.items(), "gray"),
        variant="soft",
    )


def status_badge(status: rx.Var | str) -> rx.Component:
    return rx.badge(
        rx.match(status, ("needs_attention", "needs attention"), status),
        color_scheme=rx.match(status, *theme.STATUS_COLORS.items(), "gray"),
        variant="surface",
    )
