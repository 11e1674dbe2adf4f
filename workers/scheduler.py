"""Periodic jobs and the scheduler entry point: `python -m workers.scheduler`.

Registration is idempotent: every periodic job has a fixed id, and registering cancels
any job with that id first, so restarting the scheduler never duplicates schedules.
Later issues add their jobs to PERIODIC_JOBS.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from rq_scheduler import Scheduler

from aigrowth.logging_setup import configure_logging
from aigrowth.publishing.waker import DueWaker
from aigrowth.redis_client import get_redis
from workers.queues import ANALYTICS, DEFAULT, PUBLISH
from workers.wait import wait_for_redis

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 15


@dataclass(frozen=True)
class PeriodicJob:
    id: str
    func: str
    interval_s: int | None = None
    cron: str | None = None  # UTC cron expression
    queue: str = DEFAULT
    timeout_s: int = 300


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(
        id="periodic-heartbeat", func="workers.jobs.heartbeat", interval_s=HEARTBEAT_INTERVAL_S
    ),
    # Publishing (DESIGN §6): the dispatcher finds due posts in the DB every 2 s (on the
    # publish queue, so workers take it first); the reconciler frees expired leases.
    PeriodicJob(
        id="periodic-publish-dispatch",
        func="workers.publish_jobs.dispatch_due",
        interval_s=2,
        queue=PUBLISH,
        timeout_s=120,
    ),
    PeriodicJob(
        id="periodic-publish-reconcile",
        func="workers.publish_jobs.reconcile",
        interval_s=120,
        queue=PUBLISH,
        timeout_s=900,
    ),
    PeriodicJob(
        id="periodic-analytics-pull",
        func="workers.analytics_jobs.pull_all",
        cron="0 3 * * *",
        queue=ANALYTICS,
        timeout_s=3 * 3600,
    ),
    # The monthly re-plan from results (a proposal the founder accepts or dismisses).
    PeriodicJob(
        id="periodic-monthly-replan",
        func="workers.analytics_jobs.monthly_replan",
        cron="0 5 1 * *",
        queue=ANALYTICS,
        timeout_s=3 * 3600,
    ),
    # Billing: repair drift from Stripe and end past-due grace periods (free limits).
    PeriodicJob(
        id="periodic-billing-sync",
        func="workers.billing_jobs.sync_subscriptions",
        cron="30 4 * * *",
        timeout_s=1800,
    ),
    # Public API: outbound webhooks (new events, due deliveries and retries).
    PeriodicJob(id="periodic-webhooks", func="workers.webhook_jobs.tick", interval_s=10),
    PeriodicJob(
        id="periodic-token-refresh",
        func="workers.token_jobs.refresh_expiring",
        interval_s=6 * 3600,
        timeout_s=1800,
    ),
]


def register_periodic_jobs(scheduler: Scheduler, jobs: list[PeriodicJob] | None = None) -> int:
    jobs = PERIODIC_JOBS if jobs is None else jobs
    wanted = {job.id for job in jobs}
    for existing in scheduler.get_jobs():
        if existing.id in wanted or existing.id.startswith("periodic-"):
            scheduler.cancel(existing)
    for job in jobs:
        if job.cron:
            scheduler.cron(
                job.cron,
                func=job.func,
                id=job.id,
                queue_name=job.queue,
                timeout=job.timeout_s,
                use_local_timezone=False,
            )
        else:
            scheduler.schedule(
                scheduled_time=datetime.now(UTC),
                func=job.func,
                interval=job.interval_s,
                repeat=None,
                id=job.id,
                queue_name=job.queue,
                timeout=job.timeout_s,
            )
    scheduler.connection.set(REGISTERED_KEY, "1")
    return len(jobs)


# Set when the periodic jobs are registered; gone after Redis lost its data.
REGISTERED_KEY = "aigrowth:scheduler:registered"


class SelfHealingScheduler(Scheduler):
    """Re-registers the periodic jobs when Redis lost them (restart without data), so
    a Redis wipe only delays the dispatcher by one scheduler tick."""

    def enqueue_jobs(self):  # type: ignore[no-untyped-def]
        if not self.connection.exists(REGISTERED_KEY):
            log.warning("Periodic jobs missing from Redis; registering them again")
            register_periodic_jobs(self)
        return super().enqueue_jobs()


def make_scheduler(redis: Redis, interval_s: float = 1.0) -> Scheduler:
    return SelfHealingScheduler(queue_name=DEFAULT, connection=redis, interval=interval_s)


def main() -> None:
    # rq-scheduler evaluates cron strings against the naive local clock: run the
    # scheduler in UTC so "0 3 * * *" means 03:00 UTC on any host.
    os.environ["TZ"] = "UTC"
    time.tzset()
    configure_logging()
    redis = get_redis()
    wait_for_redis(redis)
    scheduler = make_scheduler(redis)
    count = register_periodic_jobs(scheduler)
    log.info("Registered %d periodic jobs", count)
    DueWaker().start()  # posts go out at their instant, not at the next poll
    scheduler.run()


if __name__ == "__main__":
    main()
