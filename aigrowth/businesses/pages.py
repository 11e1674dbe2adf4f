"""/onboarding: the five-step wizard (business, audience, goals, platforms + tone, strategy).

Each step is a form: "Continue" validates and saves it on the server, so a reload
resumes at the same step with everything typed so far.
"""

from __future__ import annotations

import reflex as rx

from aigrowth.businesses.service import GOAL_METRICS, INDUSTRIES, TONE_PRESETS
from aigrowth.businesses.state import STEP_TITLES, OnboardingState
from aigrowth.ui import theme
from aigrowth.ui.components import page_header
from aigrowth.ui.layout import app_shell

PLATFORM_CHOICES = list(theme.PLATFORM_LABELS.items())


def _error(field: str) -> rx.Component:
    return rx.cond(
        OnboardingState.errors.contains(field),
        rx.text(OnboardingState.errors[field], color_scheme="red", size="2", role="alert"),
    )


def _field(label: str, control: rx.Component, field: str, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium"),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray"))
        if hint
        else rx.fragment(),
        _error(field),
        spacing="1",
        width="100%",
        align="start",
    )


def _stepper() -> rx.Component:
    def item(index: int, title: str) -> rx.Component:
        number = index + 1
        reached = OnboardingState.max_step >= number
        current = OnboardingState.step == number
        return rx.button(
            rx.center(
                rx.text(str(number), size="1", weight="bold"),
                width="22px",
                height="22px",
                border_radius="50%",
                background=rx.cond(current, rx.color(theme.ACCENT, 9), rx.color(theme.GRAY, 4)),
                color=rx.cond(current, "white", rx.color(theme.GRAY, 11)),
            ),
            rx.text(title, size="2", display=["none", "none", "inline"]),
            variant="ghost",
            color_scheme=rx.cond(current, theme.ACCENT, "gray"),
            disabled=~reached,
            on_click=OnboardingState.go_to(number),
            aria_label=f"Step {number}: {title}",
        )

    return rx.flex(
        *[item(i, t) for i, t in enumerate(STEP_TITLES)],
        gap="4",
        wrap="wrap",
        width="100%",
        margin_bottom="4",
    )


def _actions(label: str = "Continue") -> rx.Component:
    return rx.hstack(
        rx.cond(
            OnboardingState.step > 1,
            rx.button(
                "Back",
                type="button",
                variant="soft",
                color_scheme="gray",
                on_click=OnboardingState.back,
            ),
        ),
        rx.spacer(),
        rx.button(label, type="submit", id="wizard-continue", size="3"),
        width="100%",
        padding_top="2",
    )


def _step_basics() -> rx.Component:
    return rx.vstack(
        _field(
            "Business name",
            rx.input(
                name="name",
                default_value=OnboardingState.name,
                placeholder="Acme Studio",
                max_length=200,
                width="100%",
            ),
            "name",
        ),
        _field(
            "Industry",
            rx.select(
                INDUSTRIES,
                name="industry",
                default_value=OnboardingState.industry,
                placeholder="Choose your industry",
                width="100%",
            ),
            "industry",
        ),
        _field(
            "What do you do?",
            rx.text_area(
                name="description",
                default_value=OnboardingState.description,
                placeholder="What you sell, to whom, and what makes you different.",
                rows="5",
                width="100%",
            ),
            "description",
            "The AI builds the strategy and every post from this.",
        ),
        _field(
            "Website (optional)",
            rx.input(
                name="website",
                default_value=OnboardingState.website,
                placeholder="https://example.com",
                width="100%",
            ),
            "website",
        ),
        _actions(),
        spacing="4",
        width="100%",
    )


def _step_audience() -> rx.Component:
    return rx.vstack(
        _field(
            "Who do you want to reach?",
            rx.text_area(
                name="target_audience",
                default_value=OnboardingState.target_audience,
                placeholder="e.g. Freelance designers in Europe who struggle to get paid on time",
                rows="4",
                width="100%",
            ),
            "target_audience",
        ),
        _field(
            "Where are they? (optional)",
            rx.input(
                name="location",
                default_value=OnboardingState.location,
                placeholder="e.g. Germany, remote, worldwide",
                width="100%",
            ),
            "location",
        ),
        _field(
            "What are their problems? (optional)",
            rx.text_area(name="pains", default_value=OnboardingState.pains, rows="3", width="100%"),
            "pains",
        ),
        _actions(),
        spacing="4",
        width="100%",
    )


def _goal_row(index: int) -> rx.Component:
    goal = OnboardingState.goals[index]
    return rx.vstack(
        rx.flex(
            rx.select.root(
                rx.select.trigger(placeholder="Metric", width="100%"),
                rx.select.content(
                    *[rx.select.item(label, value=key) for key, label in GOAL_METRICS.items()]
                ),
                name=f"goal_metric_{index}",
                default_value=goal["metric"],
            ),
            rx.input(
                name=f"goal_target_{index}",
                default_value=goal["target"],
                placeholder="Target, e.g. 1000",
                inputmode="numeric",
                aria_label=f"Goal {index + 1} target",
            ),
            rx.input(
                name=f"goal_by_{index}",
                default_value=goal["by"],
                type="date",
                aria_label=f"Goal {index + 1} date",
            ),
            display="grid",
            grid_template_columns=["1fr", "1fr", "2fr 1fr 1fr"],
            gap="2",
            width="100%",
        ),
        _error(f"goal_{index}"),
        spacing="1",
        width="100%",
    )


