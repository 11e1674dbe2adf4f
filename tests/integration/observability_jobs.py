"""Job functions for the observability tests, importable by a real worker process."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def explode(detail: str) -> None:
    """Log a line (it must carry the job id), then fail (Sentry must hear of it)."""
    log.warning("about to fail")
    raise RuntimeError(f"job failed while calling the platform with {detail}")
