"""The content calendar (/calendar): month and week grids with drag-and-drop, open cadence
slots, "fill the gaps", pillar coverage, and a list view on phones."""

from __future__ import annotations

import reflex as rx

from aigrowth.content.calendar_dnd import TAKE_DROP_JS
from aigrowth.content.calendar_state import CalDay, CalendarState, CalPost, CalSlot
from aigrowth.content.widgets import job_note
from aigrowth.shell import app_shell
from aigrowth.ui import theme
from aigrowth.ui.components import (
    action_button,
    confirm_dialog,
    empty_state,
    line_clamp,
    loading_block,
    page_header,
    platform_name,
    section_card,
    toolbar,
)

# One line, cut with "…" when the day cell is narrow (the flex item may shrink below its text).
ELLIPSIS = {
    "flex": "1",
    "min_width": "0",
    "overflow": "hidden",
    "text_overflow": "ellipsis",
    "white_space": "nowrap",
}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
STATUS_ICONS = {
    "draft": "pencil",
    "scheduled": "clock",
    "publishing": "loader",
    "published": "circle-check",
    "failed": "circle-x",
    "needs_attention": "triangle-alert",
}


def _status_icon(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        *[(s, rx.icon(icon, size=12, aria_label=s)) for s, icon in STATUS_ICONS.items()],
        rx.icon("circle", size=12),
    )


def _post_chip(post: CalPost, *, detailed: bool = False) -> rx.Component:
    color = rx.match(post.platform, *theme.PLATFORM_COLORS.items(), "gray")
    return rx.box(
        rx.flex(
            rx.box(
                width="8px",
                height="8px",
                min_width="8px",
                border_radius="50%",
                background=rx.color(color, 9),
            ),
            rx.text(post.time, size="1", weight="bold", flex_shrink="0"),
            rx.text(platform_name(post.platform), size="1", style=ELLIPSIS),
            rx.box(
                _status_icon(post.status),
                color=rx.color(rx.match(post.status, *theme.STATUS_COLORS.items(), "gray"), 11),
                title=post.status,
                display="flex",
                flex_shrink="0",
            ),
            spacing="1",
            align="center",
            width="100%",
        ),
        rx.cond(
            detailed,
            rx.text(
                post.snippet,
                size="1",
                color_scheme="gray",
                style=line_clamp(3),
            ),
        ),
        on_click=rx.redirect("/content/" + post.id),
        custom_attrs={
            "draggable": "true",
            "data-post-id": post.id,
            "data-post-status": post.status,
            "title": post.snippet,
        },
        class_name="cal-post",
        padding_x="6px",
        padding_y="3px",
        border_radius="6px",
        background=rx.color(color, 3),
        border=f"1px solid {rx.color(theme.GRAY, 5)}",
        cursor="grab",
        width="100%",
        _hover={"background": rx.color(color, 4)},
    )


def _slot_chip(slot: CalSlot) -> rx.Component:
    """An empty slot of the strategy's cadence (dashed): "Fill the gaps" writes a draft."""
    return rx.flex(
        rx.icon("plus", size=11, flex_shrink="0"),
        rx.text(slot.time, size="1", flex_shrink="0"),
        rx.text(platform_name(slot.platform), size="1", style=ELLIPSIS),
        spacing="1",
        align="center",
        class_name="cal-slot",
        title="Open slot in your strategy's cadence: Fill the gaps writes a draft for it",
        padding_x="6px",
        padding_y="2px",
        border_radius="6px",
        border=f"1px dashed {rx.color(theme.GRAY, 7)}",
        color=rx.color(theme.GRAY, 10),
        width="100%",
    )


