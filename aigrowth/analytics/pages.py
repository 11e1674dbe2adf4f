"""Analytics: what works, whether the goals are on track, and what to change."""

from __future__ import annotations

import reflex as rx

from aigrowth.analytics.charts import CONFIG
from aigrowth.analytics.state import AnalyticsState as S
from aigrowth.shell import app_shell
from aigrowth.ui import theme
from aigrowth.ui.components import (
    action_button,
    empty_state,
    labelled,
    loading_block,
    page_header,
    percent_bar,
    platform_badge,
    section_card,
    toolbar,
)

PERIODS = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "Custom"),
]


def _chart(figure: rx.Var, label: str) -> rx.Component:
    return rx.box(
        rx.plotly(data=figure, config=CONFIG, use_resize_handler=True, width="100%"),
        width="100%",
        aria_label=label,
        class_name="analytics-chart",
    )


def _select(value: rx.Var, handler: rx.EventHandler, options: rx.Var, label: str, all_text: str):
    return rx.select.root(
        rx.select.trigger(aria_label=label, width="100%"),
        rx.select.content(
            rx.select.item(all_text, value="all"),
            rx.foreach(options, lambda o: rx.select.item(o[1], value=o[0])),
        ),
        value=value,
        on_change=handler,
    )


def _filters() -> rx.Component:
    return rx.vstack(
        toolbar(
            labelled(
                "Period",
                rx.select.root(
                    rx.select.trigger(aria_label="Period", width="100%"),
                    rx.select.content(*[rx.select.item(t, value=v) for v, t in PERIODS]),
                    value=S.period,
                    on_change=S.set_period,
                ),
                width=["100%", "160px"],
            ),
            labelled(
                "Platform",
                _select(
                    S.platform, S.set_platform, S.platform_options, "Platform", "All platforms"
                ),
                width=["100%", "160px"],
            ),
            labelled(
                "Account",
                _select(S.account, S.set_account, S.account_options, "Account", "All accounts"),
                width=["100%", "200px"],
            ),
            labelled(
                "Pillar",
                _select(S.pillar, S.set_pillar, S.pillar_options, "Pillar", "All pillars"),
                width=["100%", "200px"],
            ),
            align="end",
        ),
        rx.cond(
            S.period == "custom",
            toolbar(
                labelled(
                    "From",
                    rx.input(type="date", value=S.start, on_change=S.set_start, aria_label="From"),
                    width=["100%", "170px"],
                ),
                labelled(
                    "To",
                    rx.input(type="date", value=S.end, on_change=S.set_end, aria_label="To"),
                    width=["100%", "170px"],
                ),
                rx.button("Apply", on_click=S.apply_custom, variant="soft"),
                align="end",
            ),
        ),
        rx.cond(
            S.error != "",
            rx.callout(
                S.error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"
            ),
        ),
        rx.text(S.period_label, size="1", color_scheme="gray"),
        spacing="2",
        width="100%",
    )


def _card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(card["label"], size="2", color_scheme="gray"),
            rx.heading(card["value"], size="6"),
            rx.text(
                card["trend"],
                size="1",
                color=rx.match(
                    card["tone"],
                    ("green", rx.color("green", 11)),
                    ("red", rx.color("red", 11)),
                    rx.color(theme.GRAY, 10),
                ),
            ),
            spacing="1",
            align="start",
        ),
        width="100%",
    )


def _headline() -> rx.Component:
    return rx.vstack(
        rx.grid(
            rx.foreach(S.cards, _card),
            columns=rx.breakpoints(initial="2", sm="3", lg="6"),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            S.not_reported != "",
            rx.text(
                "Impressions and engagement rate: not reported by ",
                S.not_reported,
                " (their posts count in engagements only).",
                size="1",
                color_scheme="gray",
            ),
        ),
        width="100%",
        spacing="2",
    )


def _no_data(text: str) -> rx.Component:
    return rx.center(
        rx.text(text, size="2", color_scheme="gray", text_align="center"),
        padding_y=theme.space(6),
        width="100%",
    )


def _trends() -> rx.Component:
    return rx.grid(
        section_card(
            "Impressions and engagements",
            rx.cond(
                S.has_daily,
                _chart(S.daily_fig, "Daily impressions and engagements"),
                _no_data("No figures in this period yet."),
            ),
            icon="chart-line",
            subtitle="Each day's increase over all posts",
        ),
        section_card(
            "Followers",
            rx.cond(
                S.has_followers,
                _chart(S.followers_fig, "Followers per account"),
                _no_data("Follower counts appear after the first daily pull of your accounts."),
            ),
            icon="users",
            subtitle="Per connected account",
        ),
        columns=rx.breakpoints(initial="1", lg="2"),
        spacing="4",
        width="100%",
    )


