"""AI usage: cost estimates, usage_logs rows and the monthly allowance per plan.

Unit of the allowance: one AI generation (a strategy, a batch of posts or a rewrite)
that actually reached the provider. Cache hits and offline drafts are free. Allowances
come from settings (AI_ALLOWANCE_FREE / _PRO / _ENTERPRISE; 0 = unlimited).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session

from aigrowth.ai.errors import AllowanceExceededError
from aigrowth.billing import plans
from aigrowth.billing.models import UsageLog
from aigrowth.dbtypes import utcnow
from aigrowth.settings import Settings

# What the allowance counts lives with the limits (billing); named here for AI code.
AI_KINDS = plans.AI_METERED_KINDS
OFFLINE_MODEL = plans.OFFLINE_MODEL

# USD per 1M tokens (input, output). Unknown models (local Ollama, vLLM) cost 0.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}


def estimate_cost(model: str, tokens_in: int, tokens_out: int) -> float:
    """Estimated USD for a call ("openai/gpt-4o" on OpenRouter prices as gpt-4o)."""
    name = model.split("/", 1)[-1].lower()
    price = PRICES.get(name)
    if price is None:
        # Dated snapshots ("gpt-4o-2024-08-06") price like their family.
        for known in sorted(PRICES, key=len, reverse=True):
            if name.startswith(known + "-"):
                price = PRICES[known]
                break
    if price is None:
        return 0.0
    return round((tokens_in * price[0] + tokens_out * price[1]) / 1_000_000, 6)


def current_plan(user_id: uuid.UUID, *, session: Session) -> str:
    """The plan whose limits apply (billing decides: Stripe state, grace, billing off)."""
    return plans.effective_plan(user_id, session=session)


def monthly_allowance(plan: str, settings: Settings | None = None) -> int:
    return plans.limits_for(plan, settings)[plans.AI_GENERATIONS]


def month_start(now: datetime | None = None) -> datetime:
    now = (now or utcnow()).astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime | None = None) -> datetime:
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def used_this_month(user_id: uuid.UUID, *, session: Session, now: datetime | None = None) -> int:
    return plans.ai_generations_used(user_id, session=session, at=now)


def allowance_status(user_id: uuid.UUID, *, session: Session) -> dict[str, int | str]:
    plan = current_plan(user_id, session=session)
    limit = monthly_allowance(plan)
    used = used_this_month(user_id, session=session)
    return {"plan": plan, "limit": limit, "used": used}


def check_allowance(user_id: uuid.UUID, *, session: Session) -> None:
    """Raise with a clear message when this month's AI allowance is used up."""
    status = allowance_status(user_id, session=session)
    limit = int(status["limit"])
    if limit and int(status["used"]) >= limit:
        renew = next_month_start().strftime("%-d %B")
        raise AllowanceExceededError(
            f"You have used all {limit} AI generations included in the "
            f"{str(status['plan']).capitalize()} plan this month. They renew on {renew} "
            "(UTC); upgrade on the Billing page for more. Cached results still work."
        )


def record(
    *,
    session: Session,
    user_id: uuid.UUID,
    business_id: uuid.UUID | None,
    kind: str,
    model: str,
    tokens_in: int = 0,
    tokens_out: int = 0,
    cache_hit: bool = False,
    quantity: int = 1,
    meta: dict | None = None,
) -> UsageLog:
    row = UsageLog(
        user_id=user_id,
        business_id=business_id,
        kind=kind,
        quantity=quantity,
        model=model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=0.0 if cache_hit else estimate_cost(model, tokens_in, tokens_out),
        cache_hit=cache_hit,
        meta=meta or {},
    )
    session.add(row)
    return row
