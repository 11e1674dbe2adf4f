"""The signed-in app shell: sidebar, top bar and content column around every page.

It sits beside the page registry (aigrowth/pages.py), above the capabilities, because
it places their widgets (business switcher, bell, account menu) and their guard
(sign-in required); aigrowth/ui/ stays a base layer that imports no capability.
Desktop shows a fixed sidebar; at phone width the sidebar turns into a top bar with a
drawer, so every page works from 360px up.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from aigrowth.accounts.state import AuthState
from aigrowth.accounts.widgets import require_login_guard, user_menu
from aigrowth.businesses.widgets import business_switcher
from aigrowth.notifications.widgets import notification_bell
from aigrowth.ui import theme
from aigrowth.ui.components import logo, logo_mark
from aigrowth.ui.layout import color_mode_toggle
from aigrowth.ui.nav import NAV_ITEMS, NavItem

# Extra components placed in the top-right of the signed-in shell (e.g. the account
# menu or the notification bell). Capabilities register theirs at import time.
HEADER_WIDGETS: list[Callable[[], rx.Component]] = [
    business_switcher,
    notification_bell,
    user_menu,
]


# Called around every signed-in page, e.g. to require a session (accounts capability).
PAGE_GUARDS: list[Callable[[rx.Component], rx.Component]] = [require_login_guard]


def _nav_link(item: NavItem) -> rx.Component:
    active = rx.State.router.url.path.startswith(item.route)
    return rx.link(
        rx.hstack(
            rx.icon(item.icon, size=18),
            rx.text(item.label, size="3", weight=rx.cond(active, "bold", "regular")),
            spacing="3",
            align="center",
            padding_x=theme.space(3),
            padding_y=theme.space(2),
            border_radius="8px",
            width="100%",
            background=rx.cond(active, rx.color(theme.ACCENT, 4), "transparent"),
            color=rx.cond(active, rx.color(theme.ACCENT, 11), rx.color(theme.GRAY, 11)),
            _hover={"background": rx.color(theme.ACCENT, 3)},
        ),
        href=item.route,
        underline="none",
        width="100%",
    )


def _nav_entry(item: NavItem) -> rx.Component:
    if item.admin_only:
        # Display only: the /ops page and its routes check the admin flag server-side.
        return rx.cond(AuthState.is_admin, _nav_link(item))
    return _nav_link(item)


def _nav_list() -> rx.Component:
    return rx.vstack(*[_nav_entry(item) for item in NAV_ITEMS], spacing="1", width="100%")


def _sidebar() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.link(logo(), href="/dashboard", underline="none", color="inherit"),
            rx.divider(),
            _nav_list(),
            rx.spacer(),
            rx.hstack(color_mode_toggle(), justify="end", width="100%"),
            spacing="4",
            height="100%",
            padding=theme.space(4),
        ),
        display=["none", "none", "block"],
        position="fixed",
        top="0",
        left="0",
        height="100vh",
        width=theme.SIDEBAR_WIDTH,
        border_right=f"1px solid {rx.color(theme.GRAY, 5)}",
        background=rx.color(theme.GRAY, 2),
        z_index="10",
    )


def _mobile_drawer() -> rx.Component:
    return rx.drawer.root(
        rx.drawer.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", aria_label="Open menu")),
        rx.drawer.overlay(z_index="40"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        logo("3"),
                        rx.drawer.close(
                            rx.icon_button(rx.icon("x"), variant="ghost", aria_label="Close")
                        ),
                        justify="between",
                        width="100%",
                    ),
                    rx.drawer.close(_nav_list()),
                    spacing="4",
                    padding=theme.space(4),
                    width="100%",
                ),
                top="0",
                left="0",
                height="100%",
                width="80%",
                max_width="300px",
                background=rx.color(theme.GRAY, 2),
                z_index="50",
            )
        ),
        direction="left",
    )


def _top_bar() -> rx.Component:
    return rx.flex(
        rx.box(_mobile_drawer(), display=["block", "block", "none"]),
        # Phones get the mark only: the header widgets need the width.
        rx.box(logo_mark(), display=["block", "none", "none"]),
        rx.box(logo("3"), display=["none", "block", "none"]),
        rx.spacer(),
        rx.hstack(
            *[widget() for widget in HEADER_WIDGETS],
            rx.box(color_mode_toggle(), display=["block", "block", "none"]),
            spacing=rx.breakpoints(initial="2", sm="3"),
            align="center",
        ),
        align="center",
        spacing="3",
        padding_x=theme.PAGE_PADDING_X,
        padding_y=theme.space(3),
        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
        position="sticky",
        top="0",
        background=rx.color(theme.GRAY, 1),
        z_index="5",
        width="100%",
    )


def app_shell(*children: rx.Component) -> rx.Component:
    """The signed-in layout: sidebar + top bar + centered content column."""
    page = rx.box(
        _sidebar(),
        rx.box(
            _top_bar(),
            rx.box(
                *children,
                max_width=theme.CONTENT_MAX_WIDTH,
                margin_x="auto",
                padding_x=theme.PAGE_PADDING_X,
                padding_y=theme.PAGE_PADDING_Y,
                width="100%",
            ),
            margin_left=["0", "0", theme.SIDEBAR_WIDTH],
            min_height="100vh",
        ),
        width="100%",
    )
    for guard in PAGE_GUARDS:
        page = guard(page)
    return page
