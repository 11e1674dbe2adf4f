"""Generation off the request path: RQ job on the AI queue, progress n of N in Redis."""

from __future__ import annotations

import time

from rq import SimpleWorker
from sqlmodel import Session, select

from aigrowth.ai import progress
from aigrowth.ai.runner import start_generation
from aigrowth.content.models import Content
from aigrowth.db import get_engine
from aigrowth.redis_client import get_redis
from tests.integration.founder_support import make_founder
from workers.queues import AI, enqueue, get_queue


def _founder(session: Session):
    return make_founder(
        session,
        {
            1: {
                "name": "Pixel Forge",
                "industry": "Agency / Services",
                "description": "A two-person design agency for early-stage startups.",
            },
            4: {"platforms": ["linkedin", "x", "mastodon"], "tone": "bold"},
        },
        timezone="America/New_York",
    )


def _wait_done(business_id, kind: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = progress.get(business_id, kind)
        if record.get("state") in ("done", "error"):
            return record
        time.sleep(0.1)
    raise AssertionError(f"{kind} generation did not finish: {progress.get(business_id, kind)}")


def test_rq_job_writes_strategy_and_posts_with_progress(app_env, session) -> None:
    user, business = _founder(session)
    queue = get_queue(AI)
    job = enqueue(
        "workers.ai_jobs.run_generation", "strategy", str(business.id), str(user.id), 0,
        queue=AI, job_id=f"ai-strategy-{business.id.hex}",
    )  # fmt: skip
    SimpleWorker([queue], connection=get_redis()).work(burst=True)
    job.refresh()
    assert job.is_finished
    record = progress.get(business.id, "strategy")
    assert record["state"] == "done" and record["done"] == record["total"] == 3

    # A run already in progress (another tab, a double click) is refused with a message.
    assert progress.acquire(business.id, "posts")
    assert start_generation("posts", business.id, user_id=user.id, count=12) == (
        "A generation is already running for this business; it will finish shortly."
    )
    progress.release(business.id, "posts")
    # The web side's entry point: with no worker listening it runs in a thread.
    assert start_generation("posts", business.id, user_id=user.id, count=12) == ""
    record = _wait_done(business.id, "posts")
    assert record["state"] == "done", record
    assert record["done"] == record["total"] == 12
    assert record["message"] == "12 drafts are ready in Content."
    with Session(get_engine()) as db:
        drafts = db.exec(select(Content).where(Content.business_id == business.id)).all()
    assert len(drafts) == 12
    assert all(d.status == "draft" and d.offline_draft for d in drafts)


def test_start_generation_checks_owner_and_input(app_env, session) -> None:
    user, business = _founder(session)
    intruder, _ = _founder(session)
    assert (
        start_generation("strategy", business.id, user_id=intruder.id)
        == "That business was not found."
    )
    assert progress.get(business.id, "strategy") == {}
    assert (
        start_generation("posts", business.id, user_id=user.id, count=40)
        == "Choose between 7 and 30 posts."
    )
    assert start_generation("posts", business.id, user_id=user.id, count=7) == (
        "Create a strategy first: posts follow its pillars and cadence."
    )


def test_job_errors_become_progress_messages(app_env, session) -> None:
    user, business = _founder(session)
    from aigrowth.ai.runner import run_generation

    record = run_generation("posts", str(business.id), str(user.id), 7)
    assert record["state"] == "error"
    assert record["error"] == "Create a strategy first: posts follow its pillars and cadence."
    assert progress.acquire(business.id, "posts")  # the lock was released
