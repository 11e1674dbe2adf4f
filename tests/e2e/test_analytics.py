"""Analytics in Chromium: a founder with published posts and daily figures sees the
charts, changes the period, exports CSV, reads the goals scorecard, asks for a re-plan
and accepts it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from sqlmodel import select

from aigrowth.accounts import service as accounts
from aigrowth.ai.offline import offline_strategy
from aigrowth.analytics.models import AccountMetricsDaily, AnalyticsSnapshot
from aigrowth.businesses.models import Business
from aigrowth.businesses.service import business_profile
from aigrowth.content.models import Content
from aigrowth.dbtypes import utcnow
from aigrowth.social.models import SocialAccount
from aigrowth.strategy.models import Strategy
from aigrowth.strategy.service import create_version
from tests.e2e.helpers import app_db, assert_fits_width, screenshot, sign_in, unique_email


def _seed(live_app) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    now = utcnow()
    with app_db(live_app) as db:
        user = accounts.create_user(
            unique_email("stats"), "roasted bean harvest", session=db, timezone="Europe/Paris"
        )
        biz = Business(
            user_id=user.id,
            name="Bean There Roasters",
            industry="Food & drink",
            description="Small-batch coffee roaster",
            platforms=["x", "bluesky"],
            onboarding_completed=True,
        )
        db.add(biz)
        db.flush()
        content = offline_strategy(business_profile(biz), now.date()).model_dump()
        by = (now + timedelta(days=120)).date().isoformat()
        content["kpis"] = [
            {"name": "Followers", "target": "1,000", "by": by, "goal": "Audience"},
            {"name": "Newsletter subscribers", "target": "500", "by": "", "goal": "newsletter"},
        ]
        create_version(biz.id, content, source="offline", model="", session=db)
        pillars = [p["name"] for p in content["pillars"]]
        x = SocialAccount(
            user_id=user.id, business_id=biz.id, platform="x", account_id="1", handle="beanthere"
        )
        bsky = SocialAccount(
            user_id=user.id, business_id=biz.id, platform="bluesky", account_id="did:plc:b",
            handle="beanthere.bsky.social",
        )  # fmt: skip
        db.add_all([x, bsky])
        db.flush()
        for i in range(16):
            pillar = pillars[i % len(pillars)]
            winner = pillar == pillars[0]
            account = bsky if i % 5 == 4 else x
            published = now - timedelta(days=20 - i, hours=i % 6)
            post = Content(
                business_id=biz.id,
                social_account_id=account.id,
                platform=account.platform,
                pillar=pillar,
                text=f"{pillar}: tasting notes from batch #{i} https://beanthere.example",
                status="published",
                published_at=published,
                remote_url=f"https://x.com/beanthere/status/{1800 + i}",
            )
            db.add(post)
            db.flush()
            for day in range(2):
                db.add(
                    AnalyticsSnapshot(
                        content_id=post.id,
                        business_id=biz.id,
                        platform=account.platform,
                        day=(published + timedelta(days=day + 1)).date(),
                        impressions=None if account is bsky else 400 * (day + 1),
                        likes=(30 if winner else 6) * (day + 1),
                        comments=2,
                        shares=1,
                        clicks=None if account is bsky else 3,
                    )
                )
        for d in range(30):
            db.add(
                AccountMetricsDaily(
                    social_account_id=x.id,
                    business_id=biz.id,
                    platform="x",
                    day=(now - timedelta(days=29 - d)).date(),
                    followers=600 + 5 * d,
                )
            )
        db.commit()
        token = accounts.create_session(user.id, session=db)
        return token, str(biz.id)


def test_analytics_charts_export_goals_and_replan(live_app, browser_page, tmp_path) -> None:
    token, business_id = _seed(live_app)
    page = browser_page
    sign_in(page, live_app, token)
    page.goto("/analytics")
    page.get_by_role("heading", name="Analytics").wait_for()
    page.get_by_text("Impressions and engagements").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    assert page.locator(".js-plotly-plot").count() >= 3  # daily, followers, breakdown, heatmap
    page.get_by_text("not reported by Bluesky").wait_for()
    page.get_by_text("Top posts").wait_for()
    page.get_by_text("on track — reaches 1,000 around").wait_for()
    screenshot(page, "analytics-light")

    # Period: 30 → 7 days; the cards compare with the previous 7 days.
    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name="Last 7 days").click()
    page.get_by_text("vs previous 7 days").first.wait_for()

    # CSV export of the post figures for the chosen filters.
    with page.expect_download() as download:
        page.locator("#export-posts").click()
    path = tmp_path / "posts.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows and rows[0]["time_zone"] == "Europe/Paris"
    assert {"day", "post_id", "impressions", "engagement_rate", "url"} <= set(rows[0])
    cutoff = (utcnow() - timedelta(days=7)).date().isoformat()
    assert all(r["day"] > cutoff for r in rows)  # the 7-day filter applies
    assert any(r["platform"] == "bluesky" and r["impressions"] == "" for r in rows)

    # Goals: a KPI the platforms cannot measure takes a value by hand.
    page.get_by_label("Current value of Newsletter subscribers").fill("120")
    page.get_by_label("Current value of Newsletter subscribers").press("Enter")
    page.get_by_text("120 entered by hand of 500").wait_for()
    page.locator('[role=progressbar][aria-valuenow="24"]').wait_for()  # 120 of 500

    # Re-plan: proposal side by side, then accept.
    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name="Last 30 days").click()
    page.locator("#ask-replan").click()
    page.locator("#replan-proposal").wait_for(timeout=60_000)
    page.get_by_text("What changes and why").wait_for()
    screenshot(page, "analytics-replan-light")
    page.locator("#accept-replan").click()
    page.get_by_text("is now your active strategy").wait_for()
    with app_db(live_app) as db:
        active = db.exec(
            select(Strategy).where(
                Strategy.business_id == uuid.UUID(business_id), Strategy.is_active.is_(True)
            )
        ).one()
        assert active.version == 2 and active.source == "replan"

    page.emulate_media(color_scheme="dark")
    page.goto("/analytics")
    page.locator(".js-plotly-plot").first.wait_for()
    screenshot(page, "analytics-dark")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/analytics")
    page.locator(".js-plotly-plot").first.wait_for()
    page.wait_for_timeout(500)
    screenshot(page, "analytics-phone-dark")
    assert_fits_width(page)
    page.goto("/dashboard")
    page.get_by_text("Goals").first.wait_for()
    page.locator('[role=progressbar][aria-valuenow="24"]').wait_for()
    screenshot(page, "dashboard-goals-phone-dark")
