"""/strategy: the active strategy, its versions, hand edits, and post generation."""

from __future__ import annotations

import reflex as rx

from aigrowth.shell import app_shell
from aigrowth.strategy.state import StrategyState
from aigrowth.ui import theme
from aigrowth.ui.components import (
    action_button,
    empty_state,
    error_callout,
    job_progress,
    labelled,
    loading_block,
    page_header,
    platform_badge,
    section_card,
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
        rx.text(p["why"], size="2", color_scheme="gray", margin_top=theme.space(1)),
        width="100%",
        padding_y=theme.space(2),
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
            margin_y=theme.space(1),
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


def _dos_and_donts(title: str, color: str, mark: str, items: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(title, weight="bold", size="2", color_scheme=color),
        rx.foreach(items, lambda x: rx.text(mark, x, size="2")),
        spacing="1",
    )


def _view() -> rx.Component:
    kpi_table = rx.table.root(
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(h) for h in ("KPI", "Target", "By", "Goal")])
        ),
        rx.table.body(rx.foreach(StrategyState.kpis, _kpi)),
        width="100%",
        size="1",
    )
    return rx.vstack(
        rx.cond(
            StrategyState.summary != "",
            rx.card(rx.text(StrategyState.summary, size="3"), width="100%"),
        ),
        rx.grid(
            section_card(
                "Platforms and cadence",
                rx.foreach(StrategyState.platforms, _platform_card),
                icon="share-2",
            ),
            section_card(
                "Content pillars", rx.foreach(StrategyState.pillars, _pillar), icon="layers"
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        section_card(
            "Tone and voice",
            rx.text(StrategyState.voice, size="3"),
            rx.grid(
                _dos_and_donts("Do", "green", "✓ ", StrategyState.tone_do),
                _dos_and_donts("Don't", "red", "✗ ", StrategyState.tone_dont),
                columns="2",
                spacing="4",
                width="100%",
            ),
            icon="message-circle",
        ),
        section_card("KPIs", rx.box(kpi_table, overflow_x="auto", width="100%"), icon="target"),
        spacing="4",
        width="100%",
    )


def _cell(label: str, name: rx.Var | str, value: rx.Var, **props) -> rx.Component:
    """One labelled input of the edit form, filled with the shown version's value."""
    return labelled(label, rx.input(name=name, default_value=value, width="100%", **props))


def _edit_form() -> rx.Component:
    def platform_row(p: rx.Var) -> rx.Component:
        key = p["platform"]
        return rx.grid(
            rx.box(platform_badge(key)),
            _cell("Posts per week", "ppw_" + key, p["per_week"], inputmode="numeric"),
            _cell("Times (HH:MM, comma-separated)", "times_" + key, p["times"]),
            _cell("Why", "why_" + key, p["why"]),
            columns=rx.breakpoints(initial="1", md="4"),
            spacing="2",
            width="100%",
            align="end",
        )

    def pillar_row(p: rx.Var, i: rx.Var) -> rx.Component:
        n = i.to_string()
        return rx.grid(
            _cell("Pillar", "pillar_name_" + n, p["name"]),
            _cell("Description", "pillar_desc_" + n, p["description"]),
            _cell("Share %", "pillar_share_" + n, p["share"], inputmode="numeric"),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="2",
            width="100%",
        )

    def kpi_row(k: rx.Var, i: rx.Var) -> rx.Component:
        n = i.to_string()
        return rx.grid(
            _cell("KPI", "kpi_name_" + n, k["name"]),
            _cell("Target", "kpi_target_" + n, k["target"]),
            _cell("By (YYYY-MM-DD)", "kpi_by_" + n, k["by"]),
            _cell("Goal", "kpi_goal_" + n, k["goal"]),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="2",
            width="100%",
        )

    def lines(label: str, name: str, items: rx.Var) -> rx.Component:
        return labelled(label, rx.text_area(name=name, default_value=items.join("\n"), rows="4"))

    return rx.form(
        rx.vstack(
            section_card(
                "Summary",
                rx.text_area(
                    name="summary", default_value=StrategyState.summary, rows="3", width="100%"
                ),
                icon="file-text",
            ),
            section_card(
                "Platforms and cadence",
                rx.foreach(StrategyState.platforms, platform_row),
                icon="share-2",
            ),
            section_card(
                "Content pillars (3 to 5, shares add up to 100)",
                rx.foreach(StrategyState.pillar_rows, pillar_row),
                icon="layers",
            ),
            section_card(
                "Tone and voice",
                labelled(
                    "Voice",
                    rx.text_area(
                        name="voice", default_value=StrategyState.voice, rows="2", width="100%"
                    ),
                ),
                rx.grid(
                    lines("Do (one per line)", "tone_do", StrategyState.tone_do),
                    lines("Don't (one per line)", "tone_dont", StrategyState.tone_dont),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                icon="message-circle",
            ),
            section_card("KPIs", rx.foreach(StrategyState.kpi_rows, kpi_row), icon="target"),
            error_callout(StrategyState.edit_error),
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
    """A generation job of this business: its progress, its error, or its result."""
    return rx.fragment(
        rx.cond(running, job_progress(job["message"], percent)),
        rx.cond(job["state"] == "error", error_callout(job["error"])),
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


def _strategy_job() -> rx.Component:
    return _job_card(StrategyState.strategy_job, StrategyState.strategy_running, 50, rx.fragment())


def _generate_panel() -> rx.Component:
    return section_card(
        "Generate posts",
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
        icon="sparkles",
        subtitle="Draft a batch of posts that follows this strategy: spread over your pillars by "
        "share and over platforms by cadence, each checked against its platform's limits.",
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
        action_button(
            "pencil",
            "Edit",
            variant="soft",
            on_click=StrategyState.start_edit,
            disabled=StrategyState.editing,
        ),
        action_button(
            "refresh-cw",
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


def _strategy() -> rx.Component:
    """The shown version: what it is, its actions, then the edit form or the strategy."""
    return rx.vstack(
        rx.hstack(
            rx.badge("Version ", StrategyState.version, size="2"),
            rx.badge(StrategyState.source, variant="soft", color_scheme="gray"),
            rx.text(StrategyState.created, size="1", color_scheme="gray"),
            rx.spacer(),
            _toolbar(),
            width="100%",
            wrap="wrap",
            spacing="2",
            align="center",
        ),
        rx.cond(
            StrategyState.viewing_old,
            rx.callout(
                "You are viewing an older version. Posts are generated from the active one.",
                icon="history",
                color_scheme="amber",
                width="100%",
            ),
        ),
        _strategy_job(),
        rx.cond(StrategyState.editing, _edit_form(), rx.fragment(_generate_panel(), _view())),
        spacing="4",
        width="100%",
        id="strategy-view",
    )


def _content() -> rx.Component:
    no_strategy = rx.vstack(
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
        _strategy_job(),
        width="100%",
    )
    no_business = empty_state(
        "building-2",
        "Tell us about your business first",
        "The strategy is written from your business profile, audience and goals.",
        rx.link(rx.button("Start onboarding"), href="/onboarding"),
    )
    return rx.cond(
        ~StrategyState.loaded,
        loading_block(),
        rx.cond(
            StrategyState.business_id == "",
            no_business,
            rx.cond(StrategyState.has_strategy, _strategy(), no_strategy),
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
