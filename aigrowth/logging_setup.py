"""One logging format for every process."""

from __future__ import annotations

import logging

from aigrowth.settings import get_settings


def configure_logging() -> None:
    level = get_settings().log_level.upper()
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
