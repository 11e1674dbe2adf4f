"""AI jobs (queue "ai"): thin wrappers around aigrowth.ai.runner."""

from __future__ import annotations

from typing import Any

from aigrowth.ai.runner import run_generation as _run_generation


def run_generation(kind: str, business_id: str, user_id: str, count: int = 0) -> dict[str, Any]:
    """Write a strategy ("strategy") or a batch of drafts ("posts") for one business."""
    return _run_generation(kind, business_id, user_id, count)
