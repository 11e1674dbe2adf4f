"""/notifications: every notification of the signed-in user, newest first, paged."""

from __future__ import annotations

import reflex as rx

from aigrowth.notifications.state import NoteItem, NotificationState
from aigrowth.shell import app_shell
from aigrowth.ui.components import empty_state, page_header


def _row(note: NoteItem) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(note["title"], weight="bold", size="3"),
                    rx.cond(
                        note["unread"],
                        rx.badge("New", color_scheme="red", variant="soft"),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(note["body"], size="2", white_space="pre-wrap", color_scheme="gray"),
                rx.text(note["created_at"], size="1", color_scheme="gray"),
                spacing="1",
                align="start",
                width="100%",
                min_width="0",
            ),
            rx.cond(
                note["link"] != "",
                rx.button(
                    rx.cond(
                        note["link"].to(str).startswith("/content/"),
                        "Open post",
                        rx.cond(note["link"] == "/accounts", "Reconnect", "Open"),
                    ),
                    size="2",
                    variant="soft",
                    on_click=NotificationState.open_item(note["id"], note["link"]),
                    flex_shrink="0",
                ),
            ),
            spacing="3",
            align="start",
            direction={"initial": "column", "sm": "row"},
            width="100%",
        ),
        width="100%",
        class_name="notification-row",
        background=rx.cond(note["unread"], "var(--accent-a2)", "transparent"),
    )


@rx.page(
    route="/notifications",
    title="Notifications · AI Growth Manager",
    on_load=NotificationState.first_page,
)
def notifications_page() -> rx.Component:
    return app_shell(
        page_header(
            "Notifications",
            "Failed posts and accounts that need reconnecting",
            rx.cond(
                NotificationState.unread > 0,
                rx.button(
                    "Mark all read", variant="soft", on_click=NotificationState.mark_all_read
                ),
            ),
        ),
        rx.cond(
            NotificationState.items.length() > 0,
            rx.vstack(
                rx.foreach(NotificationState.items, _row),
                rx.cond(
                    (NotificationState.page > 0) | NotificationState.has_more,
                    rx.hstack(
                        rx.button(
                            "Newer",
                            variant="soft",
                            disabled=NotificationState.page == 0,
                            on_click=NotificationState.prev_page,
                        ),
                        rx.button(
                            "Older",
                            variant="soft",
                            disabled=~NotificationState.has_more,
                            on_click=NotificationState.next_page,
                        ),
                        justify="end",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            empty_state(
                "bell",
                "No notifications",
                "When a post fails or an account needs reconnecting, it shows here and by email.",
            ),
        ),
    )
