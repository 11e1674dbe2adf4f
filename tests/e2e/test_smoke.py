"""The production build answers: landing page renders in Chromium and /health is green."""

from __future__ import annotations

import time

import httpx

from tests.e2e.helpers import assert_fits_width, screenshot


def test_landing_page_renders_and_health_is_green(live_app, browser_page) -> None:
    page = browser_page
    page.goto("/")
    page.get_by_role("heading", name="Your growth marketer, on autopilot").wait_for()
    assert page.get_by_role("link", name="Start free").is_visible()
    assert "LinkedIn" in page.content()
    screenshot(page, "landing-light")

    page.emulate_media(color_scheme="dark")
    page.reload()
    page.get_by_role("heading", name="Your growth marketer, on autopilot").wait_for()
    screenshot(page, "landing-dark")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.get_by_role("heading", name="Your growth marketer, on autopilot").wait_for()
    assert_fits_width(page)
    screenshot(page, "landing-phone-dark")

    # The worker and the scheduler come up with the app: health turns fully green.
    deadline = time.monotonic() + 60
    while True:
        response = httpx.get(f"{live_app.url}/health", timeout=10)
        body = response.json()
        if body["status"] == "ok" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert response.status_code == 200
    assert body["status"] == "ok", body
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["workers"] >= 1
    assert body["scheduler"]["heartbeat_age_s"] is not None
