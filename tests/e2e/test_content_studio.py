"""Content studio in Chromium: open a draft, edit it (counter and preview follow), schedule
it for next Tuesday 09:00, find it on the calendar, drag it to Wednesday, see it moved.
Screenshots of library, editor and calendar in light and dark mode go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from redis import Redis
from sqlmodel import Session

from aigrowth.accounts import service as accounts
from aigrowth.accounts.service import SESSION_COOKIE
from aigrowth.analytics.models import AnalyticsSnapshot
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content
from aigrowth.content.planning import local_to_utc
from aigrowth.db import make_engine
from aigrowth.social.models import SocialAccount
from aigrowth.strategy.models import Strategy
from tests.e2e.helpers import assert_fits_width, screenshot, sign_in, unique_email

TZ = "Europe/Berlin"
DRAFT_TEXT = "Our first roast of the season is here."
OTHER_TEXT = "Sourdough Saturday is back at the harbour."
NEW_TEXT = (
    "Fresh roast Tuesday!\nGrab a bag at https://brewly.example.com/shop before it's gone. #coffee"
)


def seed(db_url: str) -> tuple[str, str, str]:
    """A founder (Berlin) with a business, strategy, connected X account and one draft, plus
    a second, more recently used business with a draft of its own.

    Returns (session token for the cookie, draft id, the other business's draft id)."""
    engine = make_engine(db_url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            user = accounts.create_user(
                unique_email("studio"), "copper kettle morning", session=db,
                full_name="Ada Founder", timezone=TZ,
            )  # fmt: skip
            business = Business(user_id=user.id, name="Brewly Coffee", onboarding_completed=True)
            db.add(business)
            db.flush()
            db.add(
                Strategy(
                    business_id=business.id,
                    content={
                        "pillars": [{"name": "Tips", "share": 50}, {"name": "Offers", "share": 50}],
                        "cadence": [
                            {"platform": "x", "posts_per_week": 3, "best_times": ["09:00"]}
                        ],
                    },
                )
            )
            db.add(
                SocialAccount(
                    user_id=user.id, platform="x", account_id=uuid.uuid4().hex,
                    handle="brewly", display_name="Brewly",
                )
            )  # fmt: skip
            draft = Content(business_id=business.id, platform="x", text=DRAFT_TEXT, pillar="Tips")
            db.add(draft)
            other = Business(
                user_id=user.id, name="Harbour Bakery", onboarding_completed=True,
                updated_at=datetime.now(UTC) + timedelta(minutes=1),
            )  # fmt: skip
            db.add(other)
            db.flush()
            other_draft = Content(business_id=other.id, platform="x", text=OTHER_TEXT)
            db.add(other_draft)
            db.commit()
            token = accounts.create_session(user.id, session=db)
            return token, str(draft.id), str(other_draft.id)
    finally:
        engine.dispose()


def stored_time(db_url: str, content_id: str) -> tuple[str, datetime | None]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as db:
            row = db.get(Content, uuid.UUID(content_id))
            return row.status, row.scheduled_for
    finally:
        engine.dispose()


def touch_business_of(db_url: str, content_id: str) -> None:
    """Make the business of a post the most recently updated one (as an edit elsewhere does)."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as db:
            business = db.get(Business, db.get(Content, uuid.UUID(content_id)).business_id)
            business.updated_at = datetime.now(UTC) + timedelta(hours=1)
            db.add(business)
            db.commit()
    finally:
        engine.dispose()


def next_weekday(today: date, weekday: int) -> date:
    """The next given weekday strictly after today (0 = Monday)."""
    days = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days)


def set_dark(page, dark: bool) -> None:
    """Flip the app's colour-mode toggle until the page is in the wanted mode."""
    is_dark = page.evaluate("document.documentElement.classList.contains('dark')")
    if is_dark != dark:
        page.locator("button[aria-label='Toggle dark mode']:visible").first.click()
        page.wait_for_function(
            "want => document.documentElement.classList.contains('dark') === want", arg=dark
        )


def run_studio_flow(page, base_url: str, db_url: str, prefix: str = "content") -> None:
    token, content_id, other_id = seed(db_url)
    host = re.sub(r"^https?://", "", base_url).split(":")[0]
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": token, "domain": host, "path": "/",
          "httpOnly": True, "sameSite": "Lax"}]
    )  # fmt: skip

    # Nothing picked yet: the most recently used business (Harbour Bakery) is current.
    page.goto(base_url + "/content")
    other_row = page.locator(f"a.library-row[href='/content/{other_id}']")
    other_row.wait_for()
    # Pick Brewly in the header switcher: the library follows it ...
    page.locator("#business-switcher").click()
    page.get_by_role("menuitem", name="Brewly Coffee").click()
    row = page.locator(f"a.library-row[href='/content/{content_id}']")
    row.wait_for()
    assert other_row.count() == 0
    # ... and keeps following it when the other business becomes the most recent one.
    touch_business_of(db_url, other_id)
    page.reload()
    row.wait_for()
    assert other_row.count() == 0
    assert "Brewly Coffee" in page.locator("#business-switcher").inner_text()

    # Library: the draft is listed; open it.
    assert DRAFT_TEXT in row.inner_text()
    set_dark(page, False)
    screenshot(page, f"{prefix}-library-light")
    set_dark(page, True)
    screenshot(page, f"{prefix}-library-dark")
    set_dark(page, False)
    row.click()
    page.wait_for_url(re.compile(rf"/content/{content_id}$"))

    # Editor: counter and preview follow the text (X: URL = 23, hashtag styled).
    counter = page.locator("#post-counter")
    counter.wait_for()
    assert counter.inner_text().startswith(f"{len(DRAFT_TEXT)} / 280")
    text = page.locator("#post-text")
    text.fill(NEW_TEXT)
    # 20 + 1 + 14 + 23 + 18 + 1 + 7 = weighted length with the URL counted as 23.
    expected = len("Fresh roast Tuesday!\nGrab a bag at ") + 23 + len(" before it's gone. #coffee")
    page.wait_for_function(
        "want => document.querySelector('#post-counter').innerText.startsWith(want)",
        arg=f"{expected} / 280",
    )
    preview = page.locator("#post-preview-text")
    assert "Fresh roast Tuesday!" in preview.inner_text()
    assert preview.locator(".seg-tag").first.inner_text() == "#coffee"
    assert preview.locator(".seg-link").first.inner_text() == "brewly.example.com/shop"
    page.locator("#save-post").click()
    page.get_by_text("Saved.").first.wait_for()
    screenshot(page, f"{prefix}-editor-light")
    set_dark(page, True)
    screenshot(page, f"{prefix}-editor-dark")
    set_dark(page, False)

    # Schedule for next Tuesday 09:00 (Berlin).
    today = datetime.now(ZoneInfo(TZ)).date()
    tuesday = next_weekday(today, 1)
    wednesday = tuesday + timedelta(days=1)
    page.locator("#schedule-date").fill(tuesday.isoformat())
    page.locator("#schedule-time").fill("09:00")
    page.locator("#schedule-post").click()
    page.get_by_text("Scheduled for").first.wait_for()
    status, when = stored_time(db_url, content_id)
    assert status == "scheduled"
    assert when == local_to_utc(tuesday, "09:00", TZ)

    # Calendar (week view of that week): the post sits on Tuesday at 09:00.
    page.goto(base_url + f"/calendar?mode=week&date={tuesday.isoformat()}")
    tue_cell = page.locator(f"[data-drop-date='{tuesday.isoformat()}']")
    wed_cell = page.locator(f"[data-drop-date='{wednesday.isoformat()}']")
    chip = tue_cell.locator(f"[data-post-id='{content_id}']")
    chip.wait_for()
    assert "09:00" in chip.inner_text()
    assert wed_cell.locator(f"[data-post-id='{content_id}']").count() == 0
    screenshot(page, f"{prefix}-calendar-week-light")

    # Drag it to Wednesday: same time of day, one day later.
    chip.drag_to(wed_cell)
    moved = wed_cell.locator(f"[data-post-id='{content_id}']")
    moved.wait_for()
    assert "09:00" in moved.inner_text()
    assert tue_cell.locator(f"[data-post-id='{content_id}']").count() == 0
    page.get_by_text("Moved to").first.wait_for()
    status, when = stored_time(db_url, content_id)
    assert status == "scheduled"
    assert when == local_to_utc(wednesday, "09:00", TZ)
    assert when.astimezone(UTC) == datetime.combine(wednesday, datetime.min.time()).replace(
        tzinfo=ZoneInfo(TZ)
    ).replace(hour=9).astimezone(UTC)

    # Month view shows it too; light and dark screenshots.
    page.goto(base_url + f"/calendar?mode=month&date={wednesday.isoformat()}")
    page.locator(
        f"[data-drop-date='{wednesday.isoformat()}'] [data-post-id='{content_id}']"
    ).wait_for()
    screenshot(page, f"{prefix}-calendar-light")
    set_dark(page, True)
    screenshot(page, f"{prefix}-calendar-dark")
    set_dark(page, False)

    # Phone width: the calendar turns into a list of days.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator(f"#calendar-list [data-post-id='{content_id}']").wait_for()
    assert page.locator("#calendar-grid").is_hidden()
    screenshot(page, f"{prefix}-calendar-phone")

    # A link straight to the other business's post makes that business current, so the
    # header and the library agree with the editor.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url + f"/content/{other_id}")
    page.locator("#post-counter").wait_for()
    page.wait_for_function(
        "() => (document.querySelector('#business-switcher')?.innerText || '')"
        ".includes('Harbour Bakery')"
    )
    page.goto(base_url + "/content")
    page.locator(f"a.library-row[href='/content/{other_id}']").wait_for()
    assert page.locator(f"a.library-row[href='/content/{content_id}']").count() == 0


