"""Daily analytics pull (03:00 UTC; see aigrowth.analytics.service)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aigrowth.analytics import service


def pull_all() -> dict[str, Any]:
    return asdict(service.pull_all())


def monthly_replan() -> dict[str, Any]:
    """Monthly re-plan proposals (1st of the month; see aigrowth.strategy.replan)."""
    from aigrowth.strategy import replan

    return asdict(replan.run_monthly())
