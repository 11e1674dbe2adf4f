"""Dashboard in Chromium: a founder sees what goes out next, what broke, and the checklist."""

from __future__ import annotations

from datetime import timedelta

from aigrowth.accounts import service as accounts
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content
from aigrowth.dbtypes import utcnow
from tests.e2e.helpers import app_db, assert_fits_width, screenshot, sign_in, unique_email


def test_dashboard_shows_upcoming_attention_and_next_steps(live_app, browser_page) -> None:
    with app_db(live_app) as db:
        user = accounts.create_user(
            unique_email("dash"), "maple syrup pancakes", session=db, timezone="Asia/Tokyo"
        )
        business = Business(user_id=user.id, name="Kumo Tea", onboarding_completed=True)
        db.add(business)
        db.flush()
        db.add_all([
            Content(business_id=business.id, platform="bluesky", status="scheduled",
                    text="Matcha Monday: three ways to whisk",
                    scheduled_for=utcnow() + timedelta(hours=5)),
            Content(business_id=business.id, platform="threads", status="failed",
                    text="Our tea garden tour", last_error="Threads rejected the token: reconnect"),
            Content(business_id=business.id, platform="x", text="A draft"),
        ])  # fmt: skip
        db.commit()
        token = accounts.create_session(user.id, session=db)

    page = browser_page
    sign_in(page, live_app, token)
    page.goto("/dashboard")
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_text("Matcha Monday: three ways to whisk").wait_for()
    page.get_by_text("Threads rejected the token: reconnect").wait_for()
    # Getting started: described + posts + scheduled done; strategy and account to do.
    page.get_by_text("3 of 5 done").wait_for()
    assert page.get_by_role("button", name="Connect").is_visible()
    screenshot(page, "dashboard-light")

    page.get_by_text("Matcha Monday").click()
    page.wait_for_url("**/content/*")

    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/dashboard")
    page.get_by_text("Matcha Monday: three ways to whisk").wait_for()
    screenshot(page, "dashboard-phone-dark")
    assert_fits_width(page)