def _day_cell(day: CalDay) -> rx.Component:
    week = CalendarState.mode == "week"
    return rx.box(
        rx.flex(
            rx.text(
                rx.cond(week, day.label, day.day_num),
                size="1",
                weight=rx.cond(day.is_today, "bold", "regular"),
                color=rx.cond(day.is_today, rx.color(theme.ACCENT, 11), "inherit"),
            ),
            rx.cond(day.is_today, rx.badge("today", size="1", variant="soft")),
            spacing="1",
            align="center",
            margin_bottom=theme.space(1),
        ),
        rx.vstack(
            rx.foreach(
                day.posts,
                lambda p: rx.cond(week, _post_chip(p, detailed=True), _post_chip(p)),
            ),
            rx.foreach(day.slots, _slot_chip),
            spacing="1",
            width="100%",
        ),
        custom_attrs={"data-drop-date": day.date},
        class_name="cal-day",
        min_height=rx.cond(week, "420px", "112px"),
        padding="6px",
        border=f"1px solid {rx.color(theme.GRAY, 4)}",
        background=rx.cond(
            day.in_month,
            rx.cond(day.is_past, rx.color(theme.GRAY, 2), rx.color(theme.GRAY, 1)),
            rx.color(theme.GRAY, 3),
        ),
        opacity=rx.cond(day.in_month, "1", "0.7"),
        style={"&[data-over='1']": {"outline": f"2px solid {rx.color(theme.ACCENT, 8)}"}},
        overflow="hidden",
    )


def _grid() -> rx.Component:
    return rx.box(
        rx.grid(
            *[
                rx.text(d, size="1", weight="bold", color_scheme="gray", padding_x="6px")
                for d in WEEKDAYS
            ],
            columns="7",
            width="100%",
            margin_bottom=theme.space(1),
        ),
        rx.grid(
            rx.foreach(CalendarState.days, _day_cell),
            columns="7",
            width="100%",
            id="calendar-grid",
        ),
        display=["none", "none", "block"],
        width="100%",
    )


