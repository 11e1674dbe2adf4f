"""Periodic job registration is idempotent; the heartbeat job really runs on a worker."""

from __future__ import annotations

import time

from rq import SimpleWorker

from aigrowth.redis_client import SCHEDULER_HEARTBEAT_KEY, get_redis
from workers.queues import DEFAULT, get_queue
from workers.scheduler import PERIODIC_JOBS, PeriodicJob, make_scheduler, register_periodic_jobs


def test_restarting_the_scheduler_does_not_duplicate_schedules(app_env) -> None:
    scheduler = make_scheduler(get_redis())
    for _ in range(3):  # three restarts
        register_periodic_jobs(scheduler)
    ids = [job.id for job in scheduler.get_jobs()]
    assert sorted(ids) == sorted(job.id for job in PERIODIC_JOBS)
    assert len(ids) == len(set(ids))


def test_removed_periodic_jobs_are_cancelled_on_restart(app_env) -> None:
    scheduler = make_scheduler(get_redis())
    old = PeriodicJob(id="periodic-retired", func="workers.jobs.heartbeat", interval_s=60)
    register_periodic_jobs(scheduler, [*PERIODIC_JOBS, old])
    register_periodic_jobs(scheduler)
    assert "periodic-retired" not in {job.id for job in scheduler.get_jobs()}


def test_heartbeat_runs_on_a_worker(app_env) -> None:
    redis = get_redis()
    scheduler = make_scheduler(redis)
    register_periodic_jobs(scheduler)
    scheduler.enqueue_jobs()  # what the scheduler loop does every second
    assert get_queue(DEFAULT).count >= 1
    before = time.time()
    SimpleWorker([get_queue(DEFAULT)], connection=redis).work(burst=True)
    beat = float(redis.get(SCHEDULER_HEARTBEAT_KEY))
    assert before - 1 <= beat <= time.time()
