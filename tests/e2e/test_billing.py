"""e2e (Chromium, billing on against the fake Stripe): a Free founder hits the account
limit, upgrades through the fake Checkout, sees "confirming…" until the (delayed)
webhook lands and then Pro, connects the extra account, opens the Customer Portal,
cancels, and sees "Cancels on <date>". Screenshots: light, dark and phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from aigrowth.accounts.service import create_session, create_user
from aigrowth.billing.routes import WEBHOOK_PATH
from tests.conftest import private_redis
from tests.e2e.conftest import LiveApp, _live_app
from tests.e2e.helpers import app_db, assert_fits_width, screenshot, sign_in, unique_email
from tests.fakes.bluesky import BlueskyFake
from tests.fakes.stripe import StripeFake

PASSWORD = "abcd-efgh-ijkl-mnop"


@pytest.fixture(scope="module")
def stripe() -> Iterator[StripeFake]:
    with StripeFake() as fake:
        yield fake


@pytest.fixture(scope="module")
def billing_app(stripe: StripeFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    env = {**stripe.settings(), "PLAN_LIMITS": '{"free": {"social_accounts": 1}}'}
    with private_redis() as redis_url:
        for app in _live_app(redis_url, tmp_path_factory, extra_env=env, tag="-billing"):
            stripe.webhook_url = app.url + WEBHOOK_PATH
            yield app


@pytest.fixture
def page(browser: object, billing_app: LiveApp) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=billing_app.url)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def _connect_bluesky(page: object, bsky: BlueskyFake, handle: str) -> None:
    page.goto("/accounts")
    card = page.locator("#platform-bluesky")
    card.get_by_label("Bluesky handle").fill(handle)
    card.get_by_label("App password").fill(PASSWORD)
    if not card.get_by_label("PDS URL").is_visible():
        card.get_by_text("Self-hosted PDS?").click()
    card.get_by_label("PDS URL").fill(bsky.base_url)
    card.get_by_role("button", name="Connect", exact=True).click()


def test_free_founder_upgrades_connects_and_cancels(
    page: object, billing_app: LiveApp, stripe: StripeFake
) -> None:
    with app_db(billing_app) as db:
        user = create_user(unique_email(), "a long enough passphrase 42", session=db)
        token = create_session(user.id, session=db)
    sign_in(page, billing_app, token)
    with BlueskyFake(handle="first.test") as bsky:
        bsky.add_user("second.test", PASSWORD)
        _connect_bluesky(page, bsky, "first.test")
        page.get_by_text("Bluesky connected as @first.test.").wait_for()
        _connect_bluesky(page, bsky, "second.test")
        page.get_by_text("Your Free plan connects 1 account; upgrade to connect more.").wait_for()

        page.goto("/billing")
        page.locator("#billing-plan").get_by_text("Free").wait_for()
        screenshot(page, "billing-free-light")
        stripe.hold = True  # Stripe's webhooks are late: the browser is back first
        page.locator("#billing-upgrade-pro").click()
        page.wait_for_url(re.compile(r".*/c/pay/cs_test_.*"))
        page.get_by_role("button", name=re.compile("Pay")).click()
        page.wait_for_url(re.compile(r".*/billing.*"))
        page.locator("#billing-confirming").wait_for()
        assert page.locator("#billing-plan").inner_text() == "Free"  # not from the URL
        screenshot(page, "billing-confirming")
        stripe.hold = False
        stripe.release()
        page.get_by_text("Payment received — you're on Pro.").first.wait_for()
        page.locator("#billing-plan").get_by_text("Pro").wait_for()
        page.locator("#billing-status").get_by_text("Active").wait_for()
        screenshot(page, "billing-pro-light")

        _connect_bluesky(page, bsky, "second.test")
        page.get_by_text("Bluesky connected as @second.test.").wait_for()

    page.goto("/billing")
    page.locator("#billing-manage").click()
    page.wait_for_url(re.compile(r".*/p/session/bps_.*"))
    page.get_by_role("button", name="Cancel plan").click()
    page.get_by_text("cancels on").wait_for()
    page.locator("#return").click()
    page.wait_for_url(re.compile(r".*/billing.*"))
    status = page.locator("#billing-status")
    status.get_by_text(re.compile(r"Cancels on \d{1,2} \w+ \d{4}")).wait_for()
    screenshot(page, "billing-cancels-light")
    assert page.locator("#billing-confirmed").count() == 0  # said once, not forever

    page.emulate_media(color_scheme="dark")
    page.goto("/billing")
    page.locator("#billing-status").wait_for()
    screenshot(page, "billing-cancels-dark")

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/billing")
    page.locator("#billing-status").wait_for()
    page.wait_for_timeout(300)
    assert_fits_width(page)
    screenshot(page, "billing-phone")
