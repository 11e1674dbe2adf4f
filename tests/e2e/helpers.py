"""Helpers for e2e tests (importable, unlike conftest)."""

from __future__ import annotations

import uuid
from pathlib import Path

from aigrowth.settings import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (kept by CI as evidence)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def unique_email(prefix: str = "founder") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
