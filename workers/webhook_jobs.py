"""Outbound webhook jobs (queue "default"): thin wrappers around aigrowth.api.webhooks.

``tick`` (periodic) records new events as deliveries and queues every due delivery;
``deliver`` sends one. Retries are not RQ retries: each failed attempt stores its next
time in the database (exponential backoff) and the tick queues it again when due, so a
lost job or a Redis restart delays a delivery but never loses it.
"""

from __future__ import annotations

import uuid

from aigrowth.api import idempotency, webhooks
from aigrowth.db import session_scope
from aigrowth.queues import DEFAULT, enqueue


def deliver(delivery_id: str) -> str:
    with session_scope() as session:
        return webhooks.deliver(uuid.UUID(delivery_id), session=session)


def tick() -> dict[str, int]:
    with session_scope() as session:
        made = webhooks.scan(session=session)
        due = webhooks.due(session=session)
        purged = idempotency.purge(session=session)
    for delivery_id in due:
        # One queued job per delivery and attempt window: a slow worker never gets two.
        enqueue(
            "workers.webhook_jobs.deliver",
            str(delivery_id),
            queue=DEFAULT,
            job_id=f"webhook-{delivery_id.hex}",
            job_timeout=60,
            result_ttl=0,
        )
    return {"events": len(made), "queued": len(due), "idempotency_purged": purged}
