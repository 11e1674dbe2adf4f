"""/onboarding: the five-step wizard (business, audience, goals, platforms + tone, strategy).

Each step is a form: "Continue" validates and saves it on the server, so a reload
resumes at the same step with everything typed so far.
"""

from __future__ import annotations

import reflex as rx

from aigrowth.businesses.service import GOAL_METRICS, INDUSTRIES, TONE_PRESETS
from aigrowth.businesses.state import STEP_TITLES, OnboardingState
from aigrowth.shell import app_shell
from aigrowth.ui import theme
from aigrowth.ui.components import error_callout, form_field, job_progress, page_header

PLATFORM_CHOICES = list(theme.PLATFORM_LABELS.items())


def _error(field: str) -> rx.Var:
    """The server's message for one field ("" when it is fine)."""
    errors = OnboardingState.errors
    return rx.cond(errors.contains(field), errors[field], "")


def _error_line(field: str) -> rx.Component:
    """A message that belongs to no single control (a goal row, the goals as a whole)."""
    message = _error(field)
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="2", role="alert"))


def _field(label: str, control: rx.Component, field: str, hint: str = "") -> rx.Component:
    return form_field(label, control, hint=hint, error=_error(field))


def _text_field(label: str, name: str, *, rows: int = 0, hint: str = "", **props) -> rx.Component:
    """An input (a text area of ``rows`` lines) named after, and filled from, a state var."""
    if rows:
        props["rows"] = str(rows)
    control = (rx.text_area if rows else rx.input)(
        name=name, default_value=getattr(OnboardingState, name), width="100%", **props
    )
    return _field(label, control, name, hint)


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
        *[item(i, t) for i, t in enumerate(STEP_TITLES)], spacing="4", wrap="wrap", width="100%"
    )


def _back_button(**props) -> rx.Component:
    return rx.button(
        "Back",
        variant="soft",
        color_scheme="gray",
        size="3",
        on_click=OnboardingState.back,
        **props,
    )


def _form_step(*children: rx.Component) -> rx.Component:
    """Steps 1-4: the step's fields, then Back and Continue (which saves the step)."""
    actions = rx.hstack(
        rx.cond(OnboardingState.step > 1, _back_button(type="button")),
        rx.spacer(),
        rx.button("Continue", type="submit", id="wizard-continue", size="3"),
        width="100%",
    )
    return rx.vstack(*children, actions, spacing="4", width="100%")


def _step_basics() -> rx.Component:
    return _form_step(
        _text_field("Business name", "name", placeholder="Acme Studio", max_length=200),
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
        _text_field(
            "What do you do?",
            "description",
            rows=5,
            placeholder="What you sell, to whom, and what makes you different.",
            hint="The AI builds the strategy and every post from this.",
        ),
        _text_field("Website (optional)", "website", placeholder="https://example.com"),
    )


def _step_audience() -> rx.Component:
    return _form_step(
        _text_field(
            "Who do you want to reach?",
            "target_audience",
            rows=4,
            placeholder="e.g. Freelance designers in Europe who struggle to get paid on time",
        ),
        _text_field(
            "Where are they? (optional)", "location", placeholder="e.g. Germany, remote, worldwide"
        ),
        _text_field("What are their problems? (optional)", "pains", rows=3),
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
            spacing="2",
            width="100%",
        ),
        _error_line(f"goal_{index}"),
        spacing="1",
        width="100%",
    )


def _step_goals() -> rx.Component:
    return _form_step(
        rx.text(
            "Set 1 to 3 goals with a target and, if you have one, a date. "
            "The strategy's KPIs follow them.",
            size="2",
            color_scheme="gray",
        ),
        *[_goal_row(i) for i in range(3)],
        _error_line("goals"),
    )


def _step_channels() -> rx.Component:
    platforms = rx.grid(
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
        spacing="2",
        width="100%",
    )
    tones = rx.radio_group.root(
        rx.flex(
            *[
                rx.text(
                    rx.flex(rx.radio_group.item(value=key), label, spacing="2", align="center"),
                    as_="label",
                    size="2",
                )
                for key, label in TONE_PRESETS.items()
            ],
            direction="column",
            spacing="2",
        ),
        name="tone",
        default_value=OnboardingState.tone,
    )
    return _form_step(
        _field("Where do you want to grow?", platforms, "platforms"),
        _field("Tone", tones, "tone"),
        _text_field(
            "Or describe your voice in your own words (optional)",
            "brand_voice",
            rows=2,
            placeholder="e.g. Straight-talking, a bit nerdy, never salesy",
        ),
    )


def _step_generate() -> rx.Component:
    ready = OnboardingState.has_strategy & ~OnboardingState.generating
    return rx.vstack(
        rx.text(
            "Everything is saved. The AI now writes your marketing strategy: platforms and why, "
            "content pillars, posting cadence, tone of voice and KPIs tied to your goals.",
            size="3",
        ),
        rx.cond(
            OnboardingState.generating,
            job_progress(
                OnboardingState.gen_message,
                OnboardingState.gen_percent,
                rx.text(
                    "You can leave this page; the strategy keeps being written.",
                    size="1",
                    color_scheme="gray",
                ),
                id="strategy-progress",
            ),
        ),
        error_callout(OnboardingState.gen_error),
        rx.cond(
            ready,
            rx.callout(
                "Your strategy is ready.", icon="circle-check", color_scheme="green", width="100%"
            ),
        ),
        rx.hstack(
            _back_button(),
            rx.spacer(),
            rx.cond(
                ready,
                rx.hstack(
                    rx.button(
                        "Write a new version", variant="soft", on_click=OnboardingState.generate
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
            spacing="2",
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
        id="wizard",
        custom_attrs={"data-loads": OnboardingState.loads},
    )


@rx.page(route="/onboarding", title="Set up your business · AI Growth Manager")
def onboarding_page() -> rx.Component:
    return app_shell(
        rx.box(
            page_header("Set up your business", "Five short steps; everything is saved as you go."),
            _wizard(),
            on_mount=OnboardingState.load,
            width="100%",
        )
    )
