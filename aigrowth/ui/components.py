"""Small building blocks every page uses, so pages look alike."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui import theme


def logo_mark() -> rx.Component:
    return rx.center(
        rx.icon("sprout", size=18, color="white"),
        width="28px",
        height="28px",
        min_width="28px",
        border_radius="8px",
        background=rx.color(theme.ACCENT, 9),
    )


def logo(size: str = "4") -> rx.Component:
    return rx.hstack(
        logo_mark(),
        rx.text("AI Growth Manager", weight="bold", size=size, white_space="nowrap"),
        align="center",
        spacing="2",
    )


def page_header(title: str, subtitle: str = "", *actions: rx.Component) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="7", weight="bold"),
            rx.cond(subtitle != "", rx.text(subtitle, color_scheme="gray", size="3")),
            spacing="1",
            align="start",
        ),
        rx.hstack(*actions, spacing="2", wrap="wrap"),
        justify="between",
        align="end",
        wrap="wrap",
        spacing="3",
        width="100%",
        margin_bottom=theme.GAP_SECTION,
    )


def icon_disc(icon: str) -> rx.Component:
    """A large icon on a soft accent circle: the picture of an empty or finished state."""
    return rx.center(
        rx.icon(icon, size=28, color=rx.color(theme.ACCENT, 11)),
        width="56px",
        height="56px",
        border_radius="50%",
        background=rx.color(theme.ACCENT, 3),
    )


def empty_state(
    icon: str, title: str, text: str, action: rx.Component | None = None
) -> rx.Component:
    return rx.card(
        rx.vstack(
            icon_disc(icon),
            rx.heading(title, size="5", text_align="center"),
            rx.text(text, color_scheme="gray", text_align="center", max_width="460px"),
            action if action is not None else rx.fragment(),
            align="center",
            spacing="3",
            padding_y=theme.space(7),
            padding_x=theme.space(4),
        ),
        width="100%",
    )


def platform_name(platform: rx.Var | str) -> rx.Var | str:
    """The platform's display name ("linkedin" → "LinkedIn"), for Vars too."""
    if isinstance(platform, str):
        return theme.PLATFORM_LABELS.get(platform, platform)
    return rx.match(platform, *theme.PLATFORM_LABELS.items(), platform)


def platform_badge(platform: rx.Var | str) -> rx.Component:
    return rx.badge(
        platform_name(platform),
        color_scheme=rx.match(platform, *theme.PLATFORM_COLORS.items(), "gray"),
        variant="soft",
    )


def status_badge(status: rx.Var | str) -> rx.Component:
    return rx.badge(
        rx.match(status, ("needs_attention", "needs attention"), status),
        color_scheme=rx.match(status, *theme.STATUS_COLORS.items(), "gray"),
        variant="surface",
    )


# ---------------------------------------------------------------------------- shared patterns
# Generic pieces that capability pages kept writing again (dialogs, labelled fields,
# toolbars, section cards). Style props take CSS values (theme.space), never bare "4".


def action_button(icon: str, label: rx.Var | str, **props) -> rx.Component:
    """A button with a small leading icon, the way every toolbar shows its actions."""
    return rx.button(rx.icon(icon, size=14), label, **props)


def confirm_dialog(
    title: rx.Var | str,
    description: rx.Var | str | tuple,
    *,
    confirm_label: str,
    on_confirm: rx.EventHandler,
    open: rx.Var | bool,
    on_open_change: rx.EventHandler,
    cancel_label: str = "Cancel",
    color_scheme: str = "red",
    on_cancel: rx.EventHandler | None = None,
) -> rx.Component:
    """Ask before a destructive or far-reaching action; the dialog is driven by a state flag.

    ``description`` may be a tuple of parts (text and Vars) shown as one paragraph.
    """
    parts = description if isinstance(description, tuple) else (description,)
    cancel_props = {"on_click": on_cancel} if on_cancel is not None else {}
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(*parts, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(cancel_label, variant="soft", color_scheme="gray", **cancel_props)
                ),
                rx.alert_dialog.action(
                    rx.button(confirm_label, color_scheme=color_scheme, on_click=on_confirm)
                ),
                spacing="3",
                justify="end",
                margin_top=theme.space(4),
            ),
        ),
        open=open,
        on_open_change=on_open_change,
    )


def labelled(
    label: str, control: rx.Component, *, hint: str = "", width: str | list[str] = "100%"
) -> rx.Component:
    """A small grey label above a form control (filters, compact forms)."""
    return rx.vstack(
        rx.text(label, size="1", weight="medium", color_scheme="gray"),
        control,
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        spacing="1",
        width=width,
    )


def select_menu(
    value: rx.Var | str,
    on_change: rx.EventHandler,
    options: list[tuple[str, str]] | rx.Var,
    *,
    label: str,
    all_option: tuple[str, str] | None = None,
    placeholder: str = "",
    width: str | list[str] = "100%",
    **props,
) -> rx.Component:
    """A select from (value, text) pairs, or from a Var list of strings (value = text).

    ``all_option`` puts a first "no filter" choice, e.g. ("all", "All platforms");
    ``width`` is the trigger's (the part that shows).
    """
    items: list[rx.Component] = []
    if all_option is not None:
        items.append(rx.select.item(all_option[1], value=all_option[0]))
    if isinstance(options, rx.Var):
        items.append(rx.foreach(options, lambda o: rx.select.item(o, value=o)))
    else:
        items.extend(rx.select.item(text, value=val) for val, text in options)
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder or label, aria_label=label, width=width),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        **props,
    )


