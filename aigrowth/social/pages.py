"""Accounts page: one card per platform, with its connected accounts and health.

Configured platforms offer Connect (Mastodon asks for the server, Bluesky for handle +
app password); unconfigured ones say which settings to add and where to register the
app. Each connected account shows name, avatar, health in plain words, last
successful publish, and Reconnect / Disconnect (with a confirmation).
"""

from __future__ import annotations

import reflex as rx

from aigrowth.platforms import PLATFORMS
from aigrowth.shell import app_shell
from aigrowth.social.connectors.base import get_connector
from aigrowth.social.service import _DESCRIPTIONS
from aigrowth.social.state import APP_PASSWORD_FIELD
from aigrowth.social.state import SocialAccountsState as S
from aigrowth.ui import theme
from aigrowth.ui.components import page_header

_ICONS = {
    "x": "message-square",
    "linkedin": "briefcase",
    "facebook": "users",
    "instagram": "camera",
    "threads": "at-sign",
    "bluesky": "cloud",
    "mastodon": "message-circle",
}


def _register_url(platform: str) -> str:
    try:
        return get_connector(platform).register_url
    except (ImportError, AttributeError, KeyError):
        return ""


def _health_badge(acc: rx.Var) -> rx.Component:
    return rx.badge(
        acc["health_label"],
        color_scheme=rx.match(acc["health"], ("active", "green"), ("expiring", "amber"), "red"),
        variant="soft",
        size="2",
    )


def _account_row(acc: rx.Var) -> rx.Component:
    unhealthy = acc["health"] != "active"
    return rx.box(
        rx.flex(
            rx.hstack(
                rx.avatar(src=acc["avatar_url"], fallback=acc["initials"], size="3", radius="full"),
                rx.vstack(
                    rx.text(acc["display_name"], weight="bold", size="3", trim="both"),
                    rx.cond(
                        acc["handle"] != acc["display_name"],
                        rx.text(
                            acc["handle"],
                            color_scheme="gray",
                            size="2",
                            title=acc["handle"],
                            max_width="100%",
                            overflow="hidden",
                            text_overflow="ellipsis",
                            white_space="nowrap",
                        ),
                    ),
                    spacing="1",
                    align="start",
                    min_width="0",
                ),
                spacing="3",
                align="center",
                min_width="0",
            ),
            rx.spacer(),
            _health_badge(acc),
            spacing="3",
            align="center",
            width="100%",
        ),
        rx.cond(
            acc["reason"] != "",
            rx.callout(
                acc["reason"],
                icon="triangle-alert",
                color_scheme=rx.cond(acc["health"] == "expiring", "amber", "red"),
                size="1",
                margin_top=theme.space(2),
            ),
        ),
        rx.flex(
            rx.text("Last post: ", acc["last_published"], size="1", color_scheme="gray"),
            rx.spacer(),
            rx.hstack(
                rx.button(
                    rx.icon("refresh-cw", size=14),
                    "Reconnect",
                    size="1",
                    variant=rx.cond(unhealthy, "solid", "soft"),
                    on_click=S.reconnect(acc["id"]),
                    loading=S.busy == acc["platform"],
                ),
                rx.button(
                    rx.icon("unplug", size=14),
                    "Disconnect",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.ask_disconnect(acc["id"]),
                    loading=S.busy == acc["id"],
                ),
                spacing="2",
            ),
            align="center",
            wrap="wrap",
            spacing="2",
            margin_top=theme.space(2),
        ),
        padding=theme.space(3),
        border_radius="8px",
        border=f"1px solid {rx.color(theme.GRAY, 5)}",
        width="100%",
    )


def _not_configured(platform: str) -> rx.Component:
    url = _register_url(platform)
    return rx.callout.root(
        rx.callout.icon(rx.icon("settings")),
        rx.callout.text(
            "Not set up on this server yet. The operator adds ",
            rx.code(S.settings_needed[platform]),
            " to the environment (.env) and restarts. ",
            rx.cond(
                S.redirect_uris[platform] != "",
                rx.fragment(
                    "Register this redirect URI with the app: ",
                    rx.code(S.redirect_uris[platform], word_break="break-all"),
                    ". ",
                ),
            ),
            rx.link("Create the app here", href=url, is_external=True) if url else "",
            ".",
            size="2",
        ),
        color_scheme="gray",
        size="1",
        width="100%",
    )


def _input(label: str, value: rx.Var, on_change: rx.EventHandler, **props) -> rx.Component:
    """A labelled (for screen readers) text input bound to a state var."""
    return rx.input(value=value, on_change=on_change, aria_label=label, size="2", **props)


