"""Token refresh job (every 6 h; see aigrowth.publishing.tokens)."""

from __future__ import annotations

from aigrowth.publishing import tokens


def refresh_expiring() -> dict:
    return tokens.refresh_expiring()
