"""Small pieces of UI the content studio's screens share."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui import theme

# Phones: fields two to a row (toolbar gap is space 3) so the content starts higher up;
# natural width from tablets up.
HALF_WIDTH = [f"calc(50% - {theme.space(3)} / 2)", "auto"]


def job_note(label: rx.Var, hint: str, note_id: str) -> rx.Component:
    """A running background job (AI rewrite, fill the gaps): spinner, progress, reassurance."""
    return rx.callout.root(
        rx.callout.icon(rx.spinner(size="1")),
        rx.callout.text(rx.text.span(label, weight="medium"), " · ", hint),
        color_scheme=theme.ACCENT,
        size="1",
        width="100%",
        role="status",
        id=note_id,
    )