def test_content_studio_edit_schedule_and_move(live_app, browser_page) -> None:
    run_studio_flow(browser_page, live_app.url, live_app.env["DATABASE_URL"])


def seed_publishing(db_url: str) -> tuple[str, str, str]:
    """A founder with a Bluesky account, a post the publisher is working on (lease far
    ahead, so nothing else touches it) and a failed one.

    Returns (session token, publishing post id, failed post id)."""
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    try:
        with Session(engine, expire_on_commit=False) as db:
            user = accounts.create_user(
                unique_email("live"), "copper kettle morning", session=db, timezone=TZ
            )
            business = Business(user_id=user.id, name="Brewly Coffee", onboarding_completed=True)
            db.add(business)
            db.flush()
            account = SocialAccount(
                user_id=user.id, platform="bluesky", account_id="did:plc:" + uuid.uuid4().hex,
                handle="brewly.test", display_name="Brewly",
            )  # fmt: skip
            db.add(account)
            db.flush()
            common = {"business_id": business.id, "platform": "bluesky"}
            busy = Content(
                **common, text=DRAFT_TEXT, status="publishing", attempts=1,
                scheduled_for=now - timedelta(minutes=1), lease_until=now + timedelta(hours=1),
                social_account_id=account.id,
            )  # fmt: skip
            failed = Content(
                **common, text=OTHER_TEXT, status="failed", attempts=3,
                scheduled_for=now - timedelta(hours=2), social_account_id=account.id,
                last_error="Bluesky refused the image: it is larger than 1 MB.",
            )  # fmt: skip
            db.add_all([busy, failed])
            db.commit()
            return accounts.create_session(user.id, session=db), str(busy.id), str(failed.id)
    finally:
        engine.dispose()


