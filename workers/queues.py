"""Queue names and helpers for job code; the definitions live in `aigrowth.queues`."""

from __future__ import annotations

from aigrowth.queues import AI, ALL_QUEUES, ANALYTICS, DEFAULT, PUBLISH, enqueue, get_queue

__all__ = ["AI", "ALL_QUEUES", "ANALYTICS", "DEFAULT", "PUBLISH", "enqueue", "get_queue"]
