"""Business profiles and the onboarding wizard's steps, always scoped by the owner.

Each wizard step validates its own fields and saves them at once (and advances
`onboarding_step`), so a reload in the middle loses nothing. Bad input returns
field -> message and changes nothing.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from aigrowth.ai.errors import NotFoundError
from aigrowth.billing.plans import BUSINESSES, LimitExceededError, require_within
from aigrowth.businesses.models import Business
from aigrowth.dbtypes import utcnow
from aigrowth.ids import uuid_or_none
from aigrowth.platforms import PLATFORMS
from aigrowth.timezones import user_timezone as user_timezone  # re-exported

STEPS = 5
MAX_BUSINESSES = 20
GOAL_METRICS: dict[str, str] = {
    "followers": "Followers",
    "engagement_rate": "Engagement rate (%)",
    "website_visits": "Website visits",
    "leads": "Leads / sign-ups",
    "conversions": "Conversions / sales",
    "newsletter": "Newsletter subscribers",
}
TONE_PRESETS: dict[str, str] = {
    "friendly": "Friendly, warm and approachable",
    "professional": "Professional, clear and credible",
    "playful": "Playful, witty and light",
    "bold": "Bold, direct and opinionated",
    "educational": "Educational, patient and practical",
}
INDUSTRIES = [
    "Software / SaaS",
    "E-commerce / Retail",
    "Food & drink",
    "Health & fitness",
    "Education",
    "Agency / Services",
    "Creator / Media",
    "Other",
]

Errors = dict[str, str]


# ---------------------------------------------------------------------- queries
def list_businesses(*, user_id: uuid.UUID, session: Session) -> list[Business]:
    return list(
        session.exec(
            select(Business)
            .where(Business.user_id == user_id)
            .order_by(col(Business.updated_at).desc(), col(Business.created_at).desc())
        ).all()
    )


def get_business(
    business_id: uuid.UUID | str | None, *, user_id: uuid.UUID, session: Session
) -> Business | None:
    """The business if it exists AND belongs to `user_id`; otherwise None."""
    bid = uuid_or_none(business_id)
    if bid is None:
        return None
    return session.exec(
        select(Business).where(Business.id == bid, Business.user_id == user_id)
    ).first()


def require_business(
    business_id: uuid.UUID | str | None, *, user_id: uuid.UUID, session: Session
) -> Business:
    business = get_business(business_id, user_id=user_id, session=session)
    if business is None:
        raise NotFoundError("That business was not found.")
    return business


def resolve_current(
    preferred: uuid.UUID | str | None, *, user_id: uuid.UUID, session: Session
) -> Business | None:
    """The preferred business when it is the user's, else their most recent one."""
    business = get_business(preferred, user_id=user_id, session=session)
    if business is not None:
        return business
    found = list_businesses(user_id=user_id, session=session)
    return found[0] if found else None


# ---------------------------------------------------------------------- validation
def _clean(value: Any) -> str:
    """One line, single spaces."""
    return " ".join(str(value or "").split())


def normalise_website(value: str) -> tuple[str, str]:
    """(url, error). Empty is fine; a bare domain gets https://."""
    value = (value or "").strip()
    if not value:
        return "", ""
    if not re.match(r"(?i)^https?://", value):
        value = "https://" + value
    try:
        parts = urlsplit(value)
    except ValueError:
        return value, "Enter a web address like https://example.com."
    host = parts.hostname or ""
    if not host or "." not in host or " " in value or len(value) > 500:
        return value, "Enter a web address like https://example.com."
    return value, ""


