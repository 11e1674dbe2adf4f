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


def preload() -> None:
    """Import the publishing stack in the worker's main process.

    RQ forks a work horse per job; modules imported before the fork are inherited,
    so a publish or dispatcher job starts in milliseconds instead of re-importing
    SQLAlchemy, httpx and the connectors (seconds on a busy 2-core machine), which
    would add straight to every post's lateness.
    """
    import aigrowth.content.rules
    import aigrowth.models
    import aigrowth.social.service  # noqa: F401
    from aigrowth.social.connectors import base

    for platform in base.available_platforms():
        base.get_connector(platform)
    # Built once here rather than by each of a job's threads racing on first use:
    # the TLS context (CA bundle) and httpx's transport imports.
    base.http_client().close()