def _step_goals() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Set 1 to 3 goals with a target and, if you have one, a date. "
            "The strategy's KPIs follow them.",
            size="2",
            color_scheme="gray",
        ),
        *[_goal_row(i) for i in range(3)],
        _error("goals"),
        _actions(),
        spacing="4",
        width="100%",
    )


def _step_channels() -> rx.Component:
    return rx.vstack(
        _field(
            "Where do you want to grow?",
            rx.grid(
                *[
                    rx.card(
                        rx.checkbox(
                            label,
                            name=f"platform_{key}",
                            default_checked=OnboardingState.platforms.contains(key),
                            size="2",
                        ),
                        size="1",
                    )
                    for key, label in PLATFORM_CHOICES
                ],
                columns=rx.breakpoints(initial="2", sm="3", md="4"),
                gap="2",
                width="100%",
            ),
            "platforms",
        ),
        _field(
            "Tone",
            rx.radio_group.root(
                rx.flex(
                    *[
                        rx.text(
                            rx.flex(rx.radio_group.item(value=key), label, gap="2", align="center"),
                            as_="label",
                            size="2",
                        )
                        for key, label in TONE_PRESETS.items()
                    ],
                    direction="column",
                    gap="2",
                ),
                name="tone",
                default_value=OnboardingState.tone,
            ),
            "tone",
        ),
        _field(
            "Or describe your voice in your own words (optional)",
            rx.text_area(
                name="brand_voice",
                default_value=OnboardingState.brand_voice,
                placeholder="e.g. Straight-talking, a bit nerdy, never salesy",
                rows="2",
                width="100%",
            ),
            "brand_voice",
        ),
        _actions(),
        spacing="4",
        width="100%",
    )


def _step_generate() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Everything is saved. The AI now writes your marketing strategy: platforms and why, "
            "content pillars, posting cadence, tone of voice and KPIs tied to your goals.",
            size="3",
        ),
        rx.cond(
            OnboardingState.generating,
            rx.vstack(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text(OnboardingState.gen_message, size="2"),
                    spacing="2",
                ),
                rx.progress(value=OnboardingState.gen_percent, width="100%"),
                rx.text(
                    "You can leave this page; the strategy keeps being written.",
                    size="1",
                    color_scheme="gray",
                ),
                width="100%",
                spacing="2",
                id="strategy-progress",
            ),
        ),
        rx.cond(
            OnboardingState.gen_error != "",
            rx.callout(
                OnboardingState.gen_error,
                icon="triangle-alert",
                color_scheme="red",
                width="100%",
                role="alert",
            ),
        ),
        rx.cond(
            OnboardingState.has_strategy & ~OnboardingState.generating,
            rx.callout(
                "Your strategy is ready.",
                icon="circle-check",
                color_scheme="green",
                width="100%",
            ),
        ),
        rx.hstack(
            rx.button("Back", variant="soft", color_scheme="gray", on_click=OnboardingState.back),
            rx.spacer(),
            rx.cond(
                OnboardingState.has_strategy & ~OnboardingState.generating,
                rx.hstack(
                    rx.button(
                        "Write a new version",
                        variant="soft",
                        on_click=OnboardingState.generate,
                    ),
                    rx.link(
                        rx.button("See your strategy", size="3", id="see-strategy"),
                        href="/strategy",
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.button(
                    rx.icon("sparkles", size=16),
                    "Generate my strategy",
                    size="3",
                    id="generate-strategy",
                    on_click=OnboardingState.generate,
                    loading=OnboardingState.generating,
                ),
            ),
            width="100%",
            wrap="wrap",
            gap="2",
        ),
        spacing="4",
        width="100%",
    )


def _wizard() -> rx.Component:
    step = OnboardingState.step
    return rx.card(
        rx.vstack(
            _stepper(),
            rx.heading(OnboardingState.step_title, size="5"),
            rx.cond(
                step == 5,
                _step_generate(),
                rx.form(
                    rx.match(
                        step,
                        (1, _step_basics()),
                        (2, _step_audience()),
                        (3, _step_goals()),
                        _step_channels(),
                    ),
                    on_submit=OnboardingState.submit_step,
                    reset_on_submit=False,
                    key=OnboardingState.form_key,
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        width="100%",
        max_width="760px",
        size="3",
    )


@rx.page(route="/onboarding", title="Set up your business · AI Growth Manager")
def onboarding_page() -> rx.Component:
    return app_shell(
        rx.box(
            page_header(
                "Set up your business",
                "Five short steps; everything is saved as you go.",
            ),
            _wizard(),
            on_mount=OnboardingState.load,
            width="100%",
        )
    )
