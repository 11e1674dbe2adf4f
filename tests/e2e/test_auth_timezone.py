"""Sign-up takes the browser's time zone; unconfigured sign-in providers are not offered."""

from __future__ import annotations

import httpx
from sqlmodel import Session

from aigrowth.accounts import service
from aigrowth.db import make_engine
from tests.e2e.helpers import screenshot, unique_email
from tests.e2e.signup_support import submit_sign_up

PASSWORD = "copper kettle evening"


def test_sign_up_stores_the_browser_time_zone(live_app, browser) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 860},
        base_url=live_app.url,
        timezone_id="Asia/Tokyo",  # (Chromium reports Kolkata as its old name, Calcutta)
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        email = unique_email("tz")
        page.goto("/signup")
        # The page shows the zone it read from the browser (Intl API) before sending it.
        page.get_by_text("Asia/Tokyo").wait_for()
        submit_sign_up(page, "Yuki", email, PASSWORD)
        page.wait_for_function(
            "() => document.querySelector('#check-inbox') || location.pathname !== '/signup/'"
        )
        engine = make_engine(live_app.env["DATABASE_URL"])
        try:
            with Session(engine) as db:
                user = service.get_user_by_email(email, session=db)
        finally:
            engine.dispose()
        assert user is not None and user.timezone == "Asia/Tokyo"
    finally:
        context.close()


def test_sign_in_providers_without_credentials_are_not_offered(live_app, browser_page) -> None:
    page = browser_page
    for path in ("/login", "/signup"):
        page.goto(path)
        page.get_by_label("Email").wait_for()
        assert page.locator("#oauth-providers").count() == 0
        assert page.get_by_text("Continue with Google").count() == 0
    screenshot(page, "auth-signup-no-providers")
    for provider in ("google", "github"):
        resp = httpx.get(f"{live_app.url}/auth/oauth/{provider}/start", timeout=10)
        assert resp.status_code == 404
