"""Operations and notifications in Chromium.

- An admin sees /ops with live queue/worker/scheduler figures and opens the RQ
  dashboard (mounted behind the admin session).
- A signed-in non-admin has no Operations entry, gets "Operators only" on /ops and a
  404 from the dashboard.
- A post the platform refuses (through the live worker and a Mastodon fake) rings the
  bell; its notification opens the post in the editor.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from aigrowth.accounts import service as accounts
from aigrowth.accounts.models import User
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.settings import reset_settings_cache
from aigrowth.social import vault
from aigrowth.social.models import SocialAccount
from tests.e2e.helpers import app_db, assert_fits_width, screenshot, sign_in, unique_email
from tests.fakes.mastodon import MastodonFake


def _user(live_app, *, admin: bool, name: str) -> tuple[User, str]:  # type: ignore[no-untyped-def]
    """A user with the admin flag set explicitly (the live DB is shared by e2e tests,
    so "first user is admin" depends on test order) and a session token."""
    with app_db(live_app) as db:
        user = accounts.create_user(
            unique_email(name), "maple syrup pancakes", session=db, full_name=name.title()
        )
        user.is_admin = admin
        db.add(user)
        db.add(Business(user_id=user.id, name="Kumo Tea", onboarding_completed=True))
        db.commit()
        return user, accounts.create_session(user.id, session=db)


def test_admin_sees_operations_and_opens_the_rq_dashboard(live_app, browser_page) -> None:
    _, token = _user(live_app, admin=True, name="olga")
    page = browser_page
    sign_in(page, live_app, token)
    page.goto("/dashboard")
    page.get_by_role("link", name="Operations").click()
    page.wait_for_url("**/ops")
    page.get_by_role("heading", name="Operations").wait_for()
    # The live app's worker registers with Redis and the scheduler beats every 15 s.
    workers = page.locator("#ops-workers")
    deadline = time.monotonic() + 60
    while workers.inner_text().strip() in ("", "0") and time.monotonic() < deadline:
        page.get_by_role("button", name="Refresh").click()
        time.sleep(2)
    assert int(workers.inner_text()) >= 1
    assert re.fullmatch(r"\d+ s ago", page.locator("#ops-heartbeat").inner_text().strip())
    for queue in ("publish", "default", "ai", "analytics"):
        assert page.locator(f"#ops-queue-{queue}").is_visible()
    screenshot(page, "ops-light")

    link = page.get_by_role("link", name="Open RQ dashboard")
    assert link.get_attribute("href").endswith("/ops/rq/")
    with page.context.expect_page() as opened:
        link.click()
    dashboard = opened.value
    dashboard.wait_for_load_state()
    assert dashboard.url.endswith("/ops/rq/")
    assert "RQ dashboard" in dashboard.title()
    dashboard.get_by_text("publish").first.wait_for()
    screenshot(dashboard, "ops-rq-dashboard")
    dashboard.close()

    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/ops")
    page.locator("#ops-queue-publish").wait_for()
    screenshot(page, "ops-phone-dark")
    assert_fits_width(page)


def test_non_admin_gets_no_operations_page(live_app, browser_page) -> None:
    _, token = _user(live_app, admin=False, name="nina")
    page = browser_page
    sign_in(page, live_app, token)
    page.goto("/dashboard")
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_role("link", name="Operations").count() == 0
    page.goto("/ops")
    page.get_by_role("heading", name="Operators only").wait_for()
    assert page.locator("#ops-workers").count() == 0
    assert page.locator("#ops-queue-publish").count() == 0
    screenshot(page, "ops-non-admin")
    # The dashboard itself: 404 for a non-admin, sign-in for nobody.
    cookies = {accounts.SESSION_COOKIE: token}
    assert httpx.get(f"{live_app.url}/ops/rq/", cookies=cookies).status_code == 404
    anonymous = httpx.get(f"{live_app.url}/ops/rq/", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]


@pytest.fixture
def mastodon(live_app, monkeypatch):  # type: ignore[no-untyped-def]
    """A Mastodon instance the live worker can reach (ALLOW_PRIVATE_NETWORK=1 there),
    and this process set to encrypt tokens with the live app's key."""
    key = (Path(live_app.data_dir) / "encryption_key").read_text().strip()
    monkeypatch.setenv("ENCRYPTION_KEY", key)
    reset_settings_cache()
    with MastodonFake() as fake:
        yield fake
    monkeypatch.delenv("ENCRYPTION_KEY")
    reset_settings_cache()


