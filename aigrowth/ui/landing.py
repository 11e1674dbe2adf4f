"""The public landing page: what the product does, in a founder's words."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui import theme
from aigrowth.ui.layout import public_shell

FEATURES: list[tuple[str, str, str]] = [
    ("compass", "A strategy, not just posts",
     "Describe your business, audience and goals. Get platforms, content pillars, cadence, "
     "tone and KPIs written for you."),
    ("sparkles", "Drafts that follow the plan",
     "Batches of posts spread across your pillars and platforms, each checked against the "
     "platform's own limits before you see it."),
    ("calendar-days", "A calendar in your time zone",
     "Drag posts around a month or week view. 09:00 stays 09:00 across daylight-saving "
     "changes."),
    ("send", "Published on time, exactly once",
     "LinkedIn, X, Facebook, Instagram, Threads, Bluesky and Mastodon. No silent failures, "
     "no double posts: every attempt is tracked."),
    ("chart-line", "Results pulled back daily",
     "Impressions, engagement and clicks per post and per pillar, so you see what works."),
    ("server", "Yours to host",
     "One VM, SQLite and an embedded Redis by default; PostgreSQL and more workers when you "
     "grow."),
]  # fmt: skip

PLATFORMS = ["LinkedIn", "X", "Facebook", "Instagram", "Threads", "Bluesky", "Mastodon"]


def _feature(icon: str, title: str, text: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=20, color=rx.color(theme.ACCENT, 11)),
                width="40px",
                height="40px",
                border_radius="10px",
                background=rx.color(theme.ACCENT, 3),
            ),
            rx.heading(title, size="4"),
            rx.text(text, color_scheme="gray", size="2"),
            spacing="3",
            align="start",
        ),
        size="3",
    )


@rx.page(route="/", title="AI Growth Manager: your AI growth marketer")
def landing() -> rx.Component:
    return public_shell(
        rx.vstack(
            rx.badge("Self-hosted · open to any LLM", variant="soft", size="2"),
            rx.heading(
                "Your growth marketer, on autopilot",
                size=rx.breakpoints(initial="8", md="9"),
                text_align="center",
                weight="bold",
            ),
            rx.text(
                "Tell AI Growth Manager about your business. It writes your marketing "
                "strategy, drafts the posts, schedules them on a calendar, publishes them to "
                "your social accounts on time and shows you what works.",
                size="4",
                color_scheme="gray",
                text_align="center",
                max_width="680px",
            ),
            rx.hstack(
                rx.link(rx.button("Start free", size="3"), href="/signup"),
                rx.link(rx.button("Sign in", size="3", variant="outline"), href="/login"),
                spacing="3",
            ),
            rx.flex(
                *[rx.badge(name, variant="outline", color_scheme="gray") for name in PLATFORMS],
                wrap="wrap",
                spacing="2",
                justify="center",
            ),
            spacing="5",
            align="center",
            padding_top=[theme.space(8), theme.space(9)],
            padding_bottom=theme.space(8),
            padding_x=theme.space(4),
            max_width="900px",
            margin_x="auto",
        ),
        rx.grid(
            *[_feature(*feature) for feature in FEATURES],
            columns=rx.breakpoints(initial="1", sm="2", md="3"),
            spacing="4",
            max_width=theme.CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x=theme.PAGE_PADDING_X,
            padding_bottom=theme.space(9),
        ),
    )
