"""The product's promise in one run: strategy → drafts → connect Bluesky → publish now
→ the post is on the (fake) PDS exactly once and the editor says published."""

from __future__ import annotations

import re
import uuid

from sqlmodel import select

from aigrowth.accounts import service as accounts
from aigrowth.ai import service as ai
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content
from aigrowth.publishing.models import PublishAttempt
from tests.e2e.helpers import app_db, screenshot, sign_in, unique_email
from tests.fakes.bluesky import BlueskyFake


def test_generate_connect_and_publish_once(live_app, browser_page) -> None:
    with app_db(live_app) as db:
        user = accounts.create_user(unique_email("golden"), "sunny meadow walks", session=db)
        business = Business(
            user_id=user.id, name="Fern & Moss Plants", industry="Retail / e-commerce",
            description="Houseplants delivered in recyclable pots, with care guides.",
            target_audience="Young urban renters who want easy plants", platforms=["bluesky"],
            goals=[{"metric": "followers", "target": 500, "by": ""}], onboarding_step=5,
            onboarding_completed=True,
        )  # fmt: skip
        db.add(business)
        db.commit()
        ai.generate_strategy(business.id, user_id=user.id, session=db)  # offline generator
        db.commit()
        token = accounts.create_session(user.id, session=db)

    page = browser_page
    sign_in(page, live_app, token)

    # Strategy page → generate a batch of drafts (runs on the worker, with progress).
    page.goto("/strategy")
    page.locator("#generate-posts").click()
    page.locator("#open-content").wait_for(timeout=120_000)

    with BlueskyFake(handle="fernmoss.test") as pds:
        # Connect the Bluesky account through the Accounts page.
        page.goto("/accounts")
        card = page.locator("#platform-bluesky")
        card.get_by_label("Bluesky handle").fill("fernmoss.test")
        card.get_by_label("App password").fill("abcd-efgh-ijkl-mnop")
        card.get_by_text("Self-hosted PDS?").click()
        card.get_by_label("PDS URL").fill(pds.base_url)
        card.get_by_role("button", name="Connect", exact=True).click()
        page.get_by_text("Bluesky connected as @fernmoss.test.").wait_for()

        # Open a Bluesky draft from the library and publish it now.
        page.goto("/content")
        page.locator("a.library-row").filter(has_text="Bluesky").first.click()
        page.wait_for_url(re.compile(r"/content/[0-9a-f-]{36}$"))
        content_id = page.url.rsplit("/", 1)[1]
        page.get_by_role("button", name="Publish now").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Publish now").click()

        # The worker publishes it; the editor shows it without a reload.
        page.get_by_text("published", exact=True).first.wait_for(timeout=60_000)
        screenshot(page, "golden-path-published")

        with app_db(live_app) as db:
            post = db.get(Content, uuid.UUID(content_id))
            attempts = db.exec(
                select(PublishAttempt).where(PublishAttempt.content_id == post.id)
            ).all()
        assert post.status == "published" and post.remote_id and post.remote_url
        assert [a.outcome for a in attempts] == ["published"]
        # Exactly one record on the PDS, at the rkey we chose, with our text.
        assert len(pds.records) == 1
        ((uri, record),) = pds.records.items()
        assert uri == post.remote_id or post.remote_id in uri
        assert record["value"]["text"].startswith(post.text.split("\n")[0][:40])
