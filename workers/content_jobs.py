"""Content studio jobs (queue "ai"): thin wrappers around aigrowth.content.jobs."""

from __future__ import annotations

from typing import Any

from aigrowth.content import jobs


def fill_gaps(business_id: str, user_id: str, anchor: str, mode: str) -> dict[str, Any]:
    """Calendar "Fill the gaps": drafts for the open slots of one period."""
    return jobs.run_fill(business_id, user_id, anchor, mode)


def regenerate(
    business_id: str, user_id: str, ids: list[str], feedback: str = ""
) -> dict[str, Any]:
    """Library bulk "Regenerate": rewrite the ticked posts with the AI layer."""
    return jobs.run_regenerate(business_id, user_id, ids, feedback)