def validate_basics(data: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    name = _clean(data.get("name"))
    industry = _clean(data.get("industry"))
    description = str(data.get("description") or "").strip()
    website, website_error = normalise_website(str(data.get("website") or ""))
    if not name:
        errors["name"] = "Enter your business name."
    elif len(name) > 200:
        errors["name"] = "Keep the name under 200 characters."
    if not industry:
        errors["industry"] = "Choose or type your industry."
    elif len(industry) > 120:
        errors["industry"] = "Keep the industry under 120 characters."
    if len(description) < 20:
        errors["description"] = (
            "Describe what you do in at least 20 characters; the AI builds everything on it."
        )
    elif len(description) > 5000:
        errors["description"] = "Keep the description under 5,000 characters."
    if website_error:
        errors["website"] = website_error
    return {
        "name": name,
        "industry": industry,
        "description": description,
        "website": website,
    }, errors


def validate_audience(data: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    who = str(data.get("target_audience") or "").strip()
    location = _clean(data.get("location"))
    pains = str(data.get("pains") or "").strip()
    if len(who) < 10:
        errors["target_audience"] = "Describe who you want to reach (at least 10 characters)."
    elif len(who) > 2000:
        errors["target_audience"] = "Keep the audience under 2,000 characters."
    if len(location) > 120:
        errors["location"] = "Keep the location under 120 characters."
    if len(pains) > 2000:
        errors["pains"] = "Keep this under 2,000 characters."
    return {"target_audience": who, "audience": {"location": location, "pains": pains}}, errors


def validate_goals(
    goals: list[dict[str, Any]], *, today: date | None = None
) -> tuple[list[dict[str, Any]], Errors]:
    """Each goal: metric, a positive whole-number target and an optional future date."""
    today = today or utcnow().date()
    errors: Errors = {}
    cleaned: list[dict[str, Any]] = []
    if not isinstance(goals, list) or not all(isinstance(g, dict) for g in goals):
        return [], {"goals": "Goals could not be read; please enter them again."}
    rows = [g for g in goals if any(str(g.get(k) or "").strip() for k in ("target", "by"))]
    if not rows:
        errors["goals"] = "Add at least one goal with a target, e.g. 1,000 followers."
    if len(rows) > 5:
        errors["goals"] = "Keep it to 5 goals or fewer."
    seen: set[str] = set()
    for index, goal in enumerate(rows[:5]):
        metric = str(goal.get("metric") or "")
        raw_target = str(goal.get("target") or "").replace(",", "").replace(" ", "").strip()
        raw_by = str(goal.get("by") or "").strip()
        key = f"goal_{index}"
        if metric not in GOAL_METRICS:
            errors[key] = "Choose what to measure."
            continue
        if metric in seen:
            errors[key] = f"{GOAL_METRICS[metric]} is already a goal."
            continue
        seen.add(metric)
        if not raw_target.isdigit() or int(raw_target) <= 0:
            errors[key] = "The target must be a whole number above 0, e.g. 1000."
            continue
        target = int(raw_target)
        if target > 1_000_000_000 or (metric == "engagement_rate" and target > 100):
            errors[key] = "That target is out of range."
            continue
        by = ""
        if raw_by:
            try:
                when = date.fromisoformat(raw_by)
            except ValueError:
                errors[key] = "Enter the date as YYYY-MM-DD."
                continue
            if when <= today:
                errors[key] = "The date must be in the future."
                continue
            if when > today + timedelta(days=3 * 366):
                errors[key] = "Pick a date within the next 3 years."
                continue
            by = when.isoformat()
        label = f"{target:,} {GOAL_METRICS[metric].lower()}" + (f" by {by}" if by else "")
        cleaned.append({"metric": metric, "target": target, "by": by, "label": label})
    return cleaned, errors


def validate_channels(data: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    platforms = [p for p in PLATFORMS if p in set(data.get("platforms") or [])]
    unknown = set(data.get("platforms") or []) - set(PLATFORMS)
    tone = str(data.get("tone") or "").strip()
    voice = str(data.get("brand_voice") or "").strip()
    if unknown:
        errors["platforms"] = "Unknown platform selected."
    elif not platforms:
        errors["platforms"] = "Pick at least one platform you want to grow on."
    if tone and tone not in TONE_PRESETS:
        errors["tone"] = "Choose one of the tones."
    brand_voice = voice or TONE_PRESETS.get(tone, "")
    if not brand_voice:
        errors["tone"] = "Choose a tone or describe your voice."
    elif len(brand_voice) > 1000:
        errors["brand_voice"] = "Keep the voice description under 1,000 characters."
    return {"platforms": platforms, "brand_voice": brand_voice}, errors


# ---------------------------------------------------------------------- writes
def save_step(
    business_id: uuid.UUID | str | None,
    step: int,
    data: dict[str, Any],
    *,
    user_id: uuid.UUID,
    session: Session,
) -> tuple[Business | None, Errors]:
    """Validate and save one wizard step. Step 1 without a business creates one."""
    if step == 1:
        values, errors = validate_basics(data)
    elif step == 2:
        values, errors = validate_audience(data)
    elif step == 3:
        goals, errors = validate_goals(list(data.get("goals") or []))
        values = {"goals": goals}
    elif step == 4:
        values, errors = validate_channels(data)
    else:
        return None, {"step": "Unknown step."}
    business = get_business(business_id, user_id=user_id, session=session)
    if errors:
        return business, errors
    if business is None:
        if step != 1:
            return None, {"step": "Start with your business basics."}
        count = len(list_businesses(user_id=user_id, session=session))
        if count >= MAX_BUSINESSES:
            return None, {"name": f"You can have up to {MAX_BUSINESSES} businesses."}
        try:
            require_within(user_id, BUSINESSES, session=session)
        except LimitExceededError as exc:
            return None, {"name": str(exc)}
        business = Business(user_id=user_id, name=values["name"])
    if step == 2:
        values["audience"] = {**(business.audience or {}), **values["audience"]}
    for field, value in values.items():
        setattr(business, field, value)
    business.onboarding_step = max(business.onboarding_step or 1, step + 1)
    business.updated_at = utcnow()
    session.add(business)
    session.commit()
    session.refresh(business)
    return business, {}


def mark_onboarded(business: Business, *, session: Session) -> None:
    business.onboarding_completed = True
    business.onboarding_step = STEPS
    business.updated_at = utcnow()
    session.add(business)


def touch(business: Business, *, session: Session) -> None:
    """Mark as most recently used (the fallback 'current business')."""
    business.updated_at = utcnow()
    session.add(business)
    session.commit()


# ---------------------------------------------------------------------- AI input
def business_profile(business: Business) -> dict[str, Any]:
    """What the AI sees: the founder's own words, as data."""
    audience = business.audience or {}
    return {
        "name": business.name,
        "industry": business.industry,
        "description": business.description,
        "website": business.website,
        "target_audience": business.target_audience,
        "audience": {
            "location": audience.get("location", ""),
            "pains": audience.get("pains", ""),
        },
        "goals": business.goals or [],
        "platforms": business.platforms or [],
        "brand_voice": business.brand_voice,
        "topics": business.topics or [],
    }


def user_texts(business: Business) -> list[str]:
    """Everything the founder typed: URLs and @handles in AI output must come from here."""
    audience = business.audience or {}
    return [
        business.name,
        business.description,
        business.website,
        business.target_audience,
        str(audience.get("location", "")),
        str(audience.get("pains", "")),
        business.brand_voice,
        " ".join(str(g.get("label", "")) for g in business.goals or []),
        " ".join(str(t) for t in business.topics or []),
    ]
