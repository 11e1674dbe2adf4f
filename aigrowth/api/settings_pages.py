"""The "API keys" and "Webhooks" cards of the Settings page."""

from __future__ import annotations

import reflex as rx

from aigrowth.api import webhooks
from aigrowth.api.settings_state import ApiKeysState
from aigrowth.api.webhook_state import WebhooksState
from aigrowth.ui import theme
from aigrowth.ui.components import error_callout, form_field, section_card


def _new_key_callout() -> rx.Component:
    return rx.cond(
        ApiKeysState.new_key != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("key-round")),
            rx.vstack(
                rx.text(
                    "Your new key. Copy it now: it will not be shown again.",
                    size="2",
                    weight="medium",
                ),
                rx.flex(
                    rx.input(
                        value=ApiKeysState.new_key,
                        read_only=True,
                        id="new-api-key",
                        font_family="monospace",
                        flex_grow="1",
                        min_width="min(100%, 18rem)",
                        aria_label="New API key",
                    ),
                    rx.button(
                        rx.icon("copy", size=14),
                        "Copy",
                        on_click=[
                            rx.set_clipboard(ApiKeysState.new_key),
                            rx.toast.info("Copied."),
                        ],
                        variant="soft",
                    ),
                    rx.button("Done", on_click=ApiKeysState.dismiss_key, variant="ghost"),
                    spacing="2",
                    width="100%",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="green",
            width="100%",
        ),
    )


def _key_row(item: rx.Var) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(
                rx.text(item["name"], weight="medium", size="2"),
                rx.code(item["prefix"], size="1"),
                rx.badge(item["scope"], variant="soft"),
                rx.cond(item["revoked"] != "", rx.badge("Revoked", color_scheme="red")),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                "Created ",
                item["created"],
                " · last used ",
                item["last_used"],
                rx.cond(item["revoked"] != "", rx.fragment(" · revoked ", item["revoked"])),
                size="1",
                color_scheme="gray",
            ),
            spacing="0",
            min_width="0",
        ),
        rx.cond(
            item["revoked"] == "",
            rx.button(
                "Revoke",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=ApiKeysState.revoke(item["id"]),
                aria_label="Revoke " + item["name"],
            ),
        ),
        justify="between",
        align="center",
        spacing="3",
        wrap="wrap",
        width="100%",
        padding_y=theme.space(2),
        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
        class_name="api-key-row",
    )


def _create_form() -> rx.Component:
    return rx.form(
        rx.flex(
            form_field(
                "Name",
                rx.input(
                    id="api-key-name",
                    value=ApiKeysState.name,
                    on_change=ApiKeysState.set_name,
                    placeholder="e.g. Zapier",
                    width="100%",
                ),
                html_for="api-key-name",
            ),
            form_field(
                "Access",
                rx.select.root(
                    rx.select.trigger(id="api-key-scope", width="100%"),
                    rx.select.content(
                        rx.select.item("Read only", value="read"),
                        rx.select.item("Read and write", value="write"),
                    ),
                    value=ApiKeysState.scope,
                    on_change=ApiKeysState.set_scope,
                ),
                html_for="api-key-scope",
            ),
            rx.button(
                rx.icon("plus", size=14),
                "Create key",
                type="submit",
                loading=ApiKeysState.busy,
                id="create-api-key",
                flex_shrink="0",
            ),
            spacing="3",
            align="end",
            width="100%",
            direction=rx.breakpoints(initial="column", sm="row"),
        ),
        on_submit=lambda _data: ApiKeysState.create(),
        width="100%",
    )


def api_keys_section() -> rx.Component:
    """Settings card; loads its list when it mounts."""
    return section_card(
        "API keys",
        _new_key_callout(),
        _create_form(),
        error_callout(ApiKeysState.error),
        rx.cond(
            ApiKeysState.keys.length() > 0,
            rx.vstack(rx.foreach(ApiKeysState.keys, _key_row), spacing="0", width="100%"),
            rx.text("No keys yet.", size="2", color_scheme="gray"),
        ),
        rx.text(
            "Send a key as “Authorization: Bearer <key>”. Reference: ",
            rx.link(ApiKeysState.docs_url, href=ApiKeysState.docs_url, is_external=True),
            size="1",
            color_scheme="gray",
        ),
        icon="key-round",
        subtitle="Let scripts, n8n or Zapier plan and publish for you through the REST API.",
        on_mount=ApiKeysState.load,
        id="api-keys",
    )