def _breakdowns() -> rx.Component:
    return section_card(
        "What works",
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Platform", value="platform"),
                rx.tabs.trigger("Pillar", value="pillar"),
                rx.tabs.trigger("Format", value="format"),
            ),
            rx.tabs.content(
                _chart(S.platform_fig, "Engagement rate by platform"), value="platform"
            ),
            rx.tabs.content(_chart(S.pillar_fig, "Engagement rate by pillar"), value="pillar"),
            rx.tabs.content(_chart(S.format_fig, "Engagement rate by format"), value="format"),
            value=S.breakdown_tab,
            on_change=S.set_breakdown_tab,
            width="100%",
        ),
        rx.cond(
            S.unrated != "",
            rx.text(
                "No engagement rate for ",
                S.unrated,
                ": not reported.",
                size="1",
                color_scheme="gray",
            ),
        ),
        icon="chart-bar",
        subtitle="Engagement rate of the posts published in the period",
    )


def _heatmap() -> rx.Component:
    return section_card(
        "Best time to post",
        rx.cond(
            S.has_heatmap,
            _chart(S.heatmap_fig, "Engagement rate by weekday and hour"),
            _no_data("Publish a few posts to learn your best times."),
        ),
        icon="clock",
        subtitle=(
            "Engagement rate by weekday and local hour of publishing; each cell says how "
            "many posts it rests on"
        ),
    )


def _post(post: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                platform_badge(post["platform"]),
                rx.badge(post["format"], variant="outline", color_scheme="gray"),
                rx.text(post["when"], size="1", color_scheme="gray"),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.text(post["snippet"], size="2"),
            rx.text(
                post["impressions"],
                " impressions · ",
                post["engagements"],
                " engagements · ",
                post["rate"],
                " rate",
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
            align="start",
            width="100%",
        ),
        rx.vstack(
            rx.link(rx.button("Edit", size="1", variant="soft"), href="/content/" + post["id"]),
            rx.cond(
                post["url"] != "",
                rx.link(
                    rx.button(rx.icon("external-link", size=12), "View", size="1", variant="ghost"),
                    href=post["url"],
                    is_external=True,
                ),
            ),
            spacing="1",
            align="end",
        ),
        width="100%",
        align="start",
        padding_y=theme.space(2),
        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
    )


def _ranked() -> rx.Component:
    def block(title: str, items: rx.Var, icon: str) -> rx.Component:
        return section_card(
            title,
            rx.cond(
                items.length() > 0,
                rx.vstack(rx.foreach(items, _post), spacing="0", width="100%"),
                _no_data("No published posts in this period."),
            ),
            icon=icon,
        )

    return rx.grid(
        block("Top posts", S.top, "trending-up"),
        block("Bottom posts", S.bottom, "trending-down"),
        columns=rx.breakpoints(initial="1", lg="2"),
        spacing="4",
        width="100%",
    )


def _goal(goal: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.text(goal["name"], weight="medium", size="3"),
            rx.spacer(),
            rx.badge(goal["status"].replace("_", " "), color_scheme=goal["color"], variant="soft"),
            width="100%",
            align="center",
            spacing="2",
        ),
        rx.text(goal["message"], size="2", color=rx.color(goal["color"], 11)),
        rx.cond(goal["progress"] != "", percent_bar(goal["progress"], color=goal["color"])),
        rx.text(
            "Now ",
            goal["current"],
            " · target ",
            goal["target"],
            rx.cond(goal["by"] != "", rx.text.span(" by ", goal["by"])),
            size="1",
            color_scheme="gray",
        ),
        rx.cond(
            goal["measured"] == "",
            rx.form(
                rx.hstack(
                    rx.input(type="hidden", name="kpi", value=goal["name"]),
                    rx.input(
                        name="value",
                        placeholder="Current value",
                        aria_label="Current value of " + goal["name"],
                        size="1",
                        width="140px",
                    ),
                    rx.button("Save", size="1", variant="soft", type="submit"),
                    spacing="2",
                ),
                on_submit=S.save_goal_value,
                reset_on_submit=True,
            ),
        ),
        spacing="2",
        width="100%",
        padding_y=theme.space(2),
        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
    )


def goals_card() -> rx.Component:
    return section_card(
        "Goals",
        rx.cond(
            S.goals.length() > 0,
            rx.vstack(rx.foreach(S.goals, _goal), spacing="0", width="100%"),
            _no_data("Goals come from your strategy's KPIs; write a strategy first."),
        ),
        icon="target",
        subtitle="Each KPI of the active strategy against what the platforms measure",
        id="goals",
    )


def _change(change: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(change["area"], variant="soft")),
        rx.table.cell(change["item"]),
        rx.table.cell(
            rx.hstack(
                rx.text(change["before"], color_scheme="gray"),
                rx.icon("arrow-right", size=12),
                rx.text(change["after"], weight="bold"),
                spacing="1",
                align="center",
                wrap="wrap",
            )
        ),
        rx.table.cell(rx.text(change["why"], size="1")),
    )


