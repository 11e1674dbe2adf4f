"""/billing: current plan and status, usage meters, plan comparison, Upgrade (Stripe
Checkout), Manage billing (Stripe Customer Portal), and "billing off" when unset."""

from __future__ import annotations

import reflex as rx

from aigrowth.billing.state import BillingState as S
from aigrowth.billing.state import MeterRow, PlanCard
from aigrowth.shell import app_shell
from aigrowth.ui import theme
from aigrowth.ui.components import (
    action_button,
    loading_block,
    page_header,
    section_card,
)


def _billing_off() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text(
                "Billing is not configured on this server: everyone uses the plan below, "
                "and no payment is taken.",
            ),
            rx.cond(
                S.is_admin,
                rx.vstack(
                    rx.text("To charge for plans, add these settings and restart:", size="2"),
                    rx.hstack(
                        rx.foreach(S.missing, lambda name: rx.code(name)),
                        wrap="wrap",
                        spacing="2",
                    ),
                    rx.text(
                        "Point the Stripe webhook at ",
                        rx.code("<API_URL>/api/v1/billing/webhook/stripe"),
                        " (README: Billing).",
                        size="2",
                    ),
                    spacing="2",
                    align="start",
                    id="billing-admin-settings",
                ),
            ),
            spacing="2",
            align="start",
        ),
        icon="info",
        color_scheme="gray",
        width="100%",
        id="billing-off",
    )


def _current() -> rx.Component:
    return section_card(
        "Current plan",
        rx.hstack(
            rx.heading(S.plan_label, size="6", id="billing-plan"),
            rx.cond(
                S.status_text != "",
                rx.badge(
                    S.status_text, color_scheme=S.status_color, variant="soft", id="billing-status"
                ),
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.cond(S.status_note != "", rx.text(S.status_note, size="2", color_scheme="gray")),
        rx.cond(
            S.confirming,
            rx.callout(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text("Payment made — confirming with Stripe…"),
                    spacing="2",
                    align="center",
                ),
                color_scheme="blue",
                width="100%",
                id="billing-confirming",
                role="status",
            ),
        ),
        rx.cond(
            S.confirmed_text != "",
            rx.callout(
                S.confirmed_text,
                icon="circle-check",
                color_scheme="green",
                width="100%",
                id="billing-confirmed",
            ),
        ),
        rx.cond(
            S.enabled & S.has_customer,
            action_button(
                "external-link",
                "Manage billing",
                on_click=S.manage,
                loading=S.busy == "portal",
                disabled=S.busy != "",
                variant="soft",
                id="billing-manage",
            ),
        ),
        icon="credit-card",
        subtitle=rx.cond(
            S.enabled & S.has_customer,
            "Payment method, invoices and cancelling are in Manage billing.",
            "",
        ),
    )


def _meter(m: MeterRow) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.text(m["label"], size="2"),
            rx.spacer(),
            rx.text(
                m["used"].to_string() + " " + m["limit_text"],
                size="2",
                weight="medium",
                color=rx.cond(m["full"], rx.color("red", 11), rx.color(theme.GRAY, 12)),
            ),
            width="100%",
            wrap="wrap",
        ),
        rx.progress(value=m["percent"], color_scheme=rx.cond(m["full"], "red", theme.ACCENT)),
        spacing="1",
        width="100%",
    )


def _usage() -> rx.Component:
    return section_card(
        "Usage",
        rx.vstack(rx.foreach(S.meters, _meter), spacing="4", width="100%"),
        icon="gauge",
        subtitle="Monthly counts reset on the 1st (UTC).",
    )


def _plan_card(p: PlanCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(p["label"], size="5"),
                rx.cond(p["current"], rx.badge("Current", variant="surface")),
                spacing="2",
                align="center",
            ),
            rx.vstack(
                rx.foreach(
                    p["lines"],
                    lambda line: rx.hstack(
                        rx.icon("check", size=14, color=rx.color(theme.ACCENT, 11)),
                        rx.text(line, size="2"),
                        spacing="2",
                        align="center",
                    ),
                ),
                spacing="1",
                align="start",
            ),
            rx.cond(
                p["for_sale"] & ~p["current"] & ~S.subscribed,
                action_button(
                    "sparkles",
                    "Upgrade to " + p["label"],
                    on_click=S.upgrade(p["key"]),
                    loading=S.busy == p["key"],
                    disabled=S.busy != "",
                    width="100%",
                    id="billing-upgrade-" + p["key"],
                ),
            ),
            spacing="3",
            align="start",
            height="100%",
        ),
        flex="1 1 220px",
        id="billing-plan-" + p["key"],
    )


def _plans() -> rx.Component:
    return section_card(
        "Plans",
        rx.flex(rx.foreach(S.plan_cards, _plan_card), spacing="3", wrap="wrap", width="100%"),
        icon="layers",
        subtitle=rx.cond(
            S.subscribed,
            "To change plans, use Manage billing.",
            "Upgrading opens Stripe's secure checkout.",
        ),
    )


@rx.page(route="/billing", title="Billing · AI Growth Manager", on_load=S.load)
def billing_page() -> rx.Component:
    return app_shell(
        page_header("Billing", "Your plan, usage and payments"),
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.cond(~S.enabled, _billing_off()),
                _current(),
                _usage(),
                _plans(),
                spacing="4",
                width="100%",
            ),
            loading_block(),
        ),
    )