def toolbar(*children: rx.Component, align: str = "center", **props) -> rx.Component:
    """A row of controls that wraps on narrow screens (filters, actions)."""
    props.setdefault("spacing", "3")
    props.setdefault("width", "100%")
    return rx.flex(*children, wrap="wrap", align=align, **props)


def section_card(
    title: rx.Var | str,
    *children: rx.Component,
    icon: str = "",
    subtitle: rx.Var | str = "",
    actions: tuple[rx.Component, ...] = (),
    **props,
) -> rx.Component:
    """A card with a heading (optional icon, subtitle and actions on the right)."""
    heading = rx.flex(
        rx.hstack(  # the icon stays beside a title that wraps
            rx.icon(icon, size=18, color=rx.color(theme.ACCENT, 11), flex_shrink="0")
            if icon
            else rx.fragment(),
            rx.heading(title, size="4"),
            spacing="2",
            align="center",
        ),
        *((rx.spacer(), *actions) if actions else ()),
        spacing="2",
        align="center",
        wrap="wrap",
        width="100%",
    )
    shown = isinstance(subtitle, rx.Var) or bool(subtitle)
    sub = rx.text(subtitle, size="2", color_scheme="gray") if shown else rx.fragment()
    props.setdefault("width", "100%")
    return rx.card(
        rx.vstack(heading, sub, *children, spacing="3", width="100%", align="start"), **props
    )


def loading_block(label: str = "Loading…") -> rx.Component:
    """What a page shows while its data arrives (anything slower than a blink)."""
    return rx.center(
        rx.hstack(
            rx.spinner(size="3"),
            rx.text(label, size="2", color_scheme="gray"),
            spacing="2",
            align="center",
        ),
        padding=theme.space(7),
        width="100%",
        role="status",
    )


def line_clamp(lines: int) -> dict[str, str]:
    """Style for text cut to ``lines`` lines with an ellipsis."""
    return {
        "display": "-webkit-box",
        "-webkit-line-clamp": str(lines),
        "-webkit-box-orient": "vertical",
        "overflow": "hidden",
    }


def pager(
    label: rx.Var | str,
    *,
    on_prev: rx.EventHandler,
    on_next: rx.EventHandler,
    has_prev: rx.Var | bool,
    has_next: rx.Var | bool,
) -> rx.Component:
    """Previous/next buttons with a "Page 2 of 5" label, for paged lists."""
    return rx.flex(
        rx.text(label, size="1", color_scheme="gray"),
        rx.spacer(),
        rx.button(
            rx.icon("chevron-left", size=14),
            "Previous",
            on_click=on_prev,
            disabled=~has_prev if isinstance(has_prev, rx.Var) else not has_prev,
            variant="soft",
        ),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=14),
            on_click=on_next,
            disabled=~has_next if isinstance(has_next, rx.Var) else not has_next,
            variant="soft",
        ),
        spacing="2",
        align="center",
        width="100%",
    )


def form_field(
    label: str,
    control: rx.Component,
    *,
    html_for: str = "",
    hint: str = "",
    error: rx.Var | None = None,
) -> rx.Component:
    """A form control under its label, with an optional hint and the field's own error.

    ``html_for`` ties the label to the control's id (screen readers, click to focus);
    ``error`` is a message Var shown in red under the control when it is not empty.
    """
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=html_for or None),
        control,
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        rx.fragment()
        if error is None
        else rx.cond(error != "", rx.text(error, color_scheme="red", size="2", role="alert")),
        spacing="1",
        width="100%",
        align="start",
    )


def error_callout(message: rx.Var, *, icon: str = "triangle-alert", **props) -> rx.Component:
    """A red callout with the message of a failed action; nothing while the message is ""."""
    props.setdefault("width", "100%")
    return rx.cond(
        message != "",
        rx.callout(message, icon=icon, color_scheme="red", role="alert", **props),
    )


def job_progress(
    message: rx.Var | str, percent: rx.Var | int, *extra: rx.Component, **props
) -> rx.Component:
    """A running background job: spinner, what it is doing and how far it got."""
    return rx.vstack(
        rx.hstack(rx.spinner(size="2"), rx.text(message, size="2"), spacing="2"),
        rx.progress(value=percent, width="100%"),
        *extra,
        width="100%",
        spacing="2",
        **props,
    )


def percent_bar(percent: rx.Var | str, *, color: rx.Var | str = theme.ACCENT) -> rx.Component:
    """A thin progress bar from a percentage held as text ("0".."100"), e.g. a goal's
    progress in a list of string dicts (rx.progress needs a number)."""
    return rx.box(
        rx.box(
            height="100%",
            width=percent + "%",
            background=rx.color(color, 9),
            border_radius="999px",
        ),
        height="8px",
        width="100%",
        background=rx.color(theme.GRAY, 4),
        border_radius="999px",
        overflow="hidden",
        role="progressbar",
        aria_valuenow=percent,
        aria_valuemin="0",
        aria_valuemax="100",
    )