def _pillar_side(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["name"]),
        rx.table.cell(row["now"]),
        rx.table.cell(rx.text(row["new"], weight=rx.cond(row["changed"] != "", "bold", "regular"))),
    )


def _proposal() -> rx.Component:
    return rx.vstack(
        rx.callout(S.proposal_summary, icon="sparkles", color_scheme="teal", width="100%"),
        rx.text(
            "Pillar shares, active version ",
            S.base_version,
            " and proposed",
            size="2",
            weight="medium",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Pillar"),
                    rx.table.column_header_cell("Now"),
                    rx.table.column_header_cell("Proposed"),
                )
            ),
            rx.table.body(rx.foreach(S.pillars_side, _pillar_side)),
            size="1",
            width="100%",
        ),
        rx.text("What changes and why", size="2", weight="medium"),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Area"),
                        rx.table.column_header_cell("What"),
                        rx.table.column_header_cell("Change"),
                        rx.table.column_header_cell("Why"),
                    )
                ),
                rx.table.body(rx.foreach(S.proposal_changes, _change)),
                size="1",
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        toolbar(
            action_button(
                "check", "Accept as new version", on_click=S.accept_proposal, id="accept-replan"
            ),
            action_button(
                "x", "Dismiss", on_click=S.dismiss_proposal, variant="soft", color_scheme="gray"
            ),
        ),
        spacing="3",
        width="100%",
        id="replan-proposal",
    )


def _replan() -> rx.Component:
    return section_card(
        "Re-plan from results",
        rx.cond(
            S.proposal_id != "",
            _proposal(),
            rx.vstack(
                rx.text(
                    "The AI reads this period's results by pillar, platform, format and time "
                    "slot and proposes the next version of your strategy, citing the figures. "
                    "You accept or dismiss it.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.cond(
                    S.replan_message != "", rx.callout(S.replan_message, icon="info", width="100%")
                ),
                spacing="2",
                width="100%",
            ),
        ),
        icon="wand-sparkles",
        actions=(
            rx.button(
                rx.cond(S.replanning, rx.spinner(size="1"), rx.icon("wand-sparkles", size=14)),
                "Ask for a re-plan",
                on_click=S.ask_replan,
                disabled=S.replanning,
                size="2",
                id="ask-replan",
            ),
        ),
    )


def _content() -> rx.Component:
    return rx.vstack(
        _filters(),
        rx.cond(
            S.published_total == 0,
            empty_state(
                "chart-line",
                "Nothing published yet",
                "Figures appear the day after your first post goes out. Schedule a post, "
                "then come back here to see what works.",
                rx.link(rx.button("Open the calendar"), href="/calendar"),
            ),
            rx.vstack(
                _headline(),
                _trends(),
                _breakdowns(),
                _heatmap(),
                _ranked(),
                spacing="4",
                width="100%",
            ),
        ),
        rx.grid(
            goals_card(),
            _replan(),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _export_link(label: str, kind: str) -> rx.Component:
    """Download the CSV of the current filters."""
    return rx.button(
        rx.icon("download", size=14),
        label,
        variant="soft",
        on_click=S.export_csv(kind),
        id=f"export-{kind}",
        aria_label=f"Export {kind} figures as CSV",
    )


@rx.page(route="/analytics", title="Analytics · AI Growth Manager")
def analytics_page() -> rx.Component:
    return app_shell(
        rx.box(
            page_header(
                "Analytics",
                "What works, whether your goals are on track, and what to change",
                rx.cond(  # nothing to refresh or export before there is a business
                    S.has_business,
                    rx.fragment(
                        rx.button(
                            rx.cond(
                                S.refreshing, rx.spinner(size="1"), rx.icon("refresh-cw", size=14)
                            ),
                            rx.cond(S.refreshing, "Refreshing…", "Refresh now"),
                            on_click=S.refresh_now,
                            disabled=S.refreshing,
                            variant="soft",
                            id="refresh-now",
                        ),
                        _export_link("Posts CSV", "posts"),
                        _export_link("Accounts CSV", "accounts"),
                    ),
                ),
            ),
            rx.cond(
                S.refresh_message != "",
                rx.callout(
                    S.refresh_message, icon="loader", width="100%", margin_bottom=theme.space(3)
                ),
            ),
            rx.cond(
                S.loading,
                loading_block("Loading your results…"),
                rx.cond(
                    S.has_business,
                    _content(),
                    empty_state(
                        "sprout",
                        "Tell us about your business",
                        "Analytics shows the results of the posts published for your business.",
                        rx.link(rx.button("Start onboarding"), href="/onboarding"),
                    ),
                ),
            ),
            on_mount=S.load,
            width="100%",
        )
    )
