"""Sign-in, sign-up, password reset, email confirmation and the Settings page."""

from __future__ import annotations

import reflex as rx

from aigrowth.accounts.service import PASSWORD_MAX, PASSWORD_MIN
from aigrowth.accounts.state import (
    AuthState,
    ConfirmEmailState,
    ForgotState,
    LinkState,
    LoginState,
    ResetState,
    SettingsState,
    SignupState,
    VerifyState,
)
from aigrowth.api.settings_pages import api_keys_section, webhooks_section
from aigrowth.shell import app_shell
from aigrowth.ui import theme
from aigrowth.ui.components import error_callout, form_field, icon_disc, page_header, section_card
from aigrowth.ui.layout import public_shell

TITLE = "· AI Growth Manager"
PASSWORD_HINT = f"{PASSWORD_MIN} to {PASSWORD_MAX} characters. A short phrase is easy to remember."


# --------------------------------------------------------------------- building blocks
def _auth_card(title: str, subtitle: str, *children: rx.Component) -> rx.Component:
    return public_shell(
        rx.center(
            rx.card(
                rx.vstack(
                    rx.heading(title, size="6", weight="bold"),
                    rx.text(subtitle, color_scheme="gray", size="2"),
                    *children,
                    spacing="4",
                    width="100%",
                ),
                size="3",
                width="100%",
                max_width="420px",
            ),
            padding_x=theme.space(4),
            padding_y=[theme.space(6), theme.space(8), theme.space(9)],
            width="100%",
        )
    )


def _field(
    label: str, name: str, *, autocomplete: str, hint: str = "", **input_props
) -> rx.Component:
    """A labelled input whose id and form name are both ``name``."""
    input_props.setdefault("required", True)
    return form_field(
        label,
        rx.input(
            id=name, name=name, auto_complete=autocomplete, size="3", width="100%", **input_props
        ),
        html_for=name,
        hint=hint,
    )


def _email_field(**props) -> rx.Component:
    return _field("Email", "email", type="email", autocomplete="email", **props)


def _password_field(label: str = "Password", name: str = "password") -> rx.Component:
    """The password the user already has."""
    return _field(label, name, type="password", autocomplete="current-password")


def _new_password_field(label: str, name: str, *, repeat: bool = False) -> rx.Component:
    """A password being chosen: the rules as a hint, or (``repeat``) its confirmation."""
    if repeat:
        return _field(label, name, type="password", autocomplete="new-password")
    return _field(
        label,
        name,
        type="password",
        autocomplete="new-password",
        hint=PASSWORD_HINT,
        min_length=PASSWORD_MIN,
        max_length=PASSWORD_MAX,
    )


def _form(
    *fields: rx.Component,
    error: rx.Var,
    actions: tuple[rx.Component, ...],
    on_submit: rx.EventHandler,
    narrow: bool = False,
    **form_props,
) -> rx.Component:
    """Fields, the form's error, then its buttons; ``narrow`` for forms inside a wide card."""
    body = rx.vstack(
        *fields, error_callout(error, icon="circle-alert", size="1"), *actions, width="100%"
    )
    return rx.form(
        rx.box(body, width="100%", max_width="480px") if narrow else body,
        on_submit=on_submit,
        width="100%",
        **form_props,
    )


def _submit(label: str, loading: rx.Var, **props) -> rx.Component:
    return rx.button(label, type="submit", size="3", width="100%", loading=loading, **props)


def _forgot_link() -> rx.Component:
    return rx.flex(
        rx.link("Forgot your password?", href="/forgot", size="2"), justify="end", width="100%"
    )


def _switch_page(question: str, label: str, href: str) -> rx.Component:
    """The line under a sign-in or sign-up card that leads to the other one."""
    return rx.text(
        question,
        rx.link(label, href=href),
        size="2",
        color_scheme="gray",
        text_align="center",
        width="100%",
    )


def _dead_end(
    message: rx.Var | str, button: str, href: str, icon: str = "link-2-off"
) -> rx.Component:
    """A link that can no longer be used: say why and offer the one way on."""
    return rx.vstack(
        rx.callout(message, icon=icon, color_scheme="amber", width="100%"),
        rx.link(rx.button(button, size="3", width="100%"), href=href, width="100%"),
        width="100%",
    )


