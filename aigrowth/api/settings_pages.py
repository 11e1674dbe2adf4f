"""The "API keys" card of the Settings page (create, copy once, list, revoke)."""

from __future__ import annotations

import reflex as rx

from aigrowth.api.settings_state import ApiKeysState
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
