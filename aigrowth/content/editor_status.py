"""The editor's status panel (publishing, published, failed, needs attention) and the
"It's published" dialog."""

from __future__ import annotations

import reflex as rx

from aigrowth.content.editor_state import EditorState
from aigrowth.ui import theme
from aigrowth.ui.components import (
    action_button,
)


def _status_callout(icon: rx.Component, *children: rx.Component, color: str) -> rx.Component:
    """One live-status message of the editor: icon, words, then its actions."""
    return rx.callout.root(
        rx.callout.icon(icon),
        rx.vstack(*children, spacing="2", width="100%", align="start"),
        color_scheme=color,
        size="1",
        width="100%",
        id="publish-status",
        role="status",
    )


def status_panel() -> rx.Component:
    """Where the post stands with the publisher; follows it live (EditorState.watch)."""
    locked = rx.text("It can no longer be edited.", size="1", color_scheme="gray")
    return rx.match(
        EditorState.status,
        (
            "publishing",
            _status_callout(
                rx.spinner(size="1"),
                rx.text(
                    "Publishing… sending it to ",
                    EditorState.platform_label,
                    ". This page updates by itself.",
                    size="2",
                    weight="medium",
                ),
                locked,
                color=theme.STATUS_COLORS["publishing"],
            ),
        ),
        (
            "published",
            _status_callout(
                rx.icon("circle-check", size=16),
                rx.text(
                    "Published",
                    rx.cond(
                        EditorState.published_label != "", " " + EditorState.published_label, ""
                    ),
                    ".",
                    size="2",
                    weight="medium",
                ),
                rx.cond(
                    EditorState.remote_url != "",
                    rx.link(
                        "View on ",
                        EditorState.platform_label,
                        rx.icon("external-link", size=12),
                        href=EditorState.remote_url,
                        is_external=True,
                        display="inline-flex",
                        align_items="center",
                        gap=theme.space(1),
                        size="2",
                        weight="bold",
                        id="view-on-platform",
                    ),
                ),
                locked,
                color=theme.STATUS_COLORS["published"],
            ),
        ),
        (
            "failed",
            _status_callout(
                rx.icon("circle-x", size=16),
                rx.text("Publishing failed: ", EditorState.status_note, size="2"),
                rx.flex(
                    action_button(
                        "rotate-cw", "Retry", size="1", on_click=EditorState.retry, id="retry-post"
                    ),
                    rx.text(
                        "or fix the post and schedule it again.", size="1", color_scheme="gray"
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                color=theme.STATUS_COLORS["failed"],
            ),
        ),
        (
            "needs_attention",
            _status_callout(
                rx.icon("circle-alert", size=16),
                rx.text(EditorState.status_note, size="2"),
                rx.flex(
                    action_button(
                        "search-check",
                        "Check again",
                        size="1",
                        on_click=EditorState.retry,
                        id="check-again",
                    ),
                    action_button(
                        "circle-check",
                        "It's published",
                        size="1",
                        variant="soft",
                        on_click=EditorState.set_mark_open(True),
                        id="mark-published",
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                locked,
                color=theme.STATUS_COLORS["needs_attention"],
            ),
        ),
        rx.cond(
            (EditorState.status == "scheduled") & EditorState.watching,
            rx.flex(
                rx.spinner(size="1"),
                rx.text(
                    "Goes out within a minute. This page updates by itself.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
                align="center",
            ),
        ),
    )


def mark_dialog() -> rx.Component:
    """ "It's published": optionally the link, so "View on …" works afterwards."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Is this post on your profile?"),
            rx.dialog.description(
                "Then we mark it published and never try to post it again. Paste its link "
                "if you have it (optional).",
                size="2",
            ),
            rx.input(
                value=EditorState.mark_url,
                on_change=EditorState.set_mark_url,
                placeholder="https://…",
                aria_label="Link to the post (optional)",
                id="mark-url",
                width="100%",
                margin_y=theme.space(4),
            ),
            rx.flex(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(
                    "Mark as published",
                    color_scheme="green",
                    on_click=EditorState.mark_published,
                ),
                spacing="3",
                justify="end",
            ),
        ),
        open=EditorState.mark_open,
        on_open_change=EditorState.set_mark_open,
    )