def _checking(size: str = "2") -> rx.Component:
    return rx.center(rx.spinner(size=size), width="100%", padding=theme.space(4))


# ------------------------------------------------------------- Google / GitHub buttons
_GOOGLE_PATHS = (
    ("#EA4335", "M24 9.5c3.54 0 6.71 1.22 9.21 3.6l6.85-6.85C35.9 2.38 30.47 0 24 0 14.62 0 "
     "6.51 5.38 2.56 13.22l7.98 6.19C12.43 13.72 17.74 9.5 24 9.5z"),
    ("#4285F4", "M46.98 24.55c0-1.57-.15-3.09-.38-4.55H24v9.02h12.94c-.58 2.96-2.26 5.48-4.78 "
     "7.18l7.73 6c4.51-4.18 7.09-10.36 7.09-17.65z"),
    ("#FBBC05", "M10.53 28.59c-.48-1.45-.76-2.99-.76-4.59s.27-3.14.76-4.59l-7.98-6.19C.92 "
     "16.46 0 20.12 0 24c0 3.88.92 7.54 2.56 10.78l7.97-6.19z"),
    ("#34A853", "M24 48c6.48 0 11.93-2.13 15.89-5.81l-7.73-6c-2.15 1.45-4.92 2.3-8.16 "
     "2.3-6.26 0-11.57-4.22-13.47-9.91l-7.98 6.19C6.51 42.62 14.62 48 24 48z"),
)  # fmt: skip
_GITHUB_PATH = (
    "M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 "
    "0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68"
    "-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78"
    "-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82"
    ".64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 "
    "2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 "
    "1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z"
)


def _google_logo() -> rx.Component:
    return rx.el.svg(
        *[rx.el.svg.path(d=d, fill=fill) for fill, d in _GOOGLE_PATHS],
        view_box="0 0 48 48",
        width="18",
        height="18",
        aria_hidden="true",
    )


def _github_logo() -> rx.Component:
    return rx.el.svg(
        rx.el.svg.path(d=_GITHUB_PATH, fill="currentColor", fill_rule="evenodd"),
        view_box="0 0 16 16",
        width="18",
        height="18",
        aria_hidden="true",
    )


def _provider_button(label: str, href: rx.Var, logo: rx.Component, test_id: str) -> rx.Component:
    """A real link (top-level navigation: the start route sets a cookie)."""
    return rx.cond(
        href != "",
        rx.button(
            rx.el.a(logo, rx.text(label, weight="medium"), href=href, id=test_id),
            as_child=True,
            variant="outline",
            color_scheme="gray",
            high_contrast=True,
            size="3",
            width="100%",
            style={"gap": "var(--space-3)", "cursor": "pointer"},
        ),
    )


