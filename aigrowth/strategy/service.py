"""Versioned strategies: every change (AI, offline or by hand) is a new active version.

Older versions stay readable and can be made active again. All functions check that the
business belongs to the user first.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col, select

from aigrowth.ai.errors import NotFoundError
from aigrowth.ai.schemas import StrategyOut
from aigrowth.businesses.service import require_business
from aigrowth.platforms import PLATFORM_RULES
from aigrowth.strategy.models import Strategy


def active_strategy(
    business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> Strategy | None:
    business = require_business(business_id, user_id=user_id, session=session)
    return session.exec(
        select(Strategy)
        .where(Strategy.business_id == business.id, Strategy.is_active.is_(True))  # type: ignore[attr-defined]
        .order_by(col(Strategy.version).desc())
    ).first()


def list_versions(
    business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> list[Strategy]:
    business = require_business(business_id, user_id=user_id, session=session)
    return list(
        session.exec(
            select(Strategy)
            .where(Strategy.business_id == business.id)
            .order_by(col(Strategy.version).desc())
        ).all()
    )


def get_version(
    business_id: uuid.UUID | str, version: int, *, user_id: uuid.UUID, session: Session
) -> Strategy:
    business = require_business(business_id, user_id=user_id, session=session)
    row = session.exec(
        select(Strategy).where(Strategy.business_id == business.id, Strategy.version == version)
    ).first()
    if row is None:
        raise NotFoundError(f"Strategy version {version} was not found.")
    return row


def create_version(
    business_id: uuid.UUID,
    content: dict[str, Any],
    *,
    source: str,
    model: str,
    session: Session,
) -> Strategy:
    """Add version n+1 as the only active one (caller has checked ownership; no commit)."""
    latest = session.exec(
        select(sa.func.max(Strategy.version)).where(Strategy.business_id == business_id)
    ).one()
    session.exec(
        sa.update(Strategy)  # type: ignore[call-overload]
        .where(Strategy.business_id == business_id)  # type: ignore[arg-type]
        .values(is_active=False)
    )
    row = Strategy(
        business_id=business_id,
        version=int(latest or 0) + 1,
        is_active=True,
        content=content,
        text=strategy_text(content),
        source=source,
        model=model,
    )
    session.add(row)
    session.flush()
    return row


def activate_version(
    business_id: uuid.UUID | str, version: int, *, user_id: uuid.UUID, session: Session
) -> Strategy:
    row = get_version(business_id, version, user_id=user_id, session=session)
    session.exec(
        sa.update(Strategy)  # type: ignore[call-overload]
        .where(Strategy.business_id == row.business_id)  # type: ignore[arg-type]
        .values(is_active=False)
    )
    row.is_active = True
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def save_manual_edit(
    business_id: uuid.UUID | str,
    content: dict[str, Any],
    *,
    user_id: uuid.UUID,
    session: Session,
) -> tuple[Strategy | None, str]:
    """Validate a hand edit; save it as a new active version. Returns (row, error)."""
    business = require_business(business_id, user_id=user_id, session=session)
    try:
        parsed = StrategyOut.model_validate(content)
    except ValidationError as err:
        return None, validation_message(err)
    row = create_version(
        business.id, parsed.model_dump(), source="manual", model="", session=session
    )
    session.commit()
    session.refresh(row)
    return row, ""


def validation_message(err: ValidationError) -> str:
    """First problem of a strategy edit, in plain words."""
    first = err.errors()[0]
    loc = [str(x) for x in first.get("loc", ())]
    where = ""
    if len(loc) >= 2 and loc[1].isdigit():
        where = f"{loc[0].capitalize()} #{int(loc[1]) + 1}"
        if len(loc) > 2:
            where += f" {loc[2].replace('_', ' ')}"
    elif loc:
        where = loc[0].replace("_", " ").capitalize()
    msg = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def _label(platform: str) -> str:
    rules = PLATFORM_RULES.get(platform)
    return rules.label if rules else platform


def strategy_text(content: dict[str, Any]) -> str:
    """Markdown rendering, stored beside the structure (exports, e-mails, search)."""
    lines: list[str] = []
    if content.get("summary"):
        lines += ["## Summary", content["summary"], ""]
    lines.append("## Platforms")
    cadence = {c["platform"]: c for c in content.get("cadence", [])}
    for p in content.get("platforms", []):
        cad = cadence.get(p["platform"], {})
        times = ", ".join(cad.get("best_times") or [])
        freq = f" — {cad.get('posts_per_week', '?')} posts/week" + (f" at {times}" if times else "")
        lines.append(f"- **{_label(p['platform'])}**{freq}: {p['why']}")
    lines += ["", "## Content pillars"]
    for pillar in content.get("pillars", []):
        lines.append(f"- **{pillar['name']}** ({pillar['share']}%): {pillar['description']}")
    tone = content.get("tone") or {}
    lines += ["", "## Tone and voice", tone.get("voice", "")]
    if tone.get("do"):
        lines.append("Do: " + "; ".join(tone["do"]))
    if tone.get("dont"):
        lines.append("Don't: " + "; ".join(tone["dont"]))
    lines += ["", "## KPIs"]
    for kpi in content.get("kpis", []):
        by = f" by {kpi['by']}" if kpi.get("by") else ""
        lines.append(f"- **{kpi['name']}**: {kpi['target']}{by} ({kpi.get('goal', '')})")
    return "\n".join(lines).strip() + "\n"
