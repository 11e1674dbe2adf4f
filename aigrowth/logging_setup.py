"""One logging format for every process."""

from __future__ import annotations

import logging

from aigrowth.settings import get_settings


def configure_logging() -> None:
    level = get_settings().log_level.upper()
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    if level != "DEBUG":
        # RQ logs four INFO lines per job; the dispatcher runs every few seconds, so that
        # would drown what matters. Failures are still logged (WARNING and up); our own
        # jobs log their outcomes themselves.
        for noisy in ("rq.worker", "rq.scheduler", "rq_scheduler.scheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