def _provider_buttons(state: type) -> rx.Component:
    """Shown only when at least one provider is configured."""
    return rx.cond(
        state.oauth_any,
        rx.vstack(
            _provider_button(
                "Continue with Google", state.google_href, _google_logo(), "oauth-google"
            ),
            _provider_button(
                "Continue with GitHub", state.github_href, _github_logo(), "oauth-github"
            ),
            rx.flex(
                rx.separator(size="4", flex="1"),
                rx.text("or use your email", size="1", color_scheme="gray", white_space="nowrap"),
                rx.separator(size="4", flex="1"),
                align="center",
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
            id="oauth-providers",
        ),
    )


# ------------------------------------------------------------------------------ /login
@rx.page(route="/login", title=f"Sign in {TITLE}", on_load=LoginState.on_load)
def login_page() -> rx.Component:
    return _auth_card(
        "Welcome back",
        "Sign in to keep your marketing running.",
        rx.cond(
            LoginState.notice != "",
            rx.callout(LoginState.notice, icon="info", size="1", width="100%"),
        ),
        error_callout(LoginState.oauth_error, icon="circle-alert", size="1"),
        _provider_buttons(LoginState),
        _form(
            _email_field(placeholder="you@example.com"),
            _password_field(),
            _forgot_link(),
            error=LoginState.error,
            actions=(_submit("Sign in", LoginState.loading),),
            on_submit=LoginState.submit,
        ),
        _switch_page("New here? ", "Create an account", "/signup"),
    )


# ----------------------------------------------------------------------------- /signup
def _check_inbox(email: rx.Var, outbox_hint: rx.Var, again: rx.Component) -> rx.Component:
    return rx.vstack(
        icon_disc("mail-check"),
        rx.heading("Check your inbox", size="5"),
        rx.text(
            "We've sent a message to ",
            rx.text.strong(email),
            ". Open the link in it to continue.",
            color_scheme="gray",
            size="2",
        ),
        rx.cond(
            outbox_hint,
            rx.callout(
                "This server has no mail server set up: messages are written to the "
                "outbox folder inside its data directory (DATA_DIR/outbox) and to the "
                "server log.",
                icon="info",
                size="1",
                color_scheme="gray",
                width="100%",
            ),
        ),
        again,
        width="100%",
        id="check-inbox",
    )


@rx.page(route="/signup", title=f"Create your account {TITLE}", on_load=SignupState.on_load)
def signup_page() -> rx.Component:
    form = _form(
        _field(
            "Your name",
            "full_name",
            autocomplete="name",
            placeholder="Ada Lovelace",
            required=False,
            max_length=200,
        ),
        _email_field(placeholder="you@example.com"),
        _new_password_field("Password", "password"),
        error=SignupState.error,
        actions=(
            _submit("Create account", SignupState.loading),
            rx.text(
                "Your time zone: ",
                rx.text.strong(SignupState.browser_timezone),
                " (change it later in Settings).",
                size="1",
                color_scheme="gray",
            ),
        ),
        on_submit=SignupState.submit,
    )
    return _auth_card(
        "Create your account",
        "Your AI growth marketer is a minute away.",
        rx.cond(
            SignupState.sent_to != "",
            _check_inbox(
                SignupState.sent_to,
                SignupState.mail_in_outbox,
                rx.button("Use a different email", variant="soft", on_click=SignupState.start_over),
            ),
            rx.vstack(_provider_buttons(SignupState), form, spacing="4", width="100%"),
        ),
        _switch_page("Already have an account? ", "Sign in", "/login"),
    )


# ----------------------------------------------------------------------------- /forgot
@rx.page(route="/forgot", title=f"Reset your password {TITLE}", on_load=ForgotState.on_load)
def forgot_page() -> rx.Component:
    return _auth_card(
        "Forgot your password?",
        "Enter your email and we'll send you a link to choose a new one.",
        rx.cond(
            ForgotState.sent,
            rx.callout(
                "If an account uses that email, we've sent it a reset link. "
                "It expires in 30 minutes.",
                icon="mail-check",
                color_scheme="green",
                width="100%",
                id="reset-sent",
            ),
            _form(
                _email_field(placeholder="you@example.com"),
                error=ForgotState.error,
                actions=(_submit("Send reset link", ForgotState.loading),),
                on_submit=ForgotState.submit,
            ),
        ),
        rx.link("Back to sign in", href="/login", size="2"),
    )


# ------------------------------------------------------------------------------ /reset
@rx.page(route="/reset", title=f"Choose a new password {TITLE}", on_load=ResetState.on_load)
def reset_page() -> rx.Component:
    form = _form(
        _new_password_field("New password", "password"),
        _new_password_field("Repeat it", "confirm", repeat=True),
        error=ResetState.error,
        actions=(_submit("Save and sign in", ResetState.loading),),
        on_submit=ResetState.submit,
    )
    other_sign_ins = rx.cond(
        ResetState.other_sign_ins.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text("These sign-ins also open your account and stay linked:"),
                rx.foreach(ResetState.other_sign_ins, lambda item: rx.text.strong(item)),
                rx.text("Remove any you don't recognise in Settings after this."),
                spacing="1",
            ),
            icon="key-round",
            size="1",
            color_scheme="amber",
            width="100%",
            id="reset-other-sign-ins",
        ),
    )
    return _auth_card(
        "Choose a new password",
        "After this, every device signed in to your account is signed out.",
        rx.cond(
            ResetState.checked,
            rx.cond(
                ResetState.token_ok,
                rx.vstack(other_sign_ins, form, spacing="4", width="100%"),
                _dead_end(
                    "This reset link is invalid, already used or expired.",
                    "Get a new link",
                    "/forgot",
                ),
            ),
            _checking(),
        ),
    )


