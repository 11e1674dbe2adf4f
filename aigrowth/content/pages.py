"""Content studio pages: the post library (/content) and the editor (/content/[content_id])."""

from __future__ import annotations

import reflex as rx

from aigrowth.content.state import ALL, PLATFORM_CHOICES, STATUS_CHOICES, EditorState, LibraryState
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
    platform_name,
    section_card,
    select_menu,
    status_badge,
    toolbar,
)
from aigrowth.ui.layout import app_shell

STATUS_LABELS = {s: s.replace("_", " ").capitalize() for s in STATUS_CHOICES}
FILTER_WIDTH = ["100%", "auto"]  # full width on phones, natural width from tablets up
# Phones: filters two to a row (toolbar gap is space 3) so the posts start higher up.
HALF_WIDTH = [f"calc(50% - {theme.space(3)} / 2)", "auto"]


def _filter_field(label: str, name: str, control, width=HALF_WIDTH) -> rx.Component:
    """A labelled library filter bound to LibraryState.<name> via set_filter."""
    return labelled(
        label,
        control(getattr(LibraryState, name), lambda v: LibraryState.set_filter(name, v), label),
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
        _filter_field("Search", "f_search", search, width=FILTER_WIDTH),
        _filter_field(
            "Status",
            "f_status",
            choose([(s, STATUS_LABELS[s]) for s in STATUS_CHOICES], "All statuses"),
        ),
        _filter_field(
            "Platform",
            "f_platform",
            choose([(p, theme.PLATFORM_LABELS[p]) for p in PLATFORM_CHOICES], "All platforms"),
        ),
        _filter_field("Pillar", "f_pillar", choose(LibraryState.pillar_options, "All pillars")),
        _filter_field("From", "f_from", day),
        _filter_field("To", "f_to", day),
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


def job_note(label: rx.Var, hint: str, note_id: str) -> rx.Component:
    """A running background job (AI rewrite, fill the gaps): spinner, progress, reassurance."""
    return rx.callout.root(
        rx.callout.icon(rx.spinner(size="1")),
        rx.callout.text(rx.text.span(label, weight="medium"), " · ", hint),
        color_scheme=theme.ACCENT,
        size="1",
        width="100%",
        role="status",
        id=note_id,
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


# ============================================================================ editor
LINK_COLORS = {
    "x": "#1d9bf0",
    "linkedin": "#0a66c2",
    "facebook": "#0866ff",
    "instagram": "#4f5bd5",
    "threads": "#0095f6",
    "bluesky": "#1083fe",
    "mastodon": "#6364ff",
}


def _segment(seg: rx.Var) -> rx.Component:
    link_color = rx.match(EditorState.platform, *LINK_COLORS.items(), "#1d9bf0")
    return rx.text.span(
        seg["text"],
        color=rx.cond(seg["kind"] == "text", "inherit", link_color),
        font_weight=rx.cond(
            (seg["kind"] == "mention") & (EditorState.platform == "linkedin"), "600", "inherit"
        ),
        class_name="seg-" + seg["kind"].to(str),
    )


def _avatar() -> rx.Component:
    return rx.center(
        rx.text(EditorState.author_name[:1].upper(), weight="bold", color="white", size="3"),
        width="40px",
        height="40px",
        min_width="40px",
        border_radius="50%",
        background=rx.match(
            EditorState.platform,
            ("linkedin", "#0a66c2"),
            ("instagram", "linear-gradient(45deg,#f09433,#dc2743,#bc1888)"),
            ("bluesky", "#1083fe"),
            ("mastodon", "#6364ff"),
            ("facebook", "#0866ff"),
            "#333",
        ),
    )


def _preview_media() -> rx.Component:
    return rx.cond(
        EditorState.media.length() > 0,
        rx.grid(
            rx.foreach(
                EditorState.media,
                lambda m: rx.image(
                    src=m["url"],
                    alt=m["alt"],
                    width="100%",
                    height="160px",
                    object_fit="cover",
                    border_radius="10px",
                ),
            ),
            columns=rx.cond(EditorState.media.length() > 1, "2", "1"),
            spacing="1",
            width="100%",
        ),
        rx.cond(
            EditorState.platform == "instagram",
            rx.center(
                rx.vstack(
                    rx.icon("image-off", size=28),
                    rx.text("Instagram needs an image", size="2"),
                    align="center",
                ),
                height="200px",
                width="100%",
                border_radius="8px",
                background=rx.color(theme.GRAY, 4),
                color=rx.color(theme.GRAY, 11),
            ),
        ),
    )


def _small_link(label: str, **props) -> rx.Component:
    return rx.link(
        label,
        on_click=EditorState.toggle_expanded,
        color=rx.color(theme.GRAY, 11),
        cursor="pointer",
        **props,
    )


def _preview_text() -> rx.Component:
    return rx.box(
        rx.foreach(
            EditorState.preview_lines,
            lambda line: rx.box(
                rx.foreach(line, _segment),
                white_space="pre-wrap",
                word_break="break-word",
                min_height="1.4em",
            ),
        ),
        rx.cond(
            EditorState.folded,
            _small_link("…see more", weight="medium", id="see-more"),
            rx.cond(EditorState.expanded, _small_link("see less", size="1")),
        ),
        font_size=rx.match(EditorState.platform, ("x", "15px"), ("linkedin", "14px"), "15px"),
        line_height="1.4",
        id="post-preview-text",
        width="100%",
    )


def _actions(*items: tuple[str, str]) -> rx.Component:
    return rx.flex(
        *[
            rx.flex(rx.icon(icon, size=14), rx.text(label, size="1"), spacing="1", align="center")
            for icon, label in items
        ],
        justify="between",
        width="100%",
    )


def _preview() -> rx.Component:
    handle_shown = rx.Var.create(["x", "bluesky", "mastodon", "threads"]).contains(
        EditorState.platform
    )
    header = rx.flex(
        _avatar(),
        rx.vstack(
            rx.flex(
                rx.text(EditorState.author_name, weight="bold", size="2"),
                rx.cond(
                    handle_shown,
                    rx.text(EditorState.author_handle, size="2", color_scheme="gray"),
                ),
                spacing="1",
                wrap="wrap",
            ),
            rx.cond(
                (EditorState.platform == "linkedin") | (EditorState.platform == "facebook"),
                rx.flex(
                    rx.text("Just now ·", size="1", color_scheme="gray"),
                    rx.icon("globe", size=11),
                    spacing="1",
                    align="center",
                ),
            ),
            spacing="0",
        ),
        spacing="2",
        align="center",
    )
    footer = rx.flex(
        rx.match(
            EditorState.platform,
            (
                "linkedin",
                _actions(
                    ("thumbs-up", "Like"),
                    ("message-square", "Comment"),
                    ("repeat-2", "Repost"),
                    ("send", "Send"),
                ),
            ),
            (
                "facebook",
                _actions(
                    ("thumbs-up", "Like"), ("message-circle", "Comment"), ("share-2", "Share")
                ),
            ),
            (
                "instagram",
                rx.flex(
                    rx.icon("heart", size=18),
                    rx.icon("message-circle", size=18),
                    rx.icon("send", size=18),
                    rx.spacer(),
                    rx.icon("bookmark", size=18),
                    spacing="3",
                    width="100%",
                ),
            ),
            rx.flex(
                rx.icon("message-circle", size=16),
                rx.icon("repeat-2", size=16),
                rx.icon("heart", size=16),
                rx.icon("share", size=16),
                justify="between",
                width="100%",
                max_width="320px",
            ),
        ),
        color=rx.color(theme.GRAY, 10),
        width="100%",
        padding_top=theme.space(2),
        border_top=f"1px solid {rx.color(theme.GRAY, 4)}",
    )
    body = rx.cond(
        EditorState.platform == "instagram",
        rx.vstack(header, _preview_media(), _preview_text(), footer, spacing="3", width="100%"),
        rx.vstack(header, _preview_text(), _preview_media(), footer, spacing="3", width="100%"),
    )
    return section_card(
        "Preview",
        rx.box(
            body,
            padding=theme.space(3),
            border_radius="12px",
            border=f"1px solid {rx.color(theme.GRAY, 5)}",
            background=rx.color(theme.GRAY, 1),
            width="100%",
            id="post-preview",
        ),
        icon="eye",
        actions=(
            rx.text("as it will look on", size="1", color_scheme="gray"),
            platform_badge(EditorState.platform),
        ),
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


def _status_panel() -> rx.Component:
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


def _mark_dialog() -> rx.Component:
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
            _status_panel(),
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


def _media_card() -> rx.Component:
    attached = rx.foreach(
        EditorState.media,
        lambda m: rx.flex(
            rx.image(
                src=m["url"],
                alt=m["alt"],
                width="72px",
                height="72px",
                min_width="72px",
                object_fit="cover",
                border_radius="8px",
            ),
            rx.vstack(
                rx.input(
                    default_value=m["alt"],
                    placeholder="Alt text: describe the image",
                    on_blur=lambda v: EditorState.save_alt(m["media_id"], v),
                    width="100%",
                    disabled=~EditorState.editable,
                    aria_label="Alt text",
                ),
                rx.button(
                    "Detach",
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    on_click=EditorState.detach(m["media_id"]),
                    disabled=~EditorState.editable,
                ),
                spacing="1",
                width="100%",
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
    )
    return section_card(
        "Images",
        attached,
        rx.cond(
            EditorState.editable,
            rx.upload.root(
                rx.vstack(
                    rx.icon("image-plus", size=22),
                    rx.text("Drop images here or click to upload", size="2"),
                    rx.text("JPEG, PNG, GIF or WebP, up to 8 MB", size="1", color_scheme="gray"),
                    align="center",
                    spacing="1",
                ),
                id="media-upload",
                accept={
                    "image/jpeg": [".jpg", ".jpeg"],
                    "image/png": [".png"],
                    "image/gif": [".gif"],
                    "image/webp": [".webp"],
                },
                max_files=10,
                on_drop=EditorState.upload(rx.upload_files(upload_id="media-upload")),
                border=f"1px dashed {rx.color(theme.GRAY, 7)}",
                border_radius="10px",
                padding=theme.space(4),
                width="100%",
                cursor="pointer",
            ),
        ),
        rx.cond(
            EditorState.uploading,
            rx.flex(rx.spinner(), rx.text("Uploading…", size="1"), spacing="2", role="status"),
        ),
        rx.cond(
            EditorState.library_media.length() > 0,
            rx.vstack(
                rx.text("Your media: click one to attach it", size="1", color_scheme="gray"),
                rx.flex(
                    rx.foreach(
                        EditorState.library_media,
                        lambda m: rx.tooltip(
                            rx.image(
                                src=m["url"],
                                alt=m["alt"],
                                width="48px",
                                height="48px",
                                object_fit="cover",
                                border_radius="6px",
                                cursor="pointer",
                                on_click=EditorState.attach(m["id"]),
                            ),
                            content="Attach " + m["name"],
                        ),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="1",
                width="100%",
            ),
        ),
        icon="image",
    )


def _variants_card() -> rx.Component:
    return section_card(
        "Other platforms",
        rx.flex(
            rx.foreach(
                EditorState.variants,
                lambda v: rx.link(
                    rx.badge(
                        platform_name(v["platform"]),
                        " · ",
                        v["status"],
                        variant=rx.cond(v["current"] == "1", "solid", "soft"),
                        size="2",
                    ),
                    href="/content/" + v["id"],
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        toolbar(
            rx.select.root(
                rx.select.trigger(placeholder="Adapt to…", aria_label="Adapt to platform"),
                rx.select.content(
                    rx.foreach(
                        EditorState.other_platforms,
                        lambda p: rx.select.item(platform_name(p), value=p),
                    )
                ),
                value=EditorState.variant_platform,
                on_change=EditorState.set_variant_platform,
            ),
            rx.button("Create version", variant="soft", on_click=EditorState.make_variant),
            spacing="2",
        ),
        icon="layers",
        subtitle="One idea, adapted per platform. Each version has its own text and status.",
    )


def _versions_card() -> rx.Component:
    return section_card(
        "Version history",
        rx.cond(
            EditorState.versions.length() == 0,
            rx.text(
                "Earlier texts appear here after you save a change.",
                size="2",
                color_scheme="gray",
            ),
            rx.vstack(
                rx.foreach(
                    EditorState.versions,
                    lambda v: rx.flex(
                        rx.vstack(
                            rx.text(v["when"], " · ", v["reason"], size="1", color_scheme="gray"),
                            rx.text(v["text"], size="2", style=line_clamp(2)),
                            spacing="1",
                            width="100%",
                        ),
                        rx.button(
                            "Restore",
                            size="1",
                            variant="soft",
                            on_click=EditorState.restore(v["id"]),
                            disabled=~EditorState.editable,
                        ),
                        spacing="2",
                        align="start",
                        width="100%",
                        padding_y=theme.space(2),
                        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
                    ),
                ),
                spacing="0",
                width="100%",
                max_height="320px",
                overflow_y="auto",
            ),
        ),
        icon="history",
    )


def _figure(m: rx.Var) -> rx.Component:
    """One metric tile; a figure the platform does not report says so on hover."""
    value = rx.text(m["value"], size="5", weight="bold", id="figure-" + m["key"].to(str))
    return rx.vstack(
        rx.text(m["label"], size="1", color_scheme="gray"),
        rx.cond(m["tip"] != "", rx.tooltip(value, content=m["tip"]), value),
        spacing="0",
        padding=theme.space(3),
        border_radius="8px",
        background=rx.color(theme.GRAY, 2),
        border=f"1px solid {rx.color(theme.GRAY, 4)}",
        min_width="0",
    )


def _figures_card() -> rx.Component:
    """Latest figures of a published post (the daily pull's newest row)."""
    return section_card(
        "Latest figures",
        rx.cond(
            EditorState.figures.length() > 0,
            rx.vstack(
                rx.grid(
                    rx.foreach(EditorState.figures, _figure),
                    columns=rx.breakpoints(initial="2", sm="4"),
                    spacing="2",
                    width="100%",
                ),
                rx.text(
                    "Figures of ",
                    EditorState.figures_day,
                    " · fetched ",
                    EditorState.figures_fetched,
                    ". Updated daily at 03:00 UTC.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
                width="100%",
            ),
            rx.flex(
                rx.icon("hourglass", size=16, color=rx.color(theme.GRAY, 10)),
                rx.text(
                    "No figures yet: results are pulled daily at 03:00 UTC.",
                    size="2",
                    color_scheme="gray",
                ),
                spacing="2",
                align="center",
                id="figures-empty",
            ),
        ),
        icon="chart-column",
        id="post-figures",
    )


def _editor_dialogs() -> rx.Component:
    return rx.fragment(
        _account_dialog(),
        _mark_dialog(),
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
        rx.vstack(_editor_card(), _schedule_card(), _media_card(), spacing="4", width="100%"),
        rx.vstack(
            rx.cond(EditorState.status == "published", _figures_card()),
            _preview(),
            rx.cond(EditorState.editable, _problems()),  # only while it can still change
            _variants_card(),
            _versions_card(),
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
