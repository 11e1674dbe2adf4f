# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.llm)
""" "Fill the gaps" and bulk "Regenerate" as jobs: real Redis (progress, lock, RQ queue),
real database (both), the fake LLM. The web side only starts them and reads progress."""

from __future__ import annotations

import time
from datetime import date

from rq import SimpleWorker
from sqlmodel import Session, select

from aigrowth.ai import progress
from aigrowth.content import jobs
from aigrowth.content.models import Content, ContentStatus
from aigrowth.redis_client import get_redis
from tests.fakes.llm import fake_llm, online_env  # noqa: F401  (fixtures)
from tests.integration.test_content_service import _cadence_business, draft, make_user
from workers.queues import AI, get_queue

APRIL_2030 = date(2030, 4, 1)  # all of its slots are in the future


def wait_done(business_id, kind: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = progress.get(business_id, kind)
        if record and not progress.is_running(record):
            return record
        time.sleep(0.05)
    raise AssertionError(f"{kind} still running: {progress.get(business_id, kind)}")


def test_fill_runs_as_an_ai_queue_job_and_reports_progress(online_env, fake_llm, session):
    user, biz = _cadence_business(session)
    listener = SimpleWorker([get_queue(AI)], connection=get_redis())
    listener.register_birth()  # a worker listens on the AI queue: the run is enqueued
    try:
        assert jobs.start_fill(biz.id, user_id=user.id, anchor=APRIL_2030, mode="month") == ""
        queued = get_queue(AI).jobs
        assert [j.func_name for j in queued] == ["workers.content_jobs.fill_gaps"]
        assert jobs.status(biz.id, jobs.FILL)["state"] == "queued"
        # A double click while it waits does not start a second run.
        again = jobs.start_fill(biz.id, user_id=user.id, anchor=APRIL_2030, mode="month")
        assert "already running" in again
    finally:
        listener.register_death()
    SimpleWorker([get_queue(AI)], connection=get_redis()).work(burst=True)
    record = jobs.status(biz.id, jobs.FILL)
    assert record["state"] == "done", record
    made = record["result"]["made"]
    assert made > 0 and record["done"] == record["total"] == made
    assert "drafts written" in record["message"]
    session.expire_all()
    rows = session.exec(select(Content).where(Content.business_id == biz.id)).all()
    assert len(rows) == made and all(r.status == ContentStatus.DRAFT for r in rows)
    # The lock is released: the next run may start (and finds nothing left to fill).
    assert jobs.start_fill(biz.id, user_id=user.id, anchor=APRIL_2030, mode="month") == ""
    assert wait_done(biz.id, jobs.FILL)["result"] == {"made": 0}


def test_fill_without_a_worker_runs_in_a_thread_and_reports_an_ai_refusal(
    online_env, fake_llm, session
):
    user, biz = _cadence_business(session)
    fake_llm.script = ["quota"] * 5
    assert jobs.start_fill(biz.id, user_id=user.id, anchor=APRIL_2030, mode="month") == ""
    record = wait_done(biz.id, jobs.FILL)
    assert record["state"] == "error"
    assert any(w in record["error"].lower() for w in ("quota", "credit", "billing"))
    session.expire_all()
    assert session.exec(select(Content).where(Content.business_id == biz.id)).all() == []
    assert progress.acquire(biz.id, jobs.FILL)  # released after the error


def test_fill_refuses_without_cadence_or_for_someone_else(app_env, session: Session):
    user, biz = make_user(session)
    other, _ = make_user(session)
    message = jobs.start_fill(biz.id, user_id=user.id, anchor=APRIL_2030, mode="month")
    assert "no posting cadence" in message
    assert "not found" in jobs.start_fill(biz.id, user_id=other.id, anchor=APRIL_2030, mode="week")
    assert jobs.status(biz.id, jobs.FILL) == {}


def test_regenerate_job_rewrites_each_post_and_sums_up(online_env, fake_llm, session):
    user, biz = make_user(session)
    a = draft(session, biz, text="First draft about plants")
    b = draft(session, biz, text="Second draft about pots")
    done = draft(session, biz, text="Already out", status=ContentStatus.PUBLISHED)
    ids = [str(a.id), str(b.id), str(done.id)]
    assert jobs.start_regenerate(biz.id, ids, user_id=user.id) == ""
    record = wait_done(biz.id, jobs.REGENERATE)
    assert record["state"] == "done", record
    assert record["result"] == {"done": 2, "failed": 1}
    assert record["done"] == record["total"] == 3
    assert record["message"].startswith("Rewrote 2 posts. 1 could not be:")
    session.expire_all()
    assert session.get(Content, a.id).text != "First draft about plants"
    assert session.get(Content, done.id).text == "Already out"
    assert jobs.start_regenerate(biz.id, [], user_id=user.id).startswith("Select posts")
