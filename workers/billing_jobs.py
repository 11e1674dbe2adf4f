"""Billing job (daily): re-read subscriptions from Stripe and end expired grace periods
(see aigrowth.billing.service.sync_all). Nothing to do while billing is off."""

from __future__ import annotations

from typing import Any

from aigrowth.billing.service import sync_all
from aigrowth.db import session_scope
from aigrowth.settings import get_settings


def sync_subscriptions() -> dict[str, Any]:
    if not get_settings().billing_enabled:
        return {"skipped": "billing is off"}
    with session_scope() as session:
        return sync_all(session=session)
