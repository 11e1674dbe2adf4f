"""The editor's true-to-platform preview: author, text with links/mentions/hashtags in
the platform's colours, "see more" folding, images and the action row."""

from __future__ import annotations

import reflex as rx

from aigrowth.content.editor_state import EditorState
from aigrowth.ui import theme
from aigrowth.ui.components import (
    platform_badge,
    section_card,
)

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


def preview() -> rx.Component:
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