# ----------------------------------------------------------------------------- /verify
@rx.page(route="/verify", title=f"Confirm your email {TITLE}", on_load=VerifyState.on_load)
def verify_page() -> rx.Component:
    """The emailed link proves the inbox; the password proves who signed up."""
    form = _form(
        _password_field("The password you chose"),
        error=VerifyState.error,
        actions=(_submit("Confirm and sign in", VerifyState.loading),),
        on_submit=VerifyState.submit,
        id="verify-form",
    )
    return _auth_card(
        "Confirm your email",
        "Enter the password you chose when you signed up to finish.",
        rx.cond(
            VerifyState.checked,
            rx.cond(
                VerifyState.valid,
                form,
                _dead_end(
                    "This link is invalid, already used or expired. Sign up again to get a "
                    "new one, or sign in if you already confirmed.",
                    "Go to sign in",
                    "/login",
                ),
            ),
            _checking(),
        ),
    )


# ---------------------------------------------------------------------- /confirm-email
@rx.page(
    route="/confirm-email",
    title=f"Confirm your new email {TITLE}",
    on_load=ConfirmEmailState.on_load,
)
def confirm_email_page() -> rx.Component:
    """The link sent to a new address: one click applies the change."""
    ask = rx.vstack(
        rx.text(
            "You'll sign in with ", rx.text.strong(ConfirmEmailState.new_email), " from now on."
        ),
        error_callout(ConfirmEmailState.error, icon="circle-alert", size="1"),
        rx.button(
            "Use this email",
            size="3",
            width="100%",
            loading=ConfirmEmailState.loading,
            on_click=ConfirmEmailState.confirm,
            id="confirm-email",
        ),
        width="100%",
    )
    done = rx.vstack(
        icon_disc("mail-check"),
        rx.text("Done: you now sign in with ", rx.text.strong(ConfirmEmailState.done_email), "."),
        rx.link(rx.button("Continue", size="3", width="100%"), href="/settings", width="100%"),
        width="100%",
        id="email-confirmed",
    )
    return _auth_card(
        "Confirm your new email",
        "This finishes the change you asked for in Settings.",
        rx.cond(
            ConfirmEmailState.done_email != "",
            done,
            rx.cond(
                ConfirmEmailState.checked,
                rx.cond(
                    ConfirmEmailState.valid,
                    ask,
                    rx.cond(
                        ConfirmEmailState.error != "",
                        _dead_end(ConfirmEmailState.error, "Go to Settings", "/settings"),
                        _dead_end(
                            "This link is invalid, already used or expired. Ask for a new "
                            "one in Settings.",
                            "Go to Settings",
                            "/settings",
                        ),
                    ),
                ),
                _checking(),
            ),
        ),
    )


# ----------------------------------------------------------------------- /link-account
@rx.page(route="/link-account", title=f"Link your sign-in {TITLE}", on_load=LinkState.on_load)
def link_account_page() -> rx.Component:
    """A provider's verified email matches an existing account: prove it's yours."""
    form = _form(
        rx.text(
            "An account already uses ",
            rx.text.strong(LinkState.email),
            ". Enter its password to sign in with ",
            LinkState.provider_label,
            " from now on.",
            size="2",
        ),
        _password_field(),
        _forgot_link(),
        error=LinkState.error,
        actions=(
            _submit("Link and sign in", LinkState.loading),
            rx.button(
                "Cancel",
                type="button",
                variant="ghost",
                color_scheme="gray",
                size="2",
                width="100%",
                on_click=LinkState.cancel,
            ),
        ),
        on_submit=LinkState.submit,
        id="link-form",
    )
    no_password = rx.vstack(
        _dead_end(
            rx.text(
                "An account already uses ",
                rx.text.strong(LinkState.email),
                ", but it has no password: it signs in another way. Sign in the way you "
                "did before, or choose a password first.",
            ),
            "Choose a password",
            "/forgot",
            icon="info",
        ),
        rx.link("Back to sign in", href="/login", size="2"),
        width="100%",
    )
    expired = _dead_end(
        "This request expired or was opened in another browser. Start again from the sign-in page.",
        "Go to sign in",
        "/login",
    )
    return _auth_card(
        "Link your sign-in",
        "Use this sign-in method with the account you already have.",
        rx.cond(
            LinkState.checked,
            rx.cond(LinkState.valid, rx.cond(LinkState.has_password, form, no_password), expired),
            _checking(),
        ),
    )


