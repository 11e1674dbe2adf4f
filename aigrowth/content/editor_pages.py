"""The editor screen (/content/<id>): text with a live counter and a true-to-platform
preview, problems, hashtags, AI rewrite, schedule / publish, status, media, variants,
versions and latest figures."""

from __future__ import annotations

import reflex as rx

from aigrowth.content.editor_cards import figures_card, media_card, variants_card, versions_card
from aigrowth.content.editor_preview import preview
from aigrowth.content.editor_state import EditorState
from aigrowth.content.editor_status import mark_dialog, status_panel
from aigrowth.content.widgets import HALF_WIDTH
from aigrowth.shell import app_shell
from aigrowth.ui import theme
from aigrowth.ui.components import (
    action_button,
    confirm_dialog,
    empty_state,
    labelled,
    loading_block,
    page_header,
    platform_badge,
    section_card,
    select_menu,
    status_badge,
    toolbar,
)


def _problems() -> rx.Component:
    return rx.cond(
        EditorState.problems.length() > 0,
        rx.vstack(
            rx.foreach(
                EditorState.problems,
                lambda p: rx.callout(
                    p["message"],
                    icon=rx.cond(p["severity"] == "error", "circle-alert", "info"),
                    color_scheme=rx.cond(p["severity"] == "error", "red", "amber"),
                    size="1",
                    width="100%",
                    class_name="post-problem",
                ),
            ),
            spacing="2",
            width="100%",
            id="post-problems",
        ),
        rx.callout(
            "Ready to publish: no problems found.",
            icon="circle-check",
            color_scheme="green",
            size="1",
            width="100%",
        ),
    )


