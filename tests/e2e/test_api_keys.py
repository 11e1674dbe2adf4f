"""API keys and webhooks in Chromium: create a read-and-write key in Settings, copy it
from the page, use it from here to schedule a draft through /api/v1, see the post on the
calendar; revoke it and the next API call is refused. Register a webhook endpoint in
Settings, get a signed post.published from the live worker, see the delivery, redeliver.
Screenshots in test-artifacts/.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa

from aigrowth.accounts import service as accounts
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content
from aigrowth.dbtypes import utcnow
from aigrowth.social.models import SocialAccount
from tests.e2e.helpers import app_db, assert_fits_width, screenshot, sign_in, unique_email
from tests.fakes.webhook_receiver import WebhookReceiver

TZ = "Europe/Berlin"


def seed(live_app) -> tuple[str, str]:
    """A founder (Berlin) with a business, a connected Mastodon account and one draft."""
    with app_db(live_app) as db:
        user = accounts.create_user(
            unique_email("apikeys"), "copper kettle morning", session=db, timezone=TZ
        )
        business = Business(user_id=user.id, name="Brewly Coffee", onboarding_completed=True)
        db.add(business)
        db.flush()
        db.add(
            SocialAccount(
                user_id=user.id, platform="mastodon", account_id=uuid.uuid4().hex,
                handle="brewly", display_name="Brewly", instance_url="https://example.social",
            )
        )  # fmt: skip
        draft = Content(business_id=business.id, platform="mastodon", text="Roast day! ☕")
        db.add(draft)
        db.commit()
        return accounts.create_session(user.id, session=db), str(draft.id)


def test_key_from_settings_schedules_a_post_seen_on_the_calendar(live_app, browser_page) -> None:
    page = browser_page
    token, post_id = seed(live_app)
    sign_in(page, live_app, token)
    page.goto("/settings")
    card = page.locator("#api-keys")
    card.get_by_text("No keys yet.").wait_for()
    page.locator("#api-key-name").fill("Calendar script")
    page.locator("#api-key-scope").click()
    page.get_by_role("option", name="Read and write").click()
    page.locator("#create-api-key").click()
    field = page.locator("#new-api-key")
    field.wait_for()
    key = field.input_value()
    assert key.startswith("agm_") and len(key) > 40
    row = card.locator(".api-key-row").filter(has_text="Calendar script")
    row.get_by_text("Read and write").wait_for()
    row.get_by_text(key[:12] + "…").wait_for()
    screenshot(page, "settings-api-key-created")

    api = live_app.url + "/api/v1"
    headers = {"Authorization": f"Bearer {key}"}
    day = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=3)
    r = httpx.post(
        f"{api}/content/{post_id}/schedule",
        headers=headers,
        json={"at": f"{day.isoformat()}T09:15:00", "time_zone": TZ},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "scheduled"

    page.goto(f"/calendar?mode=week&date={day.isoformat()}")
    chip = page.locator(f"[data-drop-date='{day.isoformat()}'] [data-post-id='{post_id}']")
    chip.wait_for()
    assert "09:15" in chip.inner_text()
    screenshot(page, "calendar-post-scheduled-by-api")

    # The key shows when it was last used; revoking it refuses the very next call.
    page.goto("/settings")
    row = page.locator("#api-keys .api-key-row").filter(has_text="Calendar script")
    row.wait_for()
    row.get_by_text("Never used").wait_for(state="detached")  # the list reloads on mount
    assert "last used" in row.inner_text()
    row.get_by_role("button", name="Revoke Calendar script").click()
    row.get_by_text("Revoked", exact=True).wait_for()
    assert httpx.get(f"{api}/auth/me", headers=headers, timeout=30).status_code == 401

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#api-keys").scroll_into_view_if_needed()
    assert_fits_width(page)
    screenshot(page, "settings-api-keys-phone")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "settings-api-keys-phone-dark")


def test_webhook_endpoint_from_settings_gets_signed_events_and_redelivers(
    live_app, browser_page
) -> None:
    page = browser_page
    token, post_id = seed(live_app)
    sign_in(page, live_app, token)
    with WebhookReceiver() as receiver:
        page.goto("/settings")
        card = page.locator("#webhooks")
        page.locator("#webhook-url").fill(receiver.url)
        page.locator("#add-webhook").click()
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        card.locator(".webhook-endpoint").filter(has_text=receiver.url).wait_for()
        # The publisher finishes the post; the scheduler's webhook tick delivers it.
        with app_db(live_app) as db:
            db.execute(
                sa.update(Content)
                .where(Content.id == uuid.UUID(post_id))
                .values(status="published", published_at=utcnow(), updated_at=utcnow())
            )
            db.commit()
        wait_until(lambda: len(receiver.received) == 1, 40)
        got = receiver.received[0]
        ts = got.headers["webhook-timestamp"]
        mac = hmac.new(secret.encode(), f"{ts}.".encode() + got.body, hashlib.sha256).hexdigest()
        assert got.headers["webhook-signature"] == "v1=" + mac
        assert json.loads(got.body)["data"]["id"] == post_id

        page.reload()
        row = card.locator(".webhook-delivery").first
        row.get_by_text("succeeded").wait_for()
        assert "HTTP 200" in row.inner_text()
        screenshot(page, "settings-webhooks")
        row.get_by_role("button", name="Redeliver").click()
        wait_until(lambda: len(receiver.received) == 2, 30)
        page.set_viewport_size({"width": 390, "height": 844})
        card.scroll_into_view_if_needed()
        assert_fits_width(page)
        screenshot(page, "settings-webhooks-phone")


def wait_until(check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