# --------------------------------------------------------------------------- /settings
def _save_button(label: str, saving: str, **props) -> rx.Component:
    """A Settings form's submit button: it spins while ``SettingsState.saving == saving``."""
    return rx.button(label, type="submit", loading=SettingsState.saving == saving, **props)


def _timezone_field() -> rx.Component:
    """Typed with suggestions (every IANA zone), plus a one-click "this device's zone"."""
    return form_field(
        "Time zone",
        rx.fragment(
            rx.input(
                id="timezone",
                name="timezone",
                list="timezone-list",
                value=SettingsState.timezone,
                on_change=SettingsState.set_timezone,
                placeholder="Start typing, e.g. Europe/Paris",
                size="3",
                width="100%",
                auto_complete="off",
            ),
            rx.el.datalist(
                rx.foreach(SettingsState.timezone_options, lambda tz: rx.el.option(value=tz)),
                id="timezone-list",
            ),
            rx.cond(
                (SettingsState.browser_timezone != "")
                & (SettingsState.browser_timezone != SettingsState.timezone),
                rx.button(
                    rx.icon("locate", size=14),
                    "Use this device's time zone (",
                    SettingsState.browser_timezone,
                    ")",
                    variant="ghost",
                    size="1",
                    type="button",
                    on_click=SettingsState.use_browser_timezone,
                ),
            ),
        ),
        html_for="timezone",
    )


def _profile_section() -> rx.Component:
    return section_card(
        "Profile",
        _form(
            _field(
                "Name",
                "full_name",
                autocomplete="name",
                required=False,
                default_value=SettingsState.full_name,
                max_length=200,
            ),
            _timezone_field(),
            error=SettingsState.profile_error,
            actions=(_save_button("Save profile", "profile"),),
            on_submit=SettingsState.save_profile,
            narrow=True,
            key=SettingsState.email,
        ),
        subtitle="Your name and the time zone used for every date and schedule in the app.",
        size="2",
    )


def _no_password_yet(what: str) -> rx.Component:
    return rx.callout(
        f"Your account has no password yet: you sign in with Google or GitHub. {what}",
        icon="info",
        size="1",
        color_scheme="gray",
        width="100%",
    )


def _email_section() -> rx.Component:
    form = _form(
        _email_field(default_value=SettingsState.email),
        _password_field("Current password"),
        error=SettingsState.email_error,
        actions=(_save_button("Change email", "email", variant="soft"),),
        on_submit=SettingsState.change_email,
        narrow=True,
        key=SettingsState.form_key.to_string() + SettingsState.email,
    )
    pending = rx.cond(
        SettingsState.email_pending != "",
        rx.callout(
            rx.text(
                "We've sent a link to ",
                rx.text.strong(SettingsState.email_pending),
                ". Your email changes when you open it (within 24 hours).",
            ),
            icon="mail-check",
            size="1",
            color_scheme="green",
            width="100%",
            id="email-pending",
        ),
    )
    return section_card(
        "Email",
        pending,
        rx.cond(
            SettingsState.has_password,
            form,
            _no_password_yet("Choose a password below to change your email."),
        ),
        subtitle=(
            "You sign in with this address. Changing it needs your password and a link "
            "we send to the new address."
        ),
        size="2",
    )


def _list_row(what: rx.Component, action: rx.Component) -> rx.Component:
    """One line of a Settings list: what it is on the left, its button on the right."""
    return rx.flex(
        what,
        action,
        justify="between",
        align="center",
        spacing="3",
        wrap="wrap",
        width="100%",
        padding_y=theme.space(2),
        border_bottom=f"1px solid {rx.color(theme.GRAY, 4)}",
    )


def _row_button(label: str, on_click: rx.EventSpec) -> rx.Component:
    return rx.button(label, size="1", variant="soft", color_scheme="gray", on_click=on_click)


def _sign_in_row(item: rx.Var) -> rx.Component:
    return _list_row(
        rx.hstack(
            rx.icon("key-round", size=18),
            rx.text(item["label"], size="2", weight="medium"),
            align="center",
            min_width="0",
        ),
        _row_button("Remove", SettingsState.remove_sign_in(item["id"])),
    )