def _mastodon_form() -> rx.Component:
    return rx.form(
        rx.flex(
            _input(
                "Mastodon server",
                S.instance_url,
                S.set_instance_url,
                placeholder="mastodon.social",
                name="instance",
                flex="1",
                min_width="180px",
            ),
            rx.button("Connect", type="submit", loading=S.busy == "mastodon", size="2"),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        rx.text(
            "Your server's address; you sign in there and come back.",
            size="1",
            color_scheme="gray",
            margin_top=theme.space(1),
        ),
        on_submit=lambda _form: S.connect_mastodon(),
        width="100%",
    )


def _bluesky_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _input(
                "Bluesky handle",
                S.bsky_handle,
                S.set_bsky_handle,
                placeholder="alice.bsky.social",
                auto_complete="username",
                width="100%",
            ),
            # Uncontrolled on purpose: the password goes to the server once, with the
            # submission, and is never held in (or sent back from) the UI state.
            rx.input(
                id=APP_PASSWORD_FIELD,
                name=APP_PASSWORD_FIELD,
                aria_label="App password",
                placeholder="xxxx-xxxx-xxxx-xxxx",
                type="password",
                auto_complete="off",
                size="2",
                width="100%",
            ),
            rx.text(
                "Use an app password, not your main password: Bluesky → Settings → Privacy "
                "and security → ",
                rx.link(
                    "App passwords",
                    href="https://bsky.app/settings/app-passwords",
                    is_external=True,
                ),
                ". It looks like xxxx-xxxx-xxxx-xxxx.",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                S.bsky_advanced,
                _input(
                    "PDS URL",
                    S.bsky_pds,
                    S.set_bsky_pds,
                    placeholder="https://bsky.social (your own PDS, optional)",
                    width="100%",
                ),
                rx.link(
                    "Self-hosted PDS?",
                    size="1",
                    on_click=S.toggle_bsky_advanced,
                    href="#",
                    underline="always",
                ),
            ),
            rx.button("Connect", type="submit", loading=S.busy == "bluesky", size="2"),
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=S.connect_bluesky,
        width="100%",
    )


def _connect_area(platform: str) -> rx.Component:
    if platform == "mastodon":
        action = _mastodon_form()
    elif platform == "bluesky":
        action = _bluesky_form()
    else:
        action = rx.button(
            rx.icon("plus", size=16),
            "Connect",
            on_click=S.connect(platform),
            loading=S.busy == platform,
            size="2",
        )
    if platform == "linkedin":
        action = rx.flex(
            action,
            rx.button(
                rx.icon("building-2", size=16),
                "Connect a company page",
                on_click=S.connect_linkedin_pages,
                loading=S.busy == "linkedin:page",
                variant="soft",
                size="2",
            ),
            spacing="2",
            wrap="wrap",
        )
    return rx.cond(S.configured[platform], action, _not_configured(platform))


def _platform_card(platform: str) -> rx.Component:
    label = theme.PLATFORM_LABELS[platform]
    color = theme.PLATFORM_COLORS[platform]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.center(
                    rx.icon(_ICONS[platform], size=20, color=rx.color(color, 11)),
                    width="36px",
                    height="36px",
                    border_radius="10px",
                    background=rx.color(color, 3),
                    flex_shrink="0",
                ),
                rx.vstack(
                    rx.heading(label, size="4"),
                    rx.text(_DESCRIPTIONS[platform], size="2", color_scheme="gray"),
                    spacing="0",
                    align="start",
                ),
                spacing="3",
                align="center",
            ),
            rx.foreach(
                S.accounts,
                lambda acc: rx.cond(acc["platform"] == platform, _account_row(acc)),
            ),
            _connect_area(platform),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        id=f"platform-{platform}",
    )


def _confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Disconnect ", S.confirm_label, "?"),
            rx.alert_dialog.description(
                "We revoke our access at the platform and delete the stored tokens. "
                "Posts planned for this account keep their text, but you will need to "
                "pick an account for them again before they can be published.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Cancel", variant="soft", color_scheme="gray", on_click=S.cancel_disconnect
                    )
                ),
                rx.alert_dialog.action(
                    rx.button("Disconnect", color_scheme="red", on_click=S.confirm_disconnect)
                ),
                spacing="3",
                justify="end",
                margin_top=theme.space(4),
            ),
        ),
        open=S.confirm_open,
        on_open_change=lambda _open: S.cancel_disconnect(),
    )


@rx.page(route="/accounts", title="Accounts · AI Growth Manager", on_load=S.load)
def accounts_page() -> rx.Component:
    return app_shell(
        page_header("Accounts", "Connect the social accounts you publish to"),
        rx.cond(
            S.loaded,
            rx.grid(
                *[_platform_card(p) for p in PLATFORMS],
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="48px", width="100%"),
        ),
        _confirm_dialog(),
    )