def _hashtags() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.foreach(
                EditorState.hashtags,
                lambda tag: rx.badge(
                    "#" + tag,
                    rx.icon(
                        "x",
                        size=12,
                        cursor="pointer",
                        on_click=EditorState.remove_tag(tag),
                        aria_label="Remove hashtag",
                    ),
                    variant="soft",
                    size="2",
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.form(
            rx.flex(
                rx.input(
                    placeholder="Add hashtags (Enter)",
                    name="tag",
                    value=EditorState.tag_input,
                    on_change=EditorState.set_tag_input,
                    disabled=~EditorState.editable,
                    width="100%",
                ),
                rx.button("Add", type="submit", variant="soft", disabled=~EditorState.editable),
                spacing="2",
                width="100%",
            ),
            on_submit=EditorState.add_tags,
            reset_on_submit=True,
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _ai_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            action_button(
                "sparkles", "Optimise with AI", variant="soft", disabled=~EditorState.editable
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Optimise with AI"),
            rx.dialog.description(
                "Say what to change. The current text is kept in the version history.",
                size="2",
            ),
            rx.text_area(
                placeholder="e.g. shorter, friendlier, end with a question",
                value=EditorState.ai_feedback,
                on_change=EditorState.set_ai_feedback,
                rows="4",
                margin_y=theme.space(3),
                width="100%",
            ),
            rx.cond(
                EditorState.ai_busy,
                rx.text(
                    "Rewriting… this can take a few seconds.",
                    size="1",
                    color_scheme="gray",
                    margin_bottom=theme.space(2),
                ),
            ),
            rx.flex(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                action_button(
                    "sparkles",
                    "Rewrite",
                    on_click=EditorState.optimise,
                    loading=EditorState.ai_busy,
                ),
                spacing="3",
                justify="end",
            ),
        ),
        open=EditorState.ai_open,
        on_open_change=EditorState.set_ai_open,
    )


def _editor_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            toolbar(
                platform_badge(EditorState.platform),
                status_badge(EditorState.status),
                rx.text(EditorState.when_label, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.cond(
                    EditorState.dirty,
                    rx.badge("Unsaved changes", color_scheme="amber", variant="soft"),
                ),
                spacing="2",
            ),
            status_panel(),
            rx.text_area(
                value=EditorState.text,
                on_change=EditorState.set_text,
                debounce_timeout=200,
                placeholder="Write your post…",
                rows="9",
                resize="vertical",
                disabled=~EditorState.editable,
                id="post-text",
                width="100%",
            ),
            rx.flex(
                rx.text(
                    EditorState.counter_label,
                    size="2",
                    weight="medium",
                    color_scheme=rx.cond(EditorState.over_limit, "red", "gray"),
                    id="post-counter",
                ),
                rx.text(
                    EditorState.remaining_label,
                    size="1",
                    color_scheme=rx.cond(EditorState.over_limit, "red", "gray"),
                ),
                rx.spacer(),
                rx.progress(
                    value=rx.cond(
                        EditorState.limit > 0,
                        (EditorState.count * 100 / EditorState.limit).to(int),
                        0,
                    ),
                    max=100,
                    width="90px",
                    color_scheme=rx.cond(EditorState.over_limit, "red", theme.ACCENT),
                ),
                spacing="2",
                align="center",
                width="100%",
            ),
            _hashtags(),
            toolbar(
                action_button(
                    "save",
                    "Save",
                    on_click=EditorState.save,
                    disabled=~EditorState.dirty,
                    id="save-post",
                ),
                rx.cond(
                    EditorState.dirty,
                    rx.button("Discard", variant="ghost", on_click=EditorState.discard),
                ),
                _ai_dialog(),
                rx.spacer(),
                rx.flex(
                    rx.text("Pillar", size="1", color_scheme="gray"),
                    select_menu(
                        EditorState.pillar,
                        EditorState.set_pillar,
                        EditorState.pillar_options,
                        label="Pillar",
                        placeholder="None",
                        width="auto",
                        disabled=~EditorState.editable,
                    ),
                    spacing="2",
                    align="center",
                ),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _account_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Which account should publish this post?"),
            rx.radio_group.root(
                rx.vstack(
                    rx.foreach(
                        EditorState.account_choices,
                        lambda a: rx.radio_group.item(
                            rx.text(a["name"], " ", rx.text.span(a["handle"], color_scheme="gray")),
                            value=a["id"],
                        ),
                    ),
                    spacing="2",
                ),
                value=EditorState.chosen_account,
                on_change=EditorState.set_chosen_account,
                margin_y=theme.space(4),
            ),
            rx.flex(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button("Use this account", on_click=EditorState.confirm_account),
                spacing="3",
                justify="end",
            ),
        ),
        open=EditorState.choose_open,
        on_open_change=EditorState.set_choose_open,
    )


def _schedule_card() -> rx.Component:
    return section_card(
        "When",
        toolbar(
            labelled(
                "Date",
                rx.input(
                    type="date",
                    value=EditorState.sched_date,
                    on_change=EditorState.set_sched_date,
                    id="schedule-date",
                    width="100%",
                ),
                width=HALF_WIDTH,
            ),
            labelled(
                "Time",
                rx.input(
                    type="time",
                    value=EditorState.sched_time,
                    on_change=EditorState.set_sched_time,
                    id="schedule-time",
                    width="100%",
                ),
                width=HALF_WIDTH,
            ),
            rx.text("Your time zone: ", EditorState.tz, size="1", color_scheme="gray"),
            align="end",
        ),
        rx.cond(
            EditorState.connect_hint != "",
            rx.callout(
                rx.text(
                    EditorState.connect_hint,
                    " ",
                    rx.link("Connect an account →", href="/accounts", weight="bold"),
                ),
                icon="plug",
                color_scheme="amber",
                size="1",
                width="100%",
            ),
        ),
        toolbar(
            action_button(
                "calendar-check",
                rx.cond(EditorState.status == "scheduled", "Reschedule", "Schedule"),
                on_click=EditorState.schedule,
                disabled=~EditorState.editable | (EditorState.blocking_count > 0),
                id="schedule-post",
            ),
            rx.cond(
                (EditorState.status == "scheduled") | (EditorState.status == "failed"),
                rx.button(
                    "Unschedule",
                    variant="soft",
                    on_click=EditorState.unschedule,
                    id="unschedule-post",
                ),
            ),
            action_button(
                "send",
                "Publish now",
                variant="soft",
                color_scheme="green",
                on_click=EditorState.set_confirm_publish_open(True),
                disabled=~EditorState.editable,
            ),
            rx.spacer(),
            action_button(
                "trash-2",
                "Delete",
                variant="ghost",
                color_scheme="red",
                on_click=EditorState.set_confirm_delete_open(True),
            ),
            spacing="2",
        ),
        rx.cond(
            EditorState.blocking_count > 0,
            rx.text(
                "Fix the problems listed with the preview before scheduling.",
                size="1",
                color_scheme="red",
            ),
        ),
        icon="calendar-clock",
    )


def _editor_dialogs() -> rx.Component:
    return rx.fragment(
        _account_dialog(),
        mark_dialog(),
        confirm_dialog(
            "Delete this post?",
            "It is removed with its version history. A post already published stays "
            "on the platform. This cannot be undone.",
            confirm_label="Delete",
            cancel_label="Keep it",
            on_confirm=EditorState.delete,
            open=EditorState.confirm_delete_open,
            on_open_change=EditorState.set_confirm_delete_open,
        ),
        confirm_dialog(
            "Publish this post now?",
            "It goes out to the connected account right away. Unsaved changes are saved first.",
            confirm_label="Publish now",
            cancel_label="Not yet",
            color_scheme="green",
            on_confirm=EditorState.publish_now,
            open=EditorState.confirm_publish_open,
            on_open_change=EditorState.set_confirm_publish_open,
        ),
    )


def _editor_body() -> rx.Component:
    return rx.grid(
        rx.vstack(_editor_card(), _schedule_card(), media_card(), spacing="4", width="100%"),
        rx.vstack(
            rx.cond(EditorState.status == "published", figures_card()),
            preview(),
            rx.cond(EditorState.editable, _problems()),  # only while it can still change
            variants_card(),
            versions_card(),
            spacing="4",
            width="100%",
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


@rx.page(
    route="/content/[content_id]", title="Edit post · AI Growth Manager", on_load=EditorState.load
)
def editor_page() -> rx.Component:
    return app_shell(
        rx.box(
            page_header(
                "Edit post",
                "Live counter and preview use the platform's own rules",
                rx.link(action_button("arrow-left", "Library", variant="soft"), href="/content"),
                rx.link(
                    action_button("calendar-days", "Calendar", variant="soft"), href="/calendar"
                ),
            ),
            rx.cond(
                EditorState.not_found,
                empty_state(
                    "file-question",
                    "This post was not found",
                    "It may have been deleted, or it belongs to another account.",
                    rx.link(rx.button("Back to the library"), href="/content"),
                ),
                rx.cond(
                    EditorState.content_id != "",
                    _editor_body(),
                    loading_block("Opening the post…"),
                ),
            ),
            _editor_dialogs(),
            width="100%",
        )
    )