def _sign_ins_section() -> rx.Component:
    return section_card(
        "Google and GitHub sign-ins",
        rx.cond(
            SettingsState.sign_ins.length() > 0,
            rx.vstack(rx.foreach(SettingsState.sign_ins, _sign_in_row), spacing="0", width="100%"),
            rx.text("No Google or GitHub sign-in is linked.", size="2", color_scheme="gray"),
        ),
        subtitle=(
            "Each of these opens your account. Remove any you don't use; your last way "
            "to sign in always stays."
        ),
        size="2",
        id="sign-ins",
    )


def _password_section() -> rx.Component:
    form = _form(
        # For password managers: which account this new password belongs to.
        rx.el.input(
            type="text",
            name="username",
            auto_complete="username",
            value=SettingsState.email,
            read_only=True,
            hidden=True,
        ),
        _password_field("Current password", "current_password"),
        _new_password_field("New password", "new_password"),
        _new_password_field("Repeat new password", "confirm", repeat=True),
        error=SettingsState.password_error,
        actions=(_save_button("Change password", "password"),),
        on_submit=SettingsState.change_password,
        narrow=True,
        reset_on_submit=False,
        key=SettingsState.form_key.to_string(),
    )
    choose = rx.vstack(
        _no_password_yet("We'll email you a link to choose one (it proves the inbox is yours)."),
        rx.button(
            rx.icon("mail", size=16),
            "Email me a link",
            variant="soft",
            on_click=SettingsState.send_password_link,
            disabled=SettingsState.password_link_sent,
            id="send-password-link",
        ),
        width="100%",
    )
    return section_card(
        "Password",
        rx.cond(SettingsState.has_password, form, choose),
        subtitle="Changing it signs out every other device.",
        size="2",
    )


def _session_row(item: rx.Var) -> rx.Component:
    return _list_row(
        rx.hstack(
            rx.center(
                rx.icon("monitor-smartphone", size=18),
                width="36px",
                height="36px",
                border_radius="8px",
                background=rx.color(theme.GRAY, 3),
                flex_shrink="0",
            ),
            rx.vstack(
                rx.hstack(
                    rx.text(item["device"], weight="medium", size="2"),
                    rx.cond(
                        item["current"] != "",
                        rx.badge("This device", color_scheme="green", variant="soft"),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    item["ip"],
                    " · last active ",
                    item["last_seen"],
                    " · since ",
                    item["created"],
                    size="1",
                    color_scheme="gray",
                ),
                spacing="0",
                min_width="0",
            ),
            align="center",
            min_width="0",
        ),
        rx.cond(
            item["current"] == "",
            _row_button("Sign out", SettingsState.sign_out_session(item["id"])),
        ),
    )


def _sessions_section() -> rx.Component:
    return section_card(
        "Signed-in devices",
        rx.vstack(rx.foreach(SettingsState.sessions, _session_row), spacing="0", width="100%"),
        rx.cond(
            SettingsState.sessions.length() > 1,
            rx.button(
                rx.icon("log-out", size=16),
                "Sign out of other sessions",
                variant="soft",
                color_scheme="red",
                loading=SettingsState.saving == "sessions",
                on_click=SettingsState.sign_out_others,
                id="sign-out-others",
            ),
            rx.text("This is your only signed-in device.", size="2", color_scheme="gray"),
        ),
        subtitle="Every browser where you're signed in. Sessions end after 30 days without use.",
        size="2",
        id="sessions",
    )


@rx.page(route="/settings", title=f"Settings {TITLE}", on_load=SettingsState.on_load)
def settings_page() -> rx.Component:
    return app_shell(
        page_header("Settings", "Your profile, time zone and security"),
        rx.vstack(
            _profile_section(),
            _email_section(),
            _password_section(),
            _sign_ins_section(),
            _sessions_section(),
            api_keys_section(),
            webhooks_section(),
            rx.cond(
                AuthState.is_admin,
                rx.text(
                    "You are an administrator of this installation.", size="1", color_scheme="gray"
                ),
            ),
            spacing=theme.GAP,
            width="100%",
        ),
    )
