"""Wizard steps: validation messages, saving, resuming, several businesses, ownership."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlmodel import Session

from aigrowth.accounts.models import User
from aigrowth.businesses import service


def _user(session: Session) -> User:
    user = User(email=f"{uuid.uuid4().hex[:8]}@example.com")
    session.add(user)
    session.commit()
    return user


BASICS = {
    "name": "  Bean   There ",
    "industry": "Food & drink",
    "description": "A neighbourhood cafe with home-roasted coffee.",
    "website": "beanthere.cafe",
}


def test_each_step_validates_with_clear_messages_and_changes_nothing(session) -> None:
    user = _user(session)
    business, errors = service.save_step(
        None, 1, {"name": "", "industry": "", "description": "short", "website": "not a url"},
        user_id=user.id, session=session,
    )  # fmt: skip
    assert business is None
    assert errors == {
        "name": "Enter your business name.",
        "industry": "Choose or type your industry.",
        "description": "Describe what you do in at least 20 characters; the AI builds "
        "everything on it.",
        "website": "Enter a web address like https://example.com.",
    }
    assert service.list_businesses(user_id=user.id, session=session) == []

    business, errors = service.save_step(None, 1, BASICS, user_id=user.id, session=session)
    assert not errors and business.name == "Bean There"
    assert business.website == "https://beanthere.cafe" and business.onboarding_step == 2

    _, errors = service.save_step(
        business.id, 2, {"target_audience": "x"}, user_id=user.id, session=session
    )
    assert "target_audience" in errors
    session.refresh(business)
    assert business.target_audience == "" and business.onboarding_step == 2

    today = date.today()
    bad_goals = [
        {"metric": "followers", "target": "-5", "by": ""},
        {"metric": "leads", "target": "100", "by": (today - timedelta(days=1)).isoformat()},
        {"metric": "conversions", "target": "100", "by": "31/12/2027"},
    ]
    _, errors = service.save_step(
        business.id, 3, {"goals": bad_goals}, user_id=user.id, session=session
    )
    assert errors == {
        "goal_0": "The target must be a whole number above 0, e.g. 1000.",
        "goal_1": "The date must be in the future.",
        "goal_2": "Enter the date as YYYY-MM-DD.",
    }
    _, errors = service.save_step(
        business.id,
        3,
        {"goals": [{"metric": "followers", "target": "", "by": ""}]},
        user_id=user.id,
        session=session,
    )
    assert errors == {"goals": "Add at least one goal with a target, e.g. 1,000 followers."}
    # A malformed payload (not a list of goal objects) is a message, not a crash.
    _, errors = service.save_step(
        business.id, 3, {"goals": ["1000 followers"]}, user_id=user.id, session=session
    )
    assert errors == {"goals": "Goals could not be read; please enter them again."}

    _, errors = service.save_step(
        business.id, 4, {"platforms": [], "tone": ""}, user_id=user.id, session=session
    )
    assert errors["platforms"] == "Pick at least one platform you want to grow on."
    assert errors["tone"] == "Choose a tone or describe your voice."


def test_steps_save_and_resume(session) -> None:
    user = _user(session)
    business, _ = service.save_step(None, 1, BASICS, user_id=user.id, session=session)
    service.save_step(
        business.id,
        2,
        {"target_audience": "Remote workers nearby", "location": "Leeds"},
        user_id=user.id,
        session=session,
    )
    by = (date.today() + timedelta(days=120)).isoformat()
    business, errors = service.save_step(
        business.id, 3,
        {"goals": [{"metric": "followers", "target": "1,000", "by": by},
                   {"metric": "conversions", "target": "100", "by": ""}]},
        user_id=user.id, session=session,
    )  # fmt: skip
    assert not errors
    assert business.goals == [
        {"metric": "followers", "target": 1000, "by": by, "label": f"1,000 followers by {by}"},
        {"metric": "conversions", "target": 100, "by": "", "label": "100 conversions / sales"},
    ]
    business, _ = service.save_step(
        business.id,
        4,
        {"platforms": ["instagram", "facebook", "bogus"], "tone": "friendly"},
        user_id=user.id,
        session=session,
    )
    session.expire_all()
    fresh = service.get_business(business.id, user_id=user.id, session=session)
    assert fresh.onboarding_step == 4 and fresh.platforms == []  # step 4 refused
    business, errors = service.save_step(
        business.id,
        4,
        {"platforms": ["instagram", "facebook"], "tone": "friendly"},
        user_id=user.id,
        session=session,
    )
    assert not errors
    session.expire_all()
    fresh = service.get_business(business.id, user_id=user.id, session=session)
    assert fresh.onboarding_step == 5 and fresh.platforms == ["facebook", "instagram"]
    assert fresh.brand_voice == service.TONE_PRESETS["friendly"]
    assert fresh.audience["location"] == "Leeds"
    # Going back and re-saving an earlier step never moves progress backwards.
    service.save_step(business.id, 1, BASICS, user_id=user.id, session=session)
    assert service.get_business(business.id, user_id=user.id, session=session).onboarding_step == 5


def test_several_businesses_and_current_business_rules(session) -> None:
    user = _user(session)
    first, _ = service.save_step(None, 1, BASICS, user_id=user.id, session=session)
    second, _ = service.save_step(
        None, 1, dict(BASICS, name="Second shop"), user_id=user.id, session=session
    )
    # Preferred when it is the user's; otherwise the most recently used.
    assert service.resolve_current(str(first.id), user_id=user.id, session=session).id == first.id
    assert service.resolve_current(None, user_id=user.id, session=session).id == second.id
    assert service.resolve_current("garbage", user_id=user.id, session=session).id == second.id
    service.touch(first, session=session)
    assert service.resolve_current(None, user_id=user.id, session=session).id == first.id

    other = _user(session)
    # Someone else's id is ignored, never resolved.
    assert service.resolve_current(str(first.id), user_id=other.id, session=session) is None
    assert service.get_business(first.id, user_id=other.id, session=session) is None
    _, _errors = service.save_step(
        first.id, 1, dict(BASICS, name="Stolen"), user_id=other.id, session=session
    )
    # B's step 1 with A's id creates B's own business; A's stays untouched.
    session.expire_all()
    assert service.get_business(first.id, user_id=user.id, session=session).name == "Bean There"
    assert [b.name for b in service.list_businesses(user_id=other.id, session=session)] == [
        "Stolen"
    ]
