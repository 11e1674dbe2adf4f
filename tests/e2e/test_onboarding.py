"""Sign up → onboarding wizard (with a reload mid-way) → strategy → 14 drafts."""

from __future__ import annotations

import time
from urllib.parse import urlparse

from sqlmodel import Session, select

from aigrowth.accounts.models import User
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content
from aigrowth.db import make_engine
from aigrowth.strategy.models import Strategy
from tests.e2e.helpers import screenshot, unique_email
from tests.e2e.signup_support import confirm_sign_up, ensure_an_account_exists, submit_sign_up

PASSWORD = "copper kettle morning"


def _at(path: str):
    return lambda url: urlparse(url).path == path


def _sign_up(live_app, page, email: str) -> None:
    ensure_an_account_exists(live_app)  # so the normal confirm-by-mail path runs
    page.goto("/signup")
    submit_sign_up(page, "Ada Founder", email, PASSWORD)
    page.locator("#check-inbox").wait_for()
    confirm_sign_up(page, live_app, email, PASSWORD)


def test_wizard_to_strategy_to_drafts(live_app, browser_page) -> None:
    page = browser_page
    email = unique_email("wizard")
    _sign_up(live_app, page, email)

    # A new founder lands on the wizard.
    page.wait_for_url(_at("/onboarding"), timeout=30_000)
    page.get_by_text("Business name").wait_for()

    # Step 1: empty submit → clear messages, nothing saved.
    page.locator("#wizard-continue").click()
    page.get_by_text("Enter your business name.").wait_for()
    assert page.get_by_text("Describe what you do in at least 20 characters").is_visible()
    screenshot(page, "onboarding-step1-errors")
    page.locator("input[name=name]").fill("Acme Invoicing")
    page.get_by_role("combobox").first.click()
    page.get_by_role("option", name="Software / SaaS").click()
    page.locator("textarea[name=description]").fill(
        "We make simple invoicing software for freelance designers."
    )
    page.locator("input[name=website]").fill("acme-invoicing.io")
    page.locator("#wizard-continue").click()

    # Step 2, then a reload: the wizard resumes at step 2 with step 1 saved.
    page.get_by_text("Who do you want to reach?").wait_for()
    loads = int(page.locator("#wizard").get_attribute("data-loads"))
    page.reload()
    # Type only once the wizard has re-read the saved business after the reload.
    page.locator(f"#wizard[data-loads='{loads + 1}']").wait_for()
    page.get_by_text("Who do you want to reach?").wait_for()
    page.locator("textarea[name=target_audience]").fill("Freelance designers in Europe")
    page.locator("#wizard-continue").click()

    # Step 3: goals with a target and a date.
    page.locator("input[name=goal_target_0]").fill("1000")
    page.locator("input[name=goal_by_0]").fill("2030-06-01")
    page.locator("#wizard-continue").click()
    page.get_by_text("Pick a date within the next 3 years.").wait_for()
    page.locator("input[name=goal_by_0]").fill(f"{time.gmtime().tm_year + 1}-06-01")
    page.locator("#wizard-continue").click()

    # Step 4: platforms and tone.
    page.get_by_text("Where do you want to grow?").wait_for()
    for label in ("LinkedIn", "X", "Bluesky"):
        page.get_by_role("checkbox", name=label, exact=True).click()
    page.get_by_text("Friendly, warm and approachable").click()
    screenshot(page, "onboarding-step4")
    page.locator("#wizard-continue").click()

    # Step 5: generate the strategy with visible progress (offline generator here).
    page.locator("#generate-strategy").click()
    page.locator("#see-strategy").wait_for(timeout=60_000)
    page.get_by_text("Your strategy is ready.").wait_for()
    page.locator("#see-strategy").click()
    page.wait_for_url(_at("/strategy"))
    page.locator("#strategy-view").wait_for()
    for part in ("Platforms and cadence", "Content pillars", "Tone and voice", "KPIs"):
        assert page.get_by_text(part, exact=True).first.is_visible()
    assert page.locator("#business-switcher").inner_text().strip().startswith("Acme Invoicing")
    screenshot(page, "strategy-page")

    # Generate 14 posts; progress, then drafts.
    page.locator("#generate-panel").get_by_role("combobox").click()
    page.get_by_role("option", name="14", exact=True).click()
    page.locator("#generate-posts").click()
    page.locator("#open-content").wait_for(timeout=120_000)
    page.get_by_text("14 drafts are ready in Content.").wait_for()
    screenshot(page, "strategy-posts-generated")

    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("#strategy-view").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    screenshot(page, "strategy-phone-dark")

    engine = make_engine(live_app.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            user = db.exec(select(User).where(User.email == email)).one()
            business = db.exec(select(Business).where(Business.user_id == user.id)).one()
            assert business.onboarding_completed and business.website == "https://acme-invoicing.io"
            assert business.goals[0]["target"] == 1000
            strategy = db.exec(select(Strategy).where(Strategy.business_id == business.id)).one()
            assert strategy.is_active and strategy.source == "offline"
            drafts = db.exec(select(Content).where(Content.business_id == business.id)).all()
            assert len(drafts) == 14
            assert {d.status for d in drafts} == {"draft"}
            assert {d.platform for d in drafts} <= {"linkedin", "x", "bluesky"}
            assert all(d.offline_draft and d.scheduled_for is not None for d in drafts)
    finally:
        engine.dispose()
