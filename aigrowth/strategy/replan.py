"""Re-plan from results: propose strategy version n+1 as a diff, then accept or dismiss.

A proposal is stored (`strategy_proposals`) with the full proposed strategy, the list
of changes with the figures behind each, and the version it was made from. Accepting
creates the new active version (later batches and "fill the gaps" follow it); it is
refused when the active version moved on since, so a stale diff never overwrites a
newer edit. Dismissing only marks the proposal. Every function checks ownership first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col, select

from aigrowth.ai.errors import NotFoundError
from aigrowth.ai.schemas import StrategyOut
from aigrowth.analytics import queries as q
from aigrowth.businesses.service import require_business, user_timezone
from aigrowth.dbtypes import utcnow
from aigrowth.strategy.models import Strategy, StrategyProposal
from aigrowth.strategy.service import active_strategy, create_version

PERIOD_DAYS = 90
PENDING, ACCEPTED, DISMISSED, SUPERSEDED = "pending", "accepted", "dismissed", "superseded"


@dataclass
class ReplanResult:
    proposal: StrategyProposal | None
    message: str  # what to tell the founder (too little data, no change, ready)


def results_digest(
    business_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    today: date | None = None,
    days: int = PERIOD_DAYS,
) -> dict[str, Any]:
    """The period's results by pillar, platform, format and slot: the re-plan's input."""
    today = today or utcnow().date()
    f = q.Filters(today - timedelta(days=days - 1), today)
    kw: dict[str, Any] = {"user_id": user_id, "session": session}
    tz = user_timezone(user_id, session=session)

    def groups(by: str) -> list[dict[str, Any]]:
        return [
            {
                "key": g.key,
                "posts": g.posts,
                "impressions": g.impressions,
                "engagements": g.engagements,
                "engagement_rate": None
                if g.engagement_rate is None
                else round(g.engagement_rate, 4),
            }
            for g in q.breakdown(business_id, f, by, **kw)
        ]

    platforms = groups("platform")
    measured = [g for g in platforms if g["impressions"]]
    overall_imp = sum(g["impressions"] for g in measured)
    overall_eng = sum((g["engagement_rate"] or 0) * g["impressions"] for g in measured)
    return {
        "period_days": days,
        "time_zone": tz,
        "published_posts": sum(g["posts"] for g in platforms),
        "overall": {
            "impressions": overall_imp or None,
            "engagement_rate": round(overall_eng / overall_imp, 4) if overall_imp else None,
        },
        "pillars": groups("pillar"),
        "platforms": platforms,
        "formats": groups("format"),
        "slots": [
            {
                "weekday": q.WEEKDAYS[c.weekday],
                "hour": c.hour,
                "posts": c.posts,
                "engagement_rate": None
                if c.engagement_rate is None
                else round(c.engagement_rate, 4),
            }
            for c in q.heatmap(business_id, f, timezone=tz, **kw)
        ],
    }


def pending_proposal(
    business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> StrategyProposal | None:
    business = require_business(business_id, user_id=user_id, session=session)
    return session.exec(
        select(StrategyProposal)
        .where(StrategyProposal.business_id == business.id, StrategyProposal.status == PENDING)
        .order_by(col(StrategyProposal.created_at).desc())
    ).first()


def propose(
    business_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    client: Any = None,
    today: date | None = None,
) -> ReplanResult:
    """Read the results and store a proposal (replacing an older pending one)."""
    from aigrowth.ai import service as ai

    business = require_business(business_id, user_id=user_id, session=session)
    current = active_strategy(business.id, user_id=user_id, session=session)
    if current is None:
        return ReplanResult(None, "Write a strategy first; a re-plan starts from it.")
    results = results_digest(business.id, user_id=user_id, session=session, today=today)
    try:
        proposed, source, _model = ai.replan_strategy(
            business.id,
            current.content,
            results,
            user_id=user_id,
            session=session,
            client=client,
            today=today,
        )
    except ValueError as exc:
        session.commit()  # keep the usage record of the offline run
        return ReplanResult(None, str(exc))
    if proposed is None:
        session.commit()
        return ReplanResult(
            None, "Your results support the current strategy: no change to propose."
        )
    session.exec(
        sa.update(StrategyProposal)  # type: ignore[call-overload]
        .where(
            StrategyProposal.business_id == business.id,  # type: ignore[arg-type]
            StrategyProposal.status == PENDING,  # type: ignore[arg-type]
        )
        .values(status=SUPERSEDED, decided_at=utcnow())
    )
    row = StrategyProposal(
        business_id=business.id,
        base_version=current.version,
        content=proposed.strategy.model_dump(),
        changes=[c.model_dump() for c in proposed.changes],
        summary=proposed.summary,
        source=source,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    n = len(row.changes)
    return ReplanResult(row, f"Proposed version {current.version + 1}: {n} change{'s' * (n != 1)}.")


def _owned_proposal(
    proposal_id: uuid.UUID | str, user_id: uuid.UUID, session: Session
) -> StrategyProposal:
    try:
        pid = proposal_id if isinstance(proposal_id, uuid.UUID) else uuid.UUID(str(proposal_id))
    except ValueError:
        raise NotFoundError("That proposal was not found.") from None
    row = session.get(StrategyProposal, pid)
    if row is None:
        raise NotFoundError("That proposal was not found.")
    require_business(row.business_id, user_id=user_id, session=session)  # NotFound if not A's
    return row


def _claim(row: StrategyProposal, status: str, session: Session) -> bool:
    """Move a pending proposal to `status` with one conditional UPDATE (no double accept)."""
    hit = session.exec(
        sa.update(StrategyProposal)  # type: ignore[call-overload]
        .where(
            StrategyProposal.id == row.id,  # type: ignore[arg-type]
            StrategyProposal.status == PENDING,  # type: ignore[arg-type]
        )
        .values(status=status, decided_at=utcnow())
    )
    return bool(hit.rowcount)


def accept(
    proposal_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> tuple[Strategy | None, str]:
    """Make the proposal the new active version. Returns (version, error message)."""
    row = _owned_proposal(proposal_id, user_id, session)
    if row.status != PENDING:
        return None, "This proposal was already decided."
    current = active_strategy(row.business_id, user_id=user_id, session=session)
    if current is None or current.version != row.base_version:
        return None, "The strategy changed since this proposal; ask for a new re-plan."
    try:
        content = StrategyOut.model_validate(row.content).model_dump()
    except ValidationError:
        return None, "This proposal is no longer a valid strategy; ask for a new re-plan."
    if not _claim(row, ACCEPTED, session):
        session.rollback()
        return None, "This proposal was already decided."
    version = create_version(
        row.business_id, content, source="replan", model=row.source, session=session
    )
    session.commit()
    session.refresh(version)
    return version, ""


def dismiss(proposal_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> bool:
    """Mark the proposal dismissed; the strategy is left as it is."""
    row = _owned_proposal(proposal_id, user_id, session)
    done = _claim(row, DISMISSED, session)
    session.commit()
    return done


def due_businesses(
    *, session: Session, min_age_days: int = 28
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(business, owner) pairs for the monthly re-plan: an active strategy and no
    proposal in the last `min_age_days` days."""
    from aigrowth.businesses.models import Business

    recent = (
        select(StrategyProposal.business_id)
        .where(StrategyProposal.created_at >= utcnow() - timedelta(days=min_age_days))
        .subquery()
    )
    rows = session.exec(
        select(Business.id, Business.user_id)
        .join(Strategy, Strategy.business_id == Business.id)
        .where(Strategy.is_active.is_(True), col(Business.id).not_in(select(recent.c.business_id)))  # type: ignore[attr-defined]
    ).all()
    return [(r[0], r[1]) for r in rows]


