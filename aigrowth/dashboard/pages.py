"""Dashboard: what needs the founder now, what goes out next, and how it is doing."""

from __future__ import annotations

import reflex as rx

from aigrowth.dashboard.state import DashboardState
from aigrowth.shell import app_shell
from aigrowth.ui import theme
from aigrowth.ui.components import (
    empty_state,
    page_header,
    percent_bar,
    platform_badge,
    section_card,
    status_badge,
)


def _stat(
    label: str, value: rx.Var, icon: str, href: str, tone: str = theme.ACCENT
) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.center(
                    rx.icon(icon, size=18, color=rx.color(tone, 11)),
                    width="36px",
                    height="36px",
                    border_radius="10px",
                    background=rx.color(tone, 3),
                ),
                rx.vstack(
                    rx.text(label, size="2", color_scheme="gray"),
                    rx.heading(value, size="6"),
                    spacing="0",
                    align="start",
                ),
                spacing="3",
                align="center",
            ),
            width="100%",
            _hover={"border_color": rx.color(tone, 7)},
        ),
        href=href,
        underline="none",
        color="inherit",
        width="100%",
    )


def _step(step: rx.Var) -> rx.Component:
    done = step["done"] != ""
    return rx.hstack(
        rx.cond(
            done,
            rx.icon("circle-check", size=20, color=rx.color("green", 10)),
            rx.icon("circle", size=20, color=rx.color(theme.GRAY, 8)),
        ),
        rx.text(
            step["title"],
            size="3",
            color=rx.cond(done, rx.color(theme.GRAY, 10), rx.color(theme.GRAY, 12)),
            text_decoration=rx.cond(done, "line-through", "none"),
        ),
        rx.spacer(),
        rx.cond(
            done,
            rx.fragment(),
            rx.link(rx.button(step["action"], size="1", variant="soft"), href=step["href"]),
        ),
        align="center",
        width="100%",
        spacing="3",
    )


def _getting_started() -> rx.Component:
    return section_card(
        "Get started",
        rx.progress(value=DashboardState.steps_done * 20, width="100%"),
        rx.foreach(DashboardState.steps, _step),
        actions=(rx.text(DashboardState.steps_done, " of 5 done", size="2", color_scheme="gray"),),
    )


def _post_line(post: rx.Var, show_detail: bool) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    platform_badge(post["platform"]),
                    status_badge(post["status"]),
                    rx.text(post["when"], size="1", color_scheme="gray"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(post["snippet"], size="2"),
                rx.cond(
                    show_detail & (post["detail"] != ""),
                    rx.text(post["detail"], size="1", color=rx.color("red", 11)),
                ),
                spacing="1",
                align="start",
                width="100%",
            ),
            rx.icon("chevron-right", size=16, color=rx.color(theme.GRAY, 8)),
            align="center",
            width="100%",
            padding_y=theme.space(2),
            border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
        ),
        href="/content/" + post["id"],
        underline="none",
        color="inherit",
        width="100%",
    )


def _list_card(title: str, items: rx.Var, empty: str, show_detail: bool, href: str) -> rx.Component:
    return section_card(
        title,
        rx.cond(
            items.length() > 0,
            rx.vstack(
                rx.foreach(items, lambda post: _post_line(post, show_detail)),
                spacing="0",
                width="100%",
            ),
            rx.text(empty, size="2", color_scheme="gray", padding_y=theme.space(3)),
        ),
        actions=(rx.link("See all", href=href, size="2"),),
    )


def _results() -> rx.Component:
    def figure(label: str, value: rx.Var) -> rx.Component:
        return rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.heading(value, size="6"),
            spacing="1",
            align="start",
        )

    return section_card(
        "Results, last 30 days",
        rx.grid(
            figure("Impressions", DashboardState.impressions),
            figure("Engagements", DashboardState.engagements),
            figure("Avg. engagement rate", DashboardState.engagement_rate),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            ~DashboardState.has_results,
            rx.text(
                "Figures appear the day after your first post is published; platforms "
                "that do not report a figure show —.",
                size="1",
                color_scheme="gray",
            ),
        ),
        actions=(rx.link("Analytics", href="/analytics", size="2"),),
    )


