"""The business switcher in the top bar (registered in aigrowth/shell.py).

Must not import aigrowth.shell (the shell imports this module).
"""

from __future__ import annotations

import reflex as rx

from aigrowth.businesses.state import BusinessState


def _option(option: rx.Var) -> rx.Component:
    return rx.menu.item(
        rx.hstack(
            rx.cond(
                option["id"] == BusinessState.current_id,
                rx.icon("check", size=14),
                rx.box(width="14px"),
            ),
            rx.text(option["name"], max_width="220px", overflow="hidden", text_overflow="ellipsis"),
            rx.cond(option["done"] == "", rx.badge("setup", size="1", variant="soft")),
            spacing="2",
            align="center",
        ),
        on_select=BusinessState.switch(option["id"]),
    )


def business_switcher() -> rx.Component:
    return rx.box(
        rx.cond(
            BusinessState.current_id != "",
            rx.menu.root(
                rx.menu.trigger(
                    rx.button(
                        rx.icon("building-2", size=16),
                        rx.text(
                            BusinessState.current_name,
                            size="2",
                            max_width=["90px", "160px", "200px"],
                            overflow="hidden",
                            text_overflow="ellipsis",
                            white_space="nowrap",
                        ),
                        rx.icon("chevrons-up-down", size=14),
                        variant="soft",
                        color_scheme="gray",
                        aria_label="Switch business",
                        id="business-switcher",
                    )
                ),
                rx.menu.content(
                    rx.text("Your businesses", size="1", color_scheme="gray", padding_x="2"),
                    rx.foreach(BusinessState.options, _option),
                    rx.menu.separator(),
                    rx.menu.item(
                        rx.hstack(rx.icon("pencil", size=14), rx.text("Edit profile"), spacing="2"),
                        on_select=rx.redirect("/onboarding"),
                    ),
                    rx.menu.item(
                        rx.hstack(rx.icon("plus", size=14), rx.text("New business"), spacing="2"),
                        on_select=rx.redirect("/onboarding?new=1"),
                    ),
                ),
            ),
            rx.cond(
                BusinessState.loaded,
                rx.link(
                    rx.button(rx.icon("plus", size=14), "Add your business", size="2"),
                    href="/onboarding",
                ),
            ),
        ),
        on_mount=BusinessState.load,
    )