def test_failed_post_rings_the_bell_and_opens_the_post(live_app, browser_page, mastodon) -> None:
    user, token = _user(live_app, admin=False, name="fatima")
    mastodon.faults.fail_before(
        1,
        status=422,
        body={"error": "Validation failed: Text character limit of 500 exceeded"},
        path="/api/v1/statuses",
        method="POST",
    )
    issued = mastodon.oauth.issue()
    with app_db(live_app) as db:
        business = db.exec(select(Business).where(Business.user_id == user.id)).one()
        account = SocialAccount(
            user_id=user.id,
            business_id=business.id,
            platform="mastodon",
            account_id=mastodon.account["id"],
            handle=f"founder@{mastodon.domain}",
            instance_url=mastodon.base_url,
        )
        account.access_token_enc = vault.encrypt(account.id, issued["access_token"])
        db.add(account)
        db.flush()
        post = Content(
            business_id=business.id,
            social_account_id=account.id,
            platform="mastodon",
            title="Spring tea tasting",
            text="Join our spring tea tasting this Saturday.",
            status=ContentStatus.SCHEDULED,
            scheduled_for=utcnow() - timedelta(seconds=1),
        )
        db.add(post)
        db.commit()
        post_id = post.id

    # The live scheduler dispatches it, the worker publishes, Mastodon refuses it.
    deadline = time.monotonic() + 90
    status = ""
    while time.monotonic() < deadline:
        with app_db(live_app) as db:
            status = db.get(Content, post_id).status
        if status == ContentStatus.FAILED:
            break
        time.sleep(1)
    assert status == ContentStatus.FAILED, live_app.log_tail()
    assert len(mastodon.calls_to("/api/v1/statuses", "POST")) == 1

    page = browser_page
    sign_in(page, live_app, token)
    page.goto("/dashboard")
    count = page.locator("#notification-count")
    count.wait_for()
    assert count.inner_text() == "1"
    assert page.locator("#notification-bell").get_attribute("aria-label") == (
        "Notifications, 1 unread"
    )
    page.locator("#notification-bell").click()
    item = page.locator(".notification-item", has_text="A Mastodon post was not published")
    item.wait_for()
    screenshot(page, "notifications-bell-open")
    item.click()
    page.wait_for_url(f"**/content/{post_id}")
    page.get_by_text("Opening the post").wait_for(state="hidden")
    # The editor shows the post and why it failed.
    assert page.get_by_role("textbox").first.input_value() == (
        "Join our spring tea tasting this Saturday."
    )
    reason = "Mastodon refused this post: Validation failed: Text character limit of 500 exceeded"
    assert page.get_by_text(reason).is_visible()
    assert page.locator("#notification-count").count() == 0  # read now
    screenshot(page, "notification-opened-post")

    # The list keeps it (read) with the same way back to the post; phone width, dark.
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/notifications")
    row = page.locator(".notification-row", has_text="A Mastodon post was not published")
    row.wait_for()
    assert row.get_by_text("New").count() == 0
    assert page.get_by_role("button", name="Mark all read").count() == 0  # nothing unread
    screenshot(page, "notifications-phone-dark")
    assert_fits_width(page)
    row.get_by_role("button", name="Open post").click()
    page.wait_for_url(f"**/content/{post_id}")
