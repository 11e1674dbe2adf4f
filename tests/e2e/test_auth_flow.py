"""Sign-up → confirm by mail → app → sign out → protected page → sign in → back."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import expect
from sqlmodel import Session

from aigrowth.accounts import service
from aigrowth.accounts.service import SESSION_COOKIE
from aigrowth.db import make_engine
from tests.e2e.helpers import screenshot, unique_email
from tests.e2e.signup_support import (
    confirm_sign_up,
    ensure_an_account_exists,
    mail_link,
    submit_sign_in,
    submit_sign_up,
)

PASSWORD = "copper kettle morning"


def _at(*paths: str):
    """The prod build serves pages with a trailing slash (/dashboard/)."""
    return lambda url: urlparse(url).path.rstrip("/") in paths


def test_sign_up_sign_out_and_back_in(live_app, browser_page) -> None:
    page = browser_page
    ensure_an_account_exists(live_app)
    email = unique_email()

    # A protected page sends a visitor to sign-in, remembering where they were going.
    page.goto("/settings")
    page.wait_for_url(_at("/login"))
    assert "next=/settings" in page.url

    # Sign up: the answer is "check your inbox" (same for a taken address).
    page.goto("/signup")
    submit_sign_up(page, "Grace Hopper", email, PASSWORD)
    page.locator("#check-inbox").wait_for()
    assert email in page.locator("#check-inbox").inner_text()
    screenshot(page, "auth-signup-check-inbox")

    # The confirmation link (from the outbox: no SMTP here) asks for the password chosen
    # at sign-up, then signs the founder in. (A new founder may be sent on from the
    # dashboard to onboarding.)
    page.goto(mail_link(live_app, email, "/verify"))
    page.locator("#verify-form").wait_for()
    screenshot(page, "auth-verify-password")
    page.get_by_label("The password you chose").fill("not what I chose")
    page.locator("#verify-form button[type=submit]").click()
    page.get_by_role("alert").wait_for()
    confirm_sign_up(page, live_app, email, PASSWORD)
    page.wait_for_url(_at("/dashboard", "/onboarding"))
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies[SESSION_COOKIE]["httpOnly"] is True
    assert cookies[SESSION_COOKIE]["sameSite"] == "Lax"
    assert SESSION_COOKIE not in page.evaluate("document.cookie")

    # A reload keeps the session.
    page.goto("/settings")
    page.wait_for_url(_at("/settings"))
    page.reload()
    page.locator("#sessions").wait_for()
    assert urlparse(page.url).path.rstrip("/") == "/settings"
    page.locator("#user-menu").click()
    page.get_by_text(email).wait_for()
    screenshot(page, "auth-user-menu")

    # Sign out: the cookie is gone and the server forgot the session.
    page.locator("#sign-out").click()
    page.wait_for_url(_at("/login"))
    page.get_by_text("You're signed out").wait_for()
    assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}

    page.goto("/settings")
    page.wait_for_url(_at("/login"))
    assert "next=/settings" in page.url

    # A wrong password gets a clear message; the right one returns to /settings.
    submit_sign_in(page, email, "not my password")
    page.get_by_role("alert").wait_for()
    assert "don't match" in page.get_by_role("alert").inner_text()
    screenshot(page, "auth-login-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(_at("/settings"))
    page.locator("#sessions").wait_for()
    assert SESSION_COOKIE in {c["name"] for c in page.context.cookies()}


def test_settings_password_change_signs_out_other_devices(live_app, browser, browser_page) -> None:
    page = browser_page
    email = unique_email("settings")
    engine = make_engine(live_app.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            user = service.create_user(email, PASSWORD, session=db, full_name="Lin")
            other_token = service.create_session(user.id, session=db, user_agent="Old phone")
    finally:
        engine.dispose()

    page.goto("/login?next=/settings")
    submit_sign_in(page, email, PASSWORD)
    page.wait_for_url(_at("/settings"))
    sessions = page.locator("#sessions")
    sessions.get_by_text("This device").wait_for()
    # The other device is listed with its own "Sign out" button.
    assert sessions.get_by_role("button", name="Sign out", exact=True).count() == 1

    page.get_by_label("Current password", exact=True).nth(1).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a fresh new phrase")
    page.get_by_label("Repeat new password").fill("a fresh new phrase")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("other session(s) were signed out").wait_for()
    page.get_by_text("This is your only signed-in device.").wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.reload()
    page.locator("#sessions").wait_for()
    # Every Settings form and the sessions list fit a phone screen.
    overflow = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('form, #sessions')]
            .map(e => e.getBoundingClientRect().right - window.innerWidth))"""
    )
    screenshot(page, "auth-settings-phone-dark")

    engine = make_engine(live_app.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            assert service.user_id_for_token(other_token, session=db) is None
    finally:
        engine.dispose()
    assert overflow <= 1


def test_email_change_is_confirmed_from_the_new_inbox(live_app, browser_page) -> None:
    page = browser_page
    email, new_email = unique_email("mover"), unique_email("moved")
    engine = make_engine(live_app.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            service.create_user(email, PASSWORD, session=db, full_name="Mo")
    finally:
        engine.dispose()

    page.goto("/login?next=/settings")
    submit_sign_in(page, email, PASSWORD)
    page.wait_for_url(_at("/settings"))
    page.locator("#sign-ins").get_by_text("No Google or GitHub sign-in is linked.").wait_for()
    page.get_by_label("Email").fill(new_email)
    page.get_by_label("Current password", exact=True).first.fill(PASSWORD)
    page.get_by_role("button", name="Change email").click()
    page.locator("#email-pending").wait_for()
    assert new_email in page.locator("#email-pending").inner_text()
    screenshot(page, "auth-settings-email-pending")
    # Nothing changed yet: the header still shows the old address.
    page.locator("#user-menu").click()
    page.get_by_text(email).wait_for()
    page.keyboard.press("Escape")

    page.goto(mail_link(live_app, new_email, "/confirm-email"))
    page.locator("#confirm-email").click()
    page.locator("#email-confirmed").wait_for()
    screenshot(page, "auth-email-confirmed")
    page.goto("/settings")
    page.wait_for_url(_at("/settings"))
    # The tab's state still holds the old address until the page's load event ran.
    expect(page.get_by_label("Email")).to_have_value(new_email)
