"""The bell in the top bar (registered in aigrowth/shell.py HEADER_WIDGETS).

Must not import aigrowth.shell (the shell imports this module).
"""

from __future__ import annotations

import reflex as rx

from aigrowth.notifications.state import NoteItem, NotificationState
from aigrowth.ui.theme import space


def _bell_row(note: NoteItem) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.cond(
                note["unread"],
                rx.box(
                    width="8px",
                    height="8px",
                    min_width="8px",
                    border_radius="50%",
                    background="var(--red-9)",
                    margin_top="6px",
                ),
                rx.box(width="8px", min_width="8px", height="8px"),
            ),
            rx.vstack(
                rx.text(note["title"], size="2", weight=rx.cond(note["unread"], "bold", "regular")),
                rx.text(note["created_at"], size="1", color_scheme="gray"),
                spacing="0",
                align="start",
                min_width="0",
            ),
            spacing="2",
            align="start",
        ),
        on_click=NotificationState.open_item(note["id"], note["link"]),
        cursor="pointer",
        padding=space(2),
        border_radius="var(--radius-2)",
        _hover={"background": "var(--gray-a3)"},
        width="100%",
        class_name="notification-item",
    )


def notification_bell() -> rx.Component:
    badge = rx.cond(
        NotificationState.unread > 0,
        # On the bell's top-right corner, never over the bell itself; clicks go
        # through to the button.
        rx.badge(
            NotificationState.unread_label,
            color_scheme="red",
            variant="solid",
            radius="full",
            size="1",
            position="absolute",
            top="-2px",
            right="-2px",
            min_width="16px",
            height="16px",
            padding="0 4px",
            justify_content="center",
            font_size="10px",
            line_height="16px",
            pointer_events="none",
            aria_hidden="true",
            id="notification-count",
        ),
    )
    return rx.popover.root(
        rx.popover.trigger(
            rx.box(
                rx.icon_button(
                    rx.icon("bell", size=18),
                    variant="soft",
                    color_scheme="gray",
                    radius="full",
                    size="2",
                    aria_label=rx.cond(
                        NotificationState.unread > 0,
                        "Notifications, " + NotificationState.unread_label + " unread",
                        "Notifications",
                    ),
                    id="notification-bell",
                    cursor="pointer",
                ),
                badge,
                position="relative",
                display="inline-flex",
                margin_right=space(1),
                on_mount=NotificationState.load_bell,
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.hstack(
                    rx.text("Notifications", weight="bold", size="3"),
                    rx.spacer(),
                    rx.cond(
                        NotificationState.unread > 0,
                        rx.button(
                            "Mark all read",
                            size="1",
                            variant="ghost",
                            on_click=NotificationState.mark_all_read,
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
                rx.cond(
                    NotificationState.recent.length() > 0,
                    rx.vstack(
                        rx.foreach(NotificationState.recent, _bell_row), spacing="1", width="100%"
                    ),
                    rx.text(
                        "Nothing new. We'll tell you here if a post fails or an account needs you.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                rx.link("See all notifications", href="/notifications", size="2"),
                spacing="3",
                width="100%",
            ),
            width="min(340px, 92vw)",
        ),
        on_open_change=lambda _open: NotificationState.load_bell,
    )
