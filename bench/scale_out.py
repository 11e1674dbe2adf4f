"""Scale-out, proven: 2 web processes + 2 workers + the scheduler on PostgreSQL with one
Redis, behind Caddy as the load balancer; a founder signs in and schedules a post in
Chromium, and the web process serving them is restarted mid-way.

Checks (exit 1 if any fails): the founder stays signed in through the restart (the
other web process serves them, UI state comes from Redis), the post scheduled in the
browser and 20 more falling due during the restart are each published exactly once
(one record on the fake Bluesky PDS, one publish attempt), none is lost.
Prints: how long the user saw no answer, restart-to-healthy of the restarted web
process (it rebuilds its frontend), publication lateness.

Too slow for `make test` (three production frontend builds): `python -m bench.scale_out`.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench._stack import PG_DEFAULT, start_stack, start_web, web_ready

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "harbour lights at dusk"
TZ = "Europe/Paris"


def _seed(fake, due_posts: int, first_due_s: float, spread_s: float):  # type: ignore[no-untyped-def]
    """A founder with a connected Bluesky account, one draft (scheduled through the UI)
    and `due_posts` posts due during the restart window."""
    from sqlmodel import Session

    import aigrowth.models  # noqa: F401
    from aigrowth.accounts import service as accounts
    from aigrowth.businesses.models import Business
    from aigrowth.content.models import Content
    from aigrowth.db import get_engine
    from aigrowth.social import service as social

    now = datetime.now(UTC)
    with Session(get_engine(), expire_on_commit=False) as db:
        user = accounts.create_user("scale@example.com", PASSWORD, session=db, timezone=TZ)
        business = Business(user_id=user.id, name="Harbour Co", onboarding_completed=True)
        db.add(business)
        db.commit()
        account = social.connect_bluesky(
            user_id=user.id,
            handle="harbour.test",
            app_password="abcd-efgh-ijkl-mnop",
            pds_url=fake.base_url,
            session=db,
        )
        common = {
            "business_id": business.id,
            "platform": "bluesky",
            "social_account_id": account.id,
        }
        draft = Content(**common, text="Scheduled through the browser, across a restart.")
        db.add(draft)
        due = []
        for i in range(due_posts):
            when = now + timedelta(seconds=first_due_s + spread_s * i / max(1, due_posts - 1))
            row = Content(**common, text=f"Due during the restart #{i}", status="scheduled")
            row.scheduled_for = when
            db.add(row)
            due.append(row)
        db.commit()
        return draft.id, [row.id for row in due]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", PG_DEFAULT))
    parser.add_argument("--due-posts", type=int, default=20)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.fakes.bluesky import BlueskyFake

    started = time.monotonic()
    stack = start_stack(webs=2, workers=2, postgres=args.database_url, load_balancer=True)
    print(f"stack up (2 builds in parallel) in {time.monotonic() - started:.0f} s: {stack.url}")
    # This process seeds and checks the stack's own database with its keys.
    for key in ("DATA_DIR", "DATABASE_URL", "REDIS_URL", "ALLOW_PRIVATE_NETWORK"):
        os.environ[key] = stack.env[key]
    from aigrowth.db import reset_engine_cache
    from aigrowth.settings import reset_settings_cache

    reset_settings_cache()
    reset_engine_cache()
    failures: list[str] = []
    try:
        with BlueskyFake(handle="harbour.test") as pds, sync_playwright() as pw:
            draft_id, due_ids = _seed(pds, args.due_posts, first_due_s=60, spread_s=120)
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_context(base_url=stack.url).new_page()
            page.set_default_timeout(30_000)
            failures += _walk(page, stack, draft_id)
            browser.close()
            failures += _check_published(pds, [draft_id, *due_ids])
    finally:
        stack.close()
    for failure in failures:
        print("FAIL:", failure)
    print("scale-out:", "OK" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


def _walk(page, stack, draft_id) -> list[str]:  # type: ignore[no-untyped-def]
    failures = []
    page.goto("/login")
    page.get_by_label("Email").fill("scale@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"/content/{draft_id}")
    # Two minutes ahead in the founder's time zone (the form takes minutes).
    when = datetime.now(ZoneInfo(TZ)) + timedelta(minutes=2)
    page.locator("#schedule-date").fill(when.date().isoformat())
    page.locator("#schedule-time").fill(when.strftime("%H:%M"))
    page.locator("#schedule-post").click()
    page.get_by_text("Scheduled for").first.wait_for()
    print("signed in and scheduled through web1")

    # Restart web1, the process serving this founder (Caddy's `first` policy).
    web1 = stack.proc("web1")
    stopped = time.monotonic()
    web1.stop()
    page.reload()
    page.locator("#schedule-post, #unschedule-post").first.wait_for(timeout=60_000)
    gap = time.monotonic() - stopped
    if "/login" in page.url:
        failures.append("signed out after the web process restart")
    print(f"web1 stopped: page served by web2 after {gap:.1f} s, still signed in: "
          f"{'/login' not in page.url}")  # fmt: skip
    start_web(stack, 0)
    restarted = time.monotonic()
    # The founder keeps reloading the editor (an editor follows a post live only when
    # it is due within a minute of opening it) until it says published.
    reloads = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if page.get_by_text("published", exact=True).count():
            break
        page.wait_for_timeout(5000)
        page.reload()
        page.locator("#post-text").wait_for(timeout=60_000)
        reloads += 1
        if "/login" in page.url:
            failures.append("signed out while web1 was restarting")
            break
    else:
        failures.append("the editor never showed the post as published")
    print(f"the post scheduled in the browser shows published (through web2, {reloads} "
          f"reloads, still signed in) {time.monotonic() - stopped:.0f} s after the restart "
          "began")  # fmt: skip
    deadline = time.monotonic() + 1200
    while not _ready(stack.web_ports[0]) and time.monotonic() < deadline:
        time.sleep(1)
    print(f"web1 restart-to-healthy (frontend rebuild): {time.monotonic() - restarted:.0f} s")
    time.sleep(3)  # Caddy's health check (1 s) sends the founder back to web1
    page.reload()
    page.get_by_text("published", exact=True).first.wait_for(timeout=60_000)
    if "/login" in page.url or not re.search(r"/content/[0-9a-f-]{36}$", page.url):
        failures.append(f"after web1 came back the founder is at {page.url}")
    return failures


def _ready(port: int) -> bool:
    try:
        return web_ready(port)
    except Exception:
        return False


def _check_published(pds, ids) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from aigrowth.content.models import Content
    from aigrowth.db import get_engine
    from aigrowth.publishing.models import PublishAttempt

    deadline = time.monotonic() + 300
    while True:
        with Session(get_engine()) as db:
            posts = db.exec(select(Content).where(Content.id.in_(ids))).all()  # type: ignore[attr-defined]
            attempts = db.exec(
                select(PublishAttempt).where(PublishAttempt.content_id.in_(ids))  # type: ignore[attr-defined]
            ).all()
        if all(p.status == "published" for p in posts) or time.monotonic() > deadline:
            break
        time.sleep(1)
    failures = []
    lost = [p.id for p in posts if p.status != "published"]
    if lost:
        failures.append(f"{len(lost)} post(s) not published: {[str(i) for i in lost]}")
    per_post: dict = {}
    for a in attempts:
        per_post.setdefault(a.content_id, []).append(a.outcome)
    extra = {str(k): v for k, v in per_post.items() if v != ["published"]}
    records = len(pds.records)
    if records != len(ids):
        failures.append(f"{records} records on the PDS for {len(ids)} posts")
    lateness = [
        (p.published_at - p.scheduled_for).total_seconds()
        for p in posts
        if p.published_at and p.scheduled_for
    ]
    print(
        f"{len(ids)} posts: published {len(ids) - len(lost)}, lost {len(lost)}, "
        f"PDS records {records} (duplicates {max(0, records - len(ids))}); "
        f"attempts other than one 'published': {extra or 'none'}"
    )
    if lateness:
        print(
            f"lateness p50/max {statistics.median(lateness):.1f}/{max(lateness):.1f} s "
            "(includes the minute granularity of the browser's time field for one post)"
        )
    return failures


if __name__ == "__main__":
    sys.exit(main())
