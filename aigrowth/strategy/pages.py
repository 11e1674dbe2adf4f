"""/strategy: the active strategy, its versions, hand edits, and post generation."""

from __future__ import annotations

import reflex as rx

from aigrowth.strategy.state import StrategyState
from aigrowth.ui import theme
from aigrowth.ui.components import empty_state, page_header, platform_badge
from aigrowth.ui.layout import app_shell


def _section(title: str, icon: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=18, color=rx.color(theme.ACCENT, 11)),
                rx.heading(title, size="4"),
                align="center",
                spacing="2",
            ),
            *children,
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
    )


def _platform_card(p: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            platform_badge(p["platform"]),
            rx.text(p["per_week"], " posts/week", size="2", weight="medium"),
            rx.cond(p["times"] != "", rx.text("at ", p["times"], size="2", color_scheme="gray")),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        rx.text(p["why"], size="2", color_scheme="gray", margin_top="1"),
        width="100%",
        padding_y="2",
        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
    )


def _pillar(p: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(p["name"], weight="bold", size="3"),
            rx.spacer(),
            rx.badge(p["share"], "%", variant="soft"),
            width="100%",
            align="center",
        ),
        rx.box(
            rx.box(
                width=p["share"] + "%",
                height="100%",
                background=rx.color(theme.ACCENT, 9),
                border_radius="4px",
            ),
            width="100%",
            height="6px",
            background=rx.color(theme.GRAY, 4),
            border_radius="4px",
            margin_y="1",
        ),
        rx.text(p["description"], size="2", color_scheme="gray"),
        width="100%",
    )


def _kpi(k: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(k["name"], weight="medium")),
        rx.table.cell(k["target"]),
        rx.table.cell(rx.cond(k["by"] != "", k["by"], "—")),
        rx.table.cell(rx.text(k["goal"], color_scheme="gray", size="2")),
    )


def _view() -> rx.Component:
    return rx.vstack(
        rx.cond(
            StrategyState.summary != "",
            rx.card(rx.text(StrategyState.summary, size="3"), width="100%"),
        ),
        rx.grid(
            _section(
                "Platforms and cadence",
                "share-2",
                rx.foreach(StrategyState.platforms, _platform_card),
            ),
            _section("Content pillars", "layers", rx.foreach(StrategyState.pillars, _pillar)),
            columns=rx.breakpoints(initial="1", md="2"),
            gap="4",
            width="100%",
        ),
        _section(
            "Tone and voice",
            "message-circle",
            rx.text(StrategyState.voice, size="3"),
            rx.grid(
                rx.vstack(
                    rx.text("Do", weight="bold", size="2", color_scheme="green"),
                    rx.foreach(StrategyState.tone_do, lambda x: rx.text("✓ ", x, size="2")),
                    spacing="1",
                ),
                rx.vstack(
                    rx.text("Don't", weight="bold", size="2", color_scheme="red"),
                    rx.foreach(StrategyState.tone_dont, lambda x: rx.text("✗ ", x, size="2")),
                    spacing="1",
                ),
                columns="2",
                gap="4",
                width="100%",
            ),
        ),
        _section(
            "KPIs",
            "target",
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("KPI"),
                            rx.table.column_header_cell("Target"),
                            rx.table.column_header_cell("By"),
                            rx.table.column_header_cell("Goal"),
                        )
                    ),
                    rx.table.body(rx.foreach(StrategyState.kpis, _kpi)),
                    width="100%",
                    size="1",
                ),
                overflow_x="auto",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", weight="medium", color_scheme="gray"),
        control,
        spacing="1",
        width="100%",
    )