def update_post(db_url: str, content_id: str, **values) -> None:
    """What the publisher (or the daily pull) does to a post behind the editor's back."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as db:
            row = db.get(Content, uuid.UUID(content_id))
            for key, value in values.items():
                setattr(row, key, value)
            db.add(row)
            db.commit()
    finally:
        engine.dispose()


def add_figures(db_url: str, content_id: str) -> None:
    engine = make_engine(db_url)
    try:
        with Session(engine) as db:
            row = db.get(Content, uuid.UUID(content_id))
            db.add(
                AnalyticsSnapshot(
                    content_id=row.id, business_id=row.business_id, platform="bluesky",
                    day=datetime.now(UTC).date(), likes=1234, comments=5, shares=2,
                )
            )  # fmt: skip
            db.commit()
    finally:
        engine.dispose()


def test_editor_follows_the_publisher_without_a_reload(live_app, browser_page) -> None:
    """Publishing… → needs attention (message, Check again, It's published) → published
    with the link and the figures card; a failed post shows its reason and Retry."""
    db_url = live_app.env["DATABASE_URL"]
    token, busy_id, failed_id = seed_publishing(db_url)
    page = browser_page
    sign_in(page, live_app, token)

    page.goto(f"/content/{busy_id}")
    panel = page.locator("#publish-status")
    panel.get_by_text("Publishing… sending it to Bluesky").wait_for()
    set_dark(page, False)
    screenshot(page, "editor-publishing-light")

    # The publisher could not confirm it: the editor says so by itself.
    update_post(
        db_url, busy_id, status="needs_attention", lease_until=None,
        last_error="Bluesky did not answer in time, so we could not confirm the post.",
    )  # fmt: skip
    panel.get_by_text("Bluesky did not answer in time").wait_for(timeout=15_000)
    assert page.locator("#check-again").is_visible()
    page.get_by_text("needs attention", exact=True).first.wait_for()
    set_dark(page, True)
    screenshot(page, "editor-needs-attention-dark")
    set_dark(page, False)

    # "It's published", with the link from the profile.
    link = "https://bsky.app/profile/brewly.test/post/3kxyz"
    page.locator("#mark-published").click()
    page.locator("#mark-url").fill("not a link")
    page.get_by_role("button", name="Mark as published").click()
    page.get_by_text("The link must start with https://").first.wait_for()
    page.locator("#mark-url").fill(link)
    page.get_by_role("button", name="Mark as published").click()
    page.get_by_text("published", exact=True).first.wait_for()
    assert page.locator("#view-on-platform").get_attribute("href") == link
    assert "View on Bluesky" in page.locator("#view-on-platform").inner_text()
    page.locator("#figures-empty").get_by_text("pulled daily at 03:00 UTC").wait_for()
    assert stored_time(db_url, busy_id)[0] == "published"

    # The daily pull stored figures: they show, unknown ones as a dash with a reason.
    add_figures(db_url, busy_id)
    page.reload()
    page.locator("#figure-likes").get_by_text("1,234").wait_for()
    assert page.locator("#figure-impressions").inner_text() == "—"
    page.locator("#figure-impressions").hover()
    page.get_by_text("Bluesky does not report impressions").first.wait_for()
    screenshot(page, "editor-published-figures-light")
    set_dark(page, True)
    screenshot(page, "editor-published-figures-dark")
    set_dark(page, False)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("#figure-likes").wait_for()
    assert_fits_width(page)
    screenshot(page, "editor-published-figures-phone")

    # A failed post: the reason in plain words and a Retry button.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/content/{failed_id}")
    panel.get_by_text("Bluesky refused the image: it is larger than 1 MB.").wait_for()
    assert page.locator("#retry-post").is_visible()
    screenshot(page, "editor-failed-light")


def put_progress(live_app, business_id: str, kind: str, **record) -> None:
    """Write a job progress record the way aigrowth.ai.progress does, in the app's Redis."""
    client = Redis.from_url(live_app.env["REDIS_URL"])
    try:
        record["updated_at"] = time.time()
        client.set(f"aigrowth:ai:progress:{business_id}:{kind}", json.dumps(record), ex=600)
    finally:
        client.close()


def _business_of(db_url: str, content_id: str) -> uuid.UUID:
    engine = make_engine(db_url)
    try:
        with Session(engine) as db:
            return db.get(Content, uuid.UUID(content_id)).business_id
    finally:
        engine.dispose()


def test_fill_the_gaps_runs_as_a_job_and_the_calendar_follows(live_app, browser_page) -> None:
    """The click queues a job (AI queue); the page shows its progress, then the drafts."""
    db_url = live_app.env["DATABASE_URL"]
    token, draft_id, _other_id = seed(db_url)
    page = browser_page
    sign_in(page, live_app, token)
    page.goto("/content")
    page.locator("#business-switcher").click()
    page.get_by_role("menuitem", name="Brewly Coffee").click()
    page.locator(f"a.library-row[href='/content/{draft_id}']").wait_for()
    business_id = str(_business_of(db_url, draft_id))

    # A rewrite started earlier (another tab) is found and followed to its end.
    put_progress(live_app, business_id, "regenerate", state="running", done=1, total=4,
                 message="Rewriting posts")  # fmt: skip
    page.goto("/content")
    note = page.locator("#regenerate-progress")
    note.get_by_text("Rewriting posts (1/4)").wait_for()
    set_dark(page, True)
    screenshot(page, "library-regenerate-running-dark")
    set_dark(page, False)
    put_progress(live_app, business_id, "regenerate", state="done", done=4, total=4,
                 message="Rewrote 4 posts.", result={"done": 4, "failed": 0})  # fmt: skip
    page.get_by_text("Rewrote 4 posts.").first.wait_for()
    note.wait_for(state="detached")  # the toast may come a moment before the note goes

    # A week well ahead: the strategy wants 3 X posts in it, none are planned.
    monday = datetime.now(ZoneInfo(TZ)).date() + timedelta(weeks=3)
    monday -= timedelta(days=monday.weekday())
    put_progress(live_app, business_id, "fill", state="running", done=0, total=3,
                 message="Writing drafts")  # fmt: skip
    page.goto(f"/calendar?mode=week&date={monday.isoformat()}")
    page.locator("#fill-progress").get_by_text("Writing drafts (0/3)").wait_for()
    screenshot(page, "calendar-fill-running-light")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    screenshot(page, "calendar-fill-running-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    put_progress(live_app, business_id, "fill", state="error", error="The AI provider said no.")
    page.get_by_text("The AI provider said no.").first.wait_for()
    page.locator("#fill-progress").wait_for(state="detached")

    # Now for real: the click queues the job; the drafts appear when it is done.
    fill = page.get_by_role("button", name=re.compile(r"Fill the gaps \(3\)"))
    fill.wait_for()
    fill.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Write drafts").click()
    page.get_by_text("3 drafts written for the open slots").first.wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile(r"Fill the gaps \(0\)")).wait_for()
    assert page.locator("#fill-progress").count() == 0
    days = [monday + timedelta(days=i) for i in range(7)]
    chips = sum(
        page.locator(f"[data-drop-date='{d.isoformat()}'] [data-post-id]").count() for d in days
    )
    assert chips == 3
    screenshot(page, "calendar-filled-week-light")


def test_adding_an_image_keeps_the_text_being_typed(live_app, browser_page, tmp_path) -> None:
    """Type, then add an image before saving: the typed text stays (it used to be replaced
    by the last saved text), still marked unsaved, and Save stores it."""
    db_url = live_app.env["DATABASE_URL"]
    token, content_id, _ = seed(db_url)
    page = browser_page
    sign_in(page, live_app, token)
    page.goto(f"/content/{content_id}")
    counter = page.locator("#post-counter")
    counter.wait_for()
    typed = "Typed but not saved yet: our Ethiopian roast lands Friday."
    page.locator("#post-text").fill(typed)
    page.get_by_text("Unsaved changes").first.wait_for()
    photo = tmp_path / "roast.jpg"
    Image.new("RGB", (800, 600), (120, 80, 40)).save(photo, "JPEG")
    page.locator("#media-upload input[type=file]").set_input_files(str(photo))
    page.get_by_text("uploaded and attached").first.wait_for()
    assert page.locator("#post-text").input_value() == typed
    assert page.get_by_text("Unsaved changes").first.is_visible()
    page.locator("#save-post").click()
    page.get_by_text("Saved.").first.wait_for()
    engine = make_engine(db_url)
    try:
        with Session(engine) as db:
            row = db.get(Content, uuid.UUID(content_id))
            assert row is not None and row.text == typed and len(row.media) == 1
    finally:
        engine.dispose()