def _list_view() -> rx.Component:
    """Phones: one column, only days with posts or open slots."""
    return rx.box(
        rx.cond(
            CalendarState.list_days.length() == 0,
            rx.text("Nothing planned in this period.", size="2", color_scheme="gray"),
            rx.vstack(
                rx.foreach(
                    CalendarState.list_days,
                    lambda day: rx.vstack(
                        rx.text(day.label, weight="bold", size="2"),
                        rx.foreach(day.posts, lambda p: _post_chip(p, detailed=True)),
                        rx.foreach(day.slots, _slot_chip),
                        spacing="1",
                        width="100%",
                        padding_bottom="8px",
                        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
        ),
        display=["block", "block", "none"],
        width="100%",
        id="calendar-list",
    )


def _coverage_table(title: str, rows: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(title, weight="bold", size="2"),
        rx.cond(
            rows.length() == 0,
            rx.text("No target yet: set one in your strategy.", size="1", color_scheme="gray"),
            rx.vstack(
                rx.foreach(
                    rows,
                    lambda r: rx.vstack(
                        rx.flex(
                            rx.text(r["name"], size="1", weight="medium"),
                            rx.spacer(),
                            rx.text(
                                r["planned_pct"],
                                "% planned · ",
                                r["target_pct"],
                                "% target",
                                size="1",
                                color_scheme="gray",
                            ),
                            rx.badge(r["delta"], color_scheme=r["tone"].to(str), size="1"),
                            spacing="2",
                            align="center",
                            width="100%",
                        ),
                        rx.box(
                            rx.box(
                                width=r["planned_pct"].to(str) + "%",
                                height="100%",
                                background=rx.color(theme.ACCENT, 9),
                                border_radius="3px",
                            ),
                            rx.box(
                                position="absolute",
                                left=r["target_pct"].to(str) + "%",
                                top="-2px",
                                width="2px",
                                height="10px",
                                background=rx.color(theme.GRAY, 12),
                            ),
                            position="relative",
                            height="6px",
                            width="100%",
                            background=rx.color(theme.GRAY, 4),
                            border_radius="3px",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _coverage_panel() -> rx.Component:
    return section_card(
        "Planned mix vs strategy",
        rx.grid(
            _coverage_table("Pillars", CalendarState.coverage_pillars),
            _coverage_table("Platforms", CalendarState.coverage_platforms),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="5",
            width="100%",
        ),
        icon="chart-pie",
        subtitle=CalendarState.posts_total.to(str)
        + " posts in this view · bar = planned share, tick = target",
        id="coverage-panel",
    )


def _toolbar() -> rx.Component:
    return toolbar(
        rx.flex(
            rx.icon_button(
                rx.icon("chevron-left"),
                on_click=CalendarState.shift(-1),
                variant="soft",
                aria_label="Previous",
            ),
            rx.button("Today", on_click=CalendarState.today, variant="soft"),
            rx.icon_button(
                rx.icon("chevron-right"),
                on_click=CalendarState.shift(1),
                variant="soft",
                aria_label="Next",
            ),
            rx.heading(CalendarState.title, size="5", id="calendar-title"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.spacer(),
        toolbar(
            rx.segmented_control.root(
                rx.segmented_control.item("Month", value="month"),
                rx.segmented_control.item("Week", value="week"),
                value=CalendarState.mode,
                on_change=CalendarState.set_mode,
            ),
            action_button(
                "wand-sparkles",
                "Fill the gaps (" + CalendarState.slots_total.to(str) + ")",
                on_click=CalendarState.set_confirm_fill_open(True),
                disabled=CalendarState.slots_total == 0,
                loading=CalendarState.filling,
            ),
            spacing="2",
            width="auto",
        ),
    )


def _legend() -> rx.Component:
    return rx.flex(
        *[
            rx.flex(
                rx.icon(icon, size=12),
                rx.text(status.replace("_", " "), size="1"),
                spacing="1",
                align="center",
                color=rx.color(theme.STATUS_COLORS[status], 11),
            )
            for status, icon in STATUS_ICONS.items()
        ],
        rx.flex(
            rx.box(width="14px", height="10px", border=f"1px dashed {rx.color(theme.GRAY, 7)}"),
            rx.text("open slot (strategy cadence)", size="1"),
            spacing="1",
            align="center",
            color=rx.color(theme.GRAY, 10),
        ),
        spacing="3",
        wrap="wrap",
    )


def _hint() -> rx.Component:
    return rx.text(
        "Times shown in ",
        CalendarState.tz,
        rx.text.span(
            " · Drag a post to another day to move it; click it to edit.",
            display=["none", "none", "inline"],
        ),
        size="1",
        color_scheme="gray",
    )


def _drop_trigger() -> rx.Component:
    """The drop handler in the page script clicks this to hand {id, date} to the state."""
    return rx.el.button(
        id="aig-drop-trigger",
        on_click=rx.call_script(TAKE_DROP_JS, callback=CalendarState.handle_drop),
        style={"display": "none"},
        aria_hidden="true",
        tab_index=-1,
    )


@rx.page(route="/calendar", title="Calendar · AI Growth Manager", on_load=CalendarState.load)
def calendar_page() -> rx.Component:
    return app_shell(
        rx.box(
            page_header(
                "Calendar",
                "Your posts in your time zone, against your strategy's cadence",
                rx.link(action_button("list", "Library", variant="soft"), href="/content"),
            ),
            rx.cond(
                CalendarState.has_business,
                rx.cond(
                    CalendarState.loaded,
                    rx.vstack(
                        _toolbar(),
                        rx.cond(
                            CalendarState.filling,
                            job_note(
                                CalendarState.fill_label,
                                "You can leave this page; the drafts appear as they are written.",
                                "fill-progress",
                            ),
                        ),
                        _legend(),
                        _hint(),
                        _grid(),
                        _list_view(),
                        _coverage_panel(),
                        spacing="4",
                        width="100%",
                    ),
                    loading_block("Loading your calendar…"),
                ),
                empty_state(
                    "building-2",
                    "Tell us about your business first",
                    "The calendar fills from your strategy's cadence. Set up your business and "
                    "strategy, then plan your posts here.",
                    rx.link(rx.button("Set up my business"), href="/onboarding"),
                ),
            ),
            confirm_dialog(
                "Write drafts for the open slots?",
                (
                    "We write ",
                    CalendarState.slots_total,
                    " drafts for the empty slots in this period, following your strategy's "
                    "pillars. They stay drafts until you approve them.",
                ),
                confirm_label="Write drafts",
                color_scheme=theme.ACCENT,
                on_confirm=CalendarState.fill_gaps,
                open=CalendarState.confirm_fill_open,
                on_open_change=CalendarState.set_confirm_fill_open,
            ),
            _drop_trigger(),
            width="100%",
        )
    )
