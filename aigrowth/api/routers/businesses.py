"""Businesses: list, create, get, update — through the onboarding wizard's own steps
(aigrowth.businesses.service.save_step), so the API accepts exactly what the UI does."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import status

from aigrowth.api.deps import Db, Reader, Writer
from aigrowth.api.problems import ApiProblem
from aigrowth.api.routing import api_router
from aigrowth.api.schemas import BusinessCreate, BusinessOut, BusinessUpdate, business_out
from aigrowth.billing.plans import BUSINESSES, require_within
from aigrowth.businesses import service
from aigrowth.businesses.models import Business

router = api_router(prefix="/businesses", tags=["businesses"])

BASICS = ("name", "industry", "description", "website")
AUDIENCE = ("target_audience", "location", "pains")
CHANNELS = ("platforms", "tone", "brand_voice")


def _steps(b: Business | None, data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The wizard steps touched by ``data``, each completed with the current values."""
    audience = (b.audience if b else None) or {}
    current: dict[str, Any] = {
        "name": b.name if b else "",
        "industry": b.industry if b else "",
        "description": b.description if b else "",
        "website": b.website if b else "",
        "target_audience": b.target_audience if b else "",
        "location": audience.get("location", ""),
        "pains": audience.get("pains", ""),
        "platforms": list(b.platforms or []) if b else [],
        "brand_voice": b.brand_voice if b else "",
        "tone": "",
    }
    steps: dict[int, dict[str, Any]] = {}
    for step, fields in ((1, BASICS), (2, AUDIENCE), (4, CHANNELS)):
        if (b is None and step == 1) or any(f in data for f in fields):
            steps[step] = {f: data.get(f, current[f]) for f in fields}
    if "goals" in data:
        steps[3] = {"goals": [dict(g) for g in data["goals"]]}
    return dict(sorted(steps.items()))


def _validate(steps: dict[int, dict[str, Any]]) -> None:
    """Every touched step is checked before anything is saved."""
    errors: dict[str, str] = {}
    for step, data in steps.items():
        if step == 1:
            errors |= service.validate_basics(data)[1]
        elif step == 2:
            errors |= service.validate_audience(data)[1]
        elif step == 3:
            errors |= service.validate_goals(data["goals"])[1]
        elif step == 4:
            errors |= service.validate_channels(data)[1]
    if errors:
        _refuse(errors)


def _refuse(errors: dict[str, str]) -> None:
    message = next(iter(errors.values()))
    raise ApiProblem(
        "invalid-request",
        message,
        errors=[{"field": f, "message": m} for f, m in errors.items()],
    )


def _save(b: Business | None, steps: dict[int, dict[str, Any]], who: Reader, db: Db) -> Business:
    for step, data in steps.items():
        b, errors = service.save_step(
            b.id if b else None, step, data, user_id=who.user_id, session=db
        )
        if errors:
            _refuse(errors)
    assert b is not None
    return b


def _owned(business_id: uuid.UUID, who: Reader, db: Db) -> Business:
    b = service.get_business(business_id, user_id=who.user_id, session=db)
    if b is None:
        raise ApiProblem("not-found", "That business was not found.")
    return b


@router.get("", response_model=list[BusinessOut], summary="Your businesses")
def list_businesses(who: Reader, db: Db) -> list[BusinessOut]:
    return [business_out(b) for b in service.list_businesses(user_id=who.user_id, session=db)]


@router.post(
    "", response_model=BusinessOut, status_code=status.HTTP_201_CREATED, summary="Create a business"
)
def create_business(body: BusinessCreate, who: Writer, db: Db) -> BusinessOut:
    data = body.model_dump(exclude_none=True)
    steps = _steps(None, data)
    _validate(steps)
    require_within(who.user_id, BUSINESSES, session=db)
    return business_out(_save(None, steps, who, db))


@router.get("/{business_id}", response_model=BusinessOut, summary="One business")
def get_business(business_id: uuid.UUID, who: Reader, db: Db) -> BusinessOut:
    return business_out(_owned(business_id, who, db))


@router.patch("/{business_id}", response_model=BusinessOut, summary="Change a business")
def update_business(
    business_id: uuid.UUID, body: BusinessUpdate, who: Writer, db: Db
) -> BusinessOut:
    b = _owned(business_id, who, db)
    steps = _steps(b, body.model_dump(exclude_none=True))
    _validate(steps)
    return business_out(_save(b, steps, who, db) if steps else b)
