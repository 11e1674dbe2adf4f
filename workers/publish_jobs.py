"""Publishing jobs (thin: the state machine lives in aigrowth.publishing.service).

None of these jobs use RQ `Retry`: a retry is the post going back to `scheduled` with a
`next_attempt_at`, decided by the state machine and picked up by the dispatcher.
"""

from __future__ import annotations

from aigrowth.publishing import service


def publish_posts(items: list[tuple[str, int]]) -> dict[str, int]:
    """Publish claimed posts: items are (content id hex, attempt number)."""
    return service.publish_posts(items)


def dispatch_due() -> int:
    """Every few seconds: claim due posts found in the database and enqueue them."""
    return service.dispatch_due()


def reconcile() -> dict[str, int]:
    """Every few minutes: expired leases and unknown outcomes, by platform lookup."""
    return service.reconcile()