# --------------------------------------------------------------------------- webhooks
def _delivery_row(d: rx.Var) -> rx.Component:
    color = rx.match(
        d["status"],
        ("succeeded", "green"),
        ("failed", "red"),
        ("retrying", "orange"),
        "gray",
    )
    return rx.flex(
        rx.badge(d["status"], color_scheme=color, variant="soft"),
        rx.text(d["event"], size="1", weight="medium"),
        rx.text(d["answer"], " · ", d["when"], size="1", color_scheme="gray"),
        rx.spacer(),
        rx.button(
            "Redeliver",
            size="1",
            variant="ghost",
            on_click=WebhooksState.redeliver(d["id"]),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
        width="100%",
        class_name="webhook-delivery",
    )


def _endpoint_row(e: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text(e["url"], size="2", weight="medium", word_break="break-all"),
                rx.text(e["events"], size="1", color_scheme="gray"),
                spacing="0",
                min_width="0",
            ),
            rx.button(
                "Remove",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=WebhooksState.remove(e["id"]),
            ),
            justify="between",
            align="center",
            spacing="3",
            width="100%",
        ),
        rx.cond(
            e["deliveries"].length() > 0,
            rx.vstack(rx.foreach(e["deliveries"], _delivery_row), spacing="1", width="100%"),
            rx.text("No deliveries yet.", size="1", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
        padding_y=theme.space(2),
        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
        class_name="webhook-endpoint",
    )


def _event_box(event: str) -> rx.Component:
    return rx.checkbox(
        event,
        checked=WebhooksState.events.contains(event),
        on_change=lambda on: WebhooksState.toggle_event(event, on),
        size="2",
    )


def webhooks_section() -> rx.Component:
    """Settings card: signed notifications to the user's own HTTPS endpoints."""
    return section_card(
        "Webhooks",
        rx.cond(
            WebhooksState.secret != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("key-round")),
                rx.vstack(
                    rx.text(
                        "Signing secret of the new endpoint (shown once):",
                        size="2",
                        weight="medium",
                    ),
                    rx.flex(
                        rx.code(WebhooksState.secret, id="webhook-secret", word_break="break-all"),
                        rx.button("Done", on_click=WebhooksState.dismiss_secret, variant="ghost"),
                        spacing="2",
                        align="center",
                        wrap="wrap",
                    ),
                    spacing="2",
                ),
                color_scheme="green",
                width="100%",
            ),
        ),
        rx.form(
            rx.vstack(
                form_field(
                    "Endpoint URL",
                    rx.input(
                        id="webhook-url",
                        value=WebhooksState.url,
                        on_change=WebhooksState.set_url,
                        placeholder="https://hooks.example.com/aigrowth",
                        width="100%",
                    ),
                    html_for="webhook-url",
                ),
                rx.flex(
                    *[_event_box(e) for e in webhooks.EVENTS],
                    spacing="3",
                    wrap="wrap",
                ),
                rx.button(
                    rx.icon("plus", size=14),
                    "Add endpoint",
                    type="submit",
                    loading=WebhooksState.busy,
                    id="add-webhook",
                ),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=lambda _data: WebhooksState.create(),
            width="100%",
        ),
        error_callout(WebhooksState.error),
        rx.vstack(rx.foreach(WebhooksState.endpoints, _endpoint_row), spacing="0", width="100%"),
        icon="webhook",
        subtitle="Get a signed POST when a post is published or fails, an account needs "
        "reconnecting or a new strategy is proposed. Failed deliveries are retried.",
        on_mount=WebhooksState.load,
        id="webhooks",
    )
