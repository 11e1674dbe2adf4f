"""Daily analytics pull (03:00 UTC; see aigrowth.analytics.service)."""

from __future__ import annotations

from dataclasses import asdict

from aigrowth.analytics import service


def pull_all() -> dict:
    return asdict(service.pull_all())