@dataclass
class MonthlyStats:
    businesses: int = 0
    proposed: int = 0
    skipped: int = 0  # too little data or nothing to change
    failed: int = 0


def run_monthly(*, today: date | None = None) -> MonthlyStats:
    """The monthly re-plan: one proposal per business that has results to learn from,
    its owner notified (in the app, no email). One business's failure (AI outage,
    allowance used up) never stops the others."""
    import logging

    from aigrowth.db import session_scope
    from aigrowth.notifications.service import notify

    log = logging.getLogger(__name__)
    stats = MonthlyStats()
    with session_scope() as db:
        due = due_businesses(session=db)
    stats.businesses = len(due)
    for business_id, user_id in due:
        try:
            with session_scope() as db:
                result = propose(business_id, user_id=user_id, session=db, today=today)
                if result.proposal is None:
                    stats.skipped += 1
                    continue
                notify(
                    user_id,
                    "replan_proposed",
                    "Your monthly re-plan is ready",
                    result.message,
                    link="/analytics",
                    dedupe_key=f"replan:{result.proposal.id}",
                    session=db,
                    email=False,
                )
                db.commit()
                stats.proposed += 1
        except Exception as exc:  # logged; the next business goes on
            log.warning("Monthly re-plan of business %s failed: %s", business_id, exc)
            stats.failed += 1
    return stats
