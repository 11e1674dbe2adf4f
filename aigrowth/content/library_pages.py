"""The library screen (/content): filters, the page of posts, bulk actions, new post."""

from __future__ import annotations

import reflex as rx

from aigrowth.content.library_state import LibraryState
from aigrowth.content.state_support import ALL, PLATFORM_CHOICES, STATUS_CHOICES
from aigrowth.content.widgets import HALF_WIDTH, job_note
from aigrowth.shell import app_shell
from aigrowth.ui import theme
from aigrowth.ui.components import (
    action_button,
    confirm_dialog,
    empty_state,
    labelled,
    line_clamp,
    loading_block,
    page_header,
    pager,
    platform_badge,
    select_menu,
    status_badge,
    toolbar,
)

STATUS_LABELS = {s: s.replace("_", " ").capitalize() for s in STATUS_CHOICES}
FILTER_WIDTH = ["100%", "auto"]  # full width on phones, natural width from tablets up


def _filter_field(label: str, name: str, value: rx.Var, control, width=HALF_WIDTH) -> rx.Component:
    """A labelled library filter showing ``value`` (LibraryState.<name>), set by set_filter."""
    return labelled(
        label,
        control(value, lambda v: LibraryState.set_filter(name, v), label),
        width=width,
    )


def _filters() -> rx.Component:
    def choose(options, every: str):
        return lambda value, change, label: select_menu(
            value, change, options, label=label, all_option=(ALL, every)
        )

    def day(value, change, label):
        return rx.input(type="date", value=value, on_change=change, aria_label=label, width="100%")

    def search(value, change, label):
        return rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder="Words in the post…",
            value=value,
            on_change=change,
            debounce_timeout=350,
            aria_label=label,
            id="library-search",
            width=["100%", "220px"],
        )

    return toolbar(
        _filter_field("Search", "f_search", LibraryState.f_search, search, width=FILTER_WIDTH),
        _filter_field(
            "Status",
            "f_status",
            LibraryState.f_status,
            choose([(s, STATUS_LABELS[s]) for s in STATUS_CHOICES], "All statuses"),
        ),
        _filter_field(
            "Platform",
            "f_platform",
            LibraryState.f_platform,
            choose([(p, theme.PLATFORM_LABELS[p]) for p in PLATFORM_CHOICES], "All platforms"),
        ),
        _filter_field(
            "Pillar",
            "f_pillar",
            LibraryState.f_pillar,
            choose(LibraryState.pillar_options, "All pillars"),
        ),
        _filter_field("From", "f_from", LibraryState.f_from, day),
        _filter_field("To", "f_to", LibraryState.f_to, day),
        rx.cond(
            LibraryState.filtered,
            action_button(
                "x",
                "Clear",
                variant="ghost",
                on_click=LibraryState.clear_filters,
                align_self="end",
            ),
        ),
        align="end",
    )


def _bulk_button(action: str, icon: str, label: str, **props) -> rx.Component:
    """One bulk action: spins while it runs, the others wait (one bulk run at a time)."""
    return action_button(
        icon,
        label,
        on_click=props.pop("on_click", LibraryState.bulk(action)),
        loading=LibraryState.busy == action,
        disabled=LibraryState.busy != "",
        **props,
    )