def _goal_line(goal: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.text(goal["name"], size="2", weight="medium"),
            rx.spacer(),
            rx.text(goal["message"], size="1", color=rx.color(goal["color"], 11)),
            width="100%",
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(goal["progress"] != "", percent_bar(goal["progress"], color=goal["color"])),
        spacing="1",
        width="100%",
    )


def _goals() -> rx.Component:
    return rx.cond(
        DashboardState.goals.length() > 0,
        section_card(
            "Goals",
            rx.foreach(DashboardState.goals, _goal_line),
            icon="target",
            actions=(rx.link("Scorecard", href="/analytics#goals", size="2"),),
        ),
    )


def _reconnect_callout() -> rx.Component:
    return rx.cond(
        DashboardState.accounts_need_reconnect > 0,
        rx.callout(
            rx.hstack(
                rx.text(
                    DashboardState.accounts_need_reconnect,
                    " connected account(s) need reconnecting before they can publish.",
                ),
                rx.link("Reconnect", href="/accounts", weight="bold"),
                spacing="2",
                wrap="wrap",
            ),
            icon="triangle-alert",
            color_scheme="orange",
            width="100%",
        ),
    )


_STATS = [
    ("Scheduled, next 7 days", DashboardState.scheduled_week, "calendar-clock", "/calendar"),
    ("Published, last 30 days", DashboardState.published_month, "send", "/content"),
    ("Needs attention", DashboardState.needs_attention, "triangle-alert", "/content", "orange"),
    ("Drafts to review", DashboardState.drafts, "file-pen-line", "/content", "gray"),
]


def _content() -> rx.Component:
    return rx.vstack(
        _reconnect_callout(),
        rx.cond(~DashboardState.setup_complete, _getting_started()),
        rx.grid(
            *[_stat(*args) for args in _STATS],
            columns=rx.breakpoints(initial="1", xs="2", md="4"),
            spacing="4",
            width="100%",
        ),
        rx.grid(
            _list_card(
                "Up next", DashboardState.upcoming,
                "Nothing scheduled yet. Approve drafts in Content or drag them onto the calendar.",
                False, "/calendar",
            ),
            _list_card(
                "Needs attention", DashboardState.attention,
                "All clear: no failed posts.", True, "/content",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _results(),
        _goals(),
        spacing="4",
        width="100%",
    )  # fmt: skip


def _loading() -> rx.Component:
    return rx.vstack(
        rx.skeleton(height="120px", width="100%"),
        rx.grid(
            *[rx.skeleton(height="72px", width="100%") for _ in range(4)],
            columns=rx.breakpoints(initial="1", xs="2", md="4"),
            spacing="4",
            width="100%",
        ),
        rx.skeleton(height="220px", width="100%"),
        spacing="4",
        width="100%",
    )


@rx.page(route="/dashboard", title="Dashboard · AI Growth Manager")
def dashboard_page() -> rx.Component:
    return app_shell(
        rx.box(
            page_header(
                "Dashboard",
                rx.cond(
                    DashboardState.business_name != "",
                    DashboardState.business_name,
                    "Your marketing at a glance",
                ),
            ),
            rx.cond(
                DashboardState.loading,
                _loading(),
                rx.cond(
                    DashboardState.has_business,
                    _content(),
                    empty_state(
                        "sprout",
                        "Tell us about your business",
                        "Describe what you do, who you serve and what you want to achieve; "
                        "the strategy and your first posts follow from it.",
                        rx.link(rx.button("Start onboarding", size="3"), href="/onboarding"),
                    ),
                ),
            ),
            on_mount=DashboardState.load,
            width="100%",
        )
    )