def _edit_form() -> rx.Component:
    def platform_row(p: rx.Var) -> rx.Component:
        key = p["platform"]
        return rx.grid(
            rx.box(platform_badge(key)),
            _labelled(
                "Posts per week",
                rx.input(name="ppw_" + key, default_value=p["per_week"], inputmode="numeric"),
            ),
            _labelled(
                "Times (HH:MM, comma-separated)",
                rx.input(name="times_" + key, default_value=p["times"]),
            ),
            _labelled("Why", rx.input(name="why_" + key, default_value=p["why"])),
            columns=rx.breakpoints(initial="1", md="4"),
            gap="2",
            width="100%",
            align="end",
        )

    def pillar_row(p: rx.Var, i: rx.Var) -> rx.Component:
        return rx.grid(
            _labelled(
                "Pillar", rx.input(name="pillar_name_" + i.to_string(), default_value=p["name"])
            ),
            _labelled(
                "Description",
                rx.input(name="pillar_desc_" + i.to_string(), default_value=p["description"]),
            ),
            _labelled(
                "Share %",
                rx.input(
                    name="pillar_share_" + i.to_string(),
                    default_value=p["share"],
                    inputmode="numeric",
                ),
            ),
            columns=rx.breakpoints(initial="1", md="3"),
            gap="2",
            width="100%",
        )

    def kpi_row(k: rx.Var, i: rx.Var) -> rx.Component:
        return rx.grid(
            _labelled("KPI", rx.input(name="kpi_name_" + i.to_string(), default_value=k["name"])),
            _labelled(
                "Target", rx.input(name="kpi_target_" + i.to_string(), default_value=k["target"])
            ),
            _labelled(
                "By (YYYY-MM-DD)", rx.input(name="kpi_by_" + i.to_string(), default_value=k["by"])
            ),
            _labelled("Goal", rx.input(name="kpi_goal_" + i.to_string(), default_value=k["goal"])),
            columns=rx.breakpoints(initial="2", md="4"),
            gap="2",
            width="100%",
        )

    return rx.form(
        rx.vstack(
            _section(
                "Summary",
                "file-text",
                rx.text_area(
                    name="summary", default_value=StrategyState.summary, rows="3", width="100%"
                ),
            ),
            _section(
                "Platforms and cadence",
                "share-2",
                rx.foreach(StrategyState.platforms, platform_row),
            ),
            _section(
                "Content pillars (3 to 5, shares add up to 100)",
                "layers",
                rx.foreach(StrategyState.pillar_rows, pillar_row),
            ),
            _section(
                "Tone and voice",
                "message-circle",
                _labelled(
                    "Voice",
                    rx.text_area(
                        name="voice", default_value=StrategyState.voice, rows="2", width="100%"
                    ),
                ),
                rx.grid(
                    _labelled(
                        "Do (one per line)",
                        rx.text_area(
                            name="tone_do", default_value=StrategyState.tone_do.join("\n"), rows="4"
                        ),
                    ),
                    _labelled(
                        "Don't (one per line)",
                        rx.text_area(
                            name="tone_dont",
                            default_value=StrategyState.tone_dont.join("\n"),
                            rows="4",
                        ),
                    ),
                    columns="2",
                    gap="3",
                    width="100%",
                ),
            ),
            _section("KPIs", "target", rx.foreach(StrategyState.kpi_rows, kpi_row)),
            rx.cond(
                StrategyState.edit_error != "",
                rx.callout(
                    StrategyState.edit_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    width="100%",
                    role="alert",
                ),
            ),
            rx.hstack(
                rx.button(
                    "Cancel",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=StrategyState.cancel_edit,
                ),
                rx.button("Save as new version", type="submit", id="save-strategy"),
                justify="end",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=StrategyState.save_edit,
        reset_on_submit=False,
        key=StrategyState.form_key,
        width="100%",
    )


def _job_card(
    job: rx.Var, running: rx.Var, percent: rx.Var | int, done_extra: rx.Component
) -> rx.Component:
    return rx.fragment(
        rx.cond(
            running,
            rx.vstack(
                rx.hstack(rx.spinner(size="2"), rx.text(job["message"], size="2"), spacing="2"),
                rx.progress(value=percent, width="100%"),
                width="100%",
                spacing="2",
            ),
        ),
        rx.cond(
            job["state"] == "error",
            rx.callout(
                job["error"], icon="triangle-alert", color_scheme="red", width="100%", role="alert"
            ),
        ),
        rx.cond(
            job["state"] == "done",
            rx.callout(
                rx.hstack(rx.text(job["message"]), done_extra, spacing="2", wrap="wrap"),
                icon="circle-check",
                color_scheme="green",
                width="100%",
            ),
        ),
    )


def _generate_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("sparkles", size=18, color=rx.color(theme.ACCENT, 11)),
                rx.heading("Generate posts", size="4"),
                spacing="2",
                align="center",
            ),
            rx.text(
                "Draft a batch of posts that follows this strategy: spread over your pillars by "
                "share and over platforms by cadence, each checked against its platform's limits.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.select(
                    ["7", "10", "14", "21", "30"],
                    value=StrategyState.batch_size,
                    on_change=StrategyState.set_batch_size,
                    aria_label="Number of posts",
                ),
                rx.text("posts", size="2"),
                rx.button(
                    "Generate posts",
                    id="generate-posts",
                    on_click=StrategyState.generate_posts,
                    loading=StrategyState.posts_running,
                    disabled=StrategyState.viewing_old,
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            _job_card(
                StrategyState.posts_job,
                StrategyState.posts_running,
                StrategyState.posts_percent,
                rx.link("Open the Content studio →", href="/content", id="open-content"),
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        id="generate-panel",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(aria_label="Strategy version"),
            rx.select.content(
                rx.foreach(
                    StrategyState.versions, lambda v: rx.select.item(v["label"], value=v["version"])
                ),
            ),
            value=StrategyState.version.to_string(),
            on_change=StrategyState.view_version,
        ),
        rx.cond(
            StrategyState.viewing_old,
            rx.button(
                "Make this version active", variant="soft", on_click=StrategyState.make_active
            ),
        ),
        rx.button(
            rx.icon("pencil", size=14),
            "Edit",
            variant="soft",
            on_click=StrategyState.start_edit,
            disabled=StrategyState.editing,
        ),
        rx.button(
            rx.icon("refresh-cw", size=14),
            "Regenerate",
            variant="soft",
            on_click=StrategyState.regenerate,
            loading=StrategyState.strategy_running,
            id="regenerate-strategy",
        ),
        spacing="2",
        wrap="wrap",
        align="center",
    )


def _content() -> rx.Component:
    return rx.cond(
        ~StrategyState.loaded,
        rx.center(rx.spinner(size="3"), padding="8", width="100%"),
        rx.cond(
            StrategyState.business_id == "",
            empty_state(
                "building-2",
                "Tell us about your business first",
                "The strategy is written from your business profile, audience and goals.",
                rx.link(rx.button("Start onboarding"), href="/onboarding"),
            ),
            rx.cond(
                StrategyState.has_strategy,
                rx.vstack(
                    rx.hstack(
                        rx.badge("Version ", StrategyState.version, size="2"),
                        rx.badge(StrategyState.source, variant="soft", color_scheme="gray"),
                        rx.text(StrategyState.created, size="1", color_scheme="gray"),
                        rx.spacer(),
                        _toolbar(),
                        width="100%",
                        wrap="wrap",
                        gap="2",
                        align="center",
                    ),
                    rx.cond(
                        StrategyState.viewing_old,
                        rx.callout(
                            "You are viewing an older version. "
                            "Posts are generated from the active one.",
                            icon="history",
                            color_scheme="amber",
                            width="100%",
                        ),
                    ),
                    _job_card(
                        StrategyState.strategy_job,
                        StrategyState.strategy_running,
                        50,
                        rx.fragment(),
                    ),
                    rx.cond(
                        StrategyState.editing, _edit_form(), rx.fragment(_generate_panel(), _view())
                    ),
                    spacing="4",
                    width="100%",
                    id="strategy-view",
                ),
                rx.vstack(
                    empty_state(
                        "compass",
                        "No strategy yet",
                        "Write one from your business profile in about a minute.",
                        rx.button(
                            "Write my strategy",
                            on_click=StrategyState.regenerate,
                            loading=StrategyState.strategy_running,
                        ),
                    ),
                    _job_card(
                        StrategyState.strategy_job,
                        StrategyState.strategy_running,
                        50,
                        rx.fragment(),
                    ),
                    width="100%",
                ),
            ),
        ),
    )


@rx.page(route="/strategy", title="Strategy · AI Growth Manager")
def strategy_page() -> rx.Component:
    return app_shell(
        rx.box(
            page_header("Strategy", "Platforms, pillars, cadence, tone and KPIs"),
            _content(),
            on_mount=StrategyState.load,
            width="100%",
        )
    )
