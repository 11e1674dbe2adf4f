"""The editor's side cards: images, versions for other platforms, version history and
the latest figures of a published post."""

from __future__ import annotations

import reflex as rx

from aigrowth.content.editor_state import EditorState
from aigrowth.ui import theme
from aigrowth.ui.components import (
    line_clamp,
    platform_name,
    section_card,
    toolbar,
)


def media_card() -> rx.Component:
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


def variants_card() -> rx.Component:
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


def versions_card() -> rx.Component:
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


def figures_card() -> rx.Component:
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