def _bulk_bar() -> rx.Component:
    return rx.cond(
        LibraryState.selected_count > 0,
        rx.card(
            toolbar(
                rx.text(LibraryState.selected_count, " selected", weight="bold", size="2"),
                rx.spacer(),
                _bulk_button("schedule", "calendar-check", "Approve & schedule"),
                _bulk_button("unschedule", "calendar-x", "Unschedule", variant="soft"),
                _bulk_button("regenerate", "sparkles", "Regenerate", variant="soft"),
                _bulk_button(
                    "delete",
                    "trash-2",
                    "Delete",
                    on_click=LibraryState.ask_delete,
                    color_scheme="red",
                    variant="soft",
                ),
                spacing="2",
            ),
            width="100%",
            background=rx.color(theme.ACCENT, 2),
        ),
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.checkbox(
                checked=LibraryState.selected.contains(row["id"]),
                on_change=lambda _v: LibraryState.toggle(row["id"]),
                aria_label="Select post",
                margin_top=theme.space(1),
            ),
            rx.link(
                rx.vstack(
                    toolbar(
                        platform_badge(row["platform"]),
                        status_badge(row["status"]),
                        rx.cond(
                            row["pillar"] != "",
                            rx.badge(row["pillar"], variant="outline", color_scheme="gray"),
                        ),
                        rx.cond(
                            row["media_count"] != "0",
                            rx.badge(rx.icon("image", size=12), row["media_count"], variant="soft"),
                        ),
                        rx.spacer(),
                        rx.text(row["when"], size="1", color_scheme="gray"),
                        spacing="2",
                    ),
                    rx.text(
                        rx.cond(row["preview"] != "", row["preview"], "(empty draft)"),
                        size="2",
                        color=rx.color(theme.GRAY, 12),
                        style=line_clamp(2),
                    ),
                    rx.cond(
                        row["error"] != "",
                        rx.text(row["error"], size="1", color_scheme="red"),
                    ),
                    spacing="2",
                    width="100%",
                ),
                href="/content/" + row["id"],
                underline="none",
                color="inherit",
                width="100%",
                min_width="0",
                class_name="library-row",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
        _hover={"background": rx.color(theme.GRAY, 2)},
    )


def _library_empty() -> rx.Component:
    return rx.cond(
        ~LibraryState.has_business,
        empty_state(
            "building-2",
            "Tell us about your business first",
            "Posts are written from your business profile and strategy. Set them up, then "
            "come back to edit and schedule your posts here.",
            rx.link(rx.button("Set up my business"), href="/onboarding"),
        ),
        rx.cond(
            LibraryState.filtered,
            empty_state(
                "search-x",
                "No posts match these filters",
                "Try other words, another status or platform, or clear the filters.",
                rx.button("Clear filters", on_click=LibraryState.clear_filters, variant="soft"),
            ),
            empty_state(
                "file-text",
                "No posts yet",
                "Generate a batch of drafts from your strategy, or write a first post yourself "
                "with “New post” above.",
                rx.link(rx.button("Go to Strategy", variant="soft"), href="/strategy"),
            ),
        ),
    )


def _library_list() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.checkbox(
                "Select this page",
                on_change=LibraryState.toggle_all,
                checked=(LibraryState.selected_count > 0)
                & (LibraryState.selected_count == LibraryState.rows.length()),
                size="1",
            ),
            rx.spacer(),
            rx.text(LibraryState.page_label, size="1", color_scheme="gray"),
            width="100%",
            align="center",
        ),
        rx.foreach(LibraryState.rows, _row),
        rx.cond(
            LibraryState.pages > 1,
            pager(
                LibraryState.page_label,
                on_prev=LibraryState.turn_page(-1),
                on_next=LibraryState.turn_page(1),
                has_prev=LibraryState.page > 1,
                has_next=LibraryState.page < LibraryState.pages,
            ),
        ),
        spacing="3",
        width="100%",
    )


def _new_post() -> rx.Component:
    return rx.flex(
        rx.menu.root(
            rx.menu.trigger(
                rx.button(
                    rx.icon("plus", size=16),
                    "New post",
                    rx.icon("chevron-down", size=14),
                    id="new-post",
                )
            ),
            rx.menu.content(
                rx.text(
                    "Write a post for", size="1", color_scheme="gray", padding_x=theme.space(2)
                ),
                *[
                    rx.menu.item(theme.PLATFORM_LABELS[p], on_select=LibraryState.new_post_on(p))
                    for p in PLATFORM_CHOICES
                ],
            ),
        ),
        rx.link(action_button("calendar-days", "Calendar", variant="soft"), href="/calendar"),
        spacing="2",
        wrap="wrap",
    )


@rx.page(route="/content", title="Content · AI Growth Manager")
def content_page() -> rx.Component:
    return app_shell(
        rx.box(
            page_header(
                "Content", "Every post of your business: filter, edit, schedule", _new_post()
            ),
            rx.vstack(
                _filters(),
                _bulk_bar(),
                rx.cond(
                    LibraryState.busy == "regenerate",
                    job_note(
                        LibraryState.busy_label,
                        "You can keep working; the list refreshes when it is done.",
                        "regenerate-progress",
                    ),
                ),
                rx.cond(
                    LibraryState.loaded,
                    rx.cond(LibraryState.total > 0, _library_list(), _library_empty()),
                    loading_block("Loading your posts…"),
                ),
                spacing="4",
                width="100%",
            ),
            confirm_dialog(
                "Delete the selected posts?",
                "They are removed from your library and calendar, with their version history. "
                "Posts already published stay on the platforms. This cannot be undone.",
                confirm_label="Delete",
                cancel_label="Keep them",
                on_confirm=LibraryState.bulk("delete"),
                open=LibraryState.confirm_delete_open,
                on_open_change=LibraryState.set_confirm_delete_open,
            ),
            on_mount=LibraryState.load,
            width="100%",
        )
    )
