"""e2e: connect a Mastodon account on the fake instance and a Bluesky account on the
fake PDS through the Accounts page in Chromium; both show as active."""

from __future__ import annotations

from sqlmodel import select

from aigrowth.accounts.service import create_session, create_user
from aigrowth.social.models import SocialAccount
from tests.e2e.helpers import app_db, screenshot, sign_in, unique_email
from tests.fakes.bluesky import BlueskyFake
from tests.fakes.mastodon import MastodonFake


def test_connect_mastodon_and_bluesky_through_the_ui(browser_page, live_app):
    page = browser_page
    with app_db(live_app) as db:
        user = create_user(unique_email(), "a long enough passphrase 42", session=db)
        token = create_session(user.id, session=db)
    sign_in(page, live_app, token)
    with MastodonFake() as masto, BlueskyFake() as bsky:
        page.goto("/accounts")
        card = page.locator("#platform-mastodon")
        card.get_by_label("Mastodon server").fill(masto.base_url)
        card.get_by_role("button", name="Connect", exact=True).click()
        # Out to the instance's (auto-approving) authorize page and back via our callback.
        page.wait_for_url("**/accounts**")
        page.get_by_text("Mastodon connected.").wait_for()
        card.get_by_text("Founder Example").wait_for()
        assert masto.app_registrations == 1

        card = page.locator("#platform-bluesky")
        card.get_by_label("Bluesky handle").fill("alice.test")
        card.get_by_label("App password").fill("abcd-efgh-ijkl-mnop")
        card.get_by_text("Self-hosted PDS?").click()
        card.get_by_label("PDS URL").fill(bsky.base_url)
        card.get_by_role("button", name="Connect", exact=True).click()
        page.get_by_text("Bluesky connected as @alice.test.").wait_for()
        card.get_by_text("alice.test").first.wait_for()

        assert page.locator("#platform-mastodon").get_by_text("Active", exact=True).count() == 1
        assert page.locator("#platform-bluesky").get_by_text("Active", exact=True).count() == 1
        screenshot(page, "social-accounts-connected")
        assert bsky.create_session_calls == 1

    with app_db(live_app) as db:
        rows = db.exec(select(SocialAccount).where(SocialAccount.user_id == user.id)).all()
        assert sorted((r.platform, r.status) for r in rows) == [
            ("bluesky", "active"),
            ("mastodon", "active"),
        ]
        assert all(r.access_token_enc and "at-" not in r.access_token_enc for r in rows)
