"""Token refresh job (every 6 h; see aigrowth.publishing.tokens)."""

from __future__ import annotations

from typing import Any

from aigrowth.publishing import tokens


def refresh_expiring() -> dict[str, Any]:
    return tokens.refresh_expiring()
