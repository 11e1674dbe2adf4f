"""Strategy versions: hand edits are validated and become version n+1; old ones stay."""

from __future__ import annotations

import copy

import pytest

from aigrowth.ai.errors import NotFoundError
from aigrowth.ai.service import generate_strategy
from aigrowth.strategy import service
from tests.integration.founder_support import make_founder


def _founder(session):
    return make_founder(
        session,
        {
            1: {
                "name": "Form Fit",
                "industry": "Health & fitness",
                "description": "Small-group strength training for busy parents.",
            },
            4: {"platforms": ["instagram", "facebook"], "tone": "bold"},
        },
    )


def test_manual_edit_validates_and_versions(app_env, session) -> None:
    user, business = _founder(session)
    first = generate_strategy(business.id, user_id=user.id, session=session)
    edited = copy.deepcopy(first.content)
    edited["pillars"][0]["share"] += 40
    row, error = service.save_manual_edit(business.id, edited, user_id=user.id, session=session)
    assert row is None and "add up to 100" in error
    assert len(service.list_versions(business.id, user_id=user.id, session=session)) == 1

    edited = copy.deepcopy(first.content)
    edited["summary"] = "Our own words."
    edited["pillars"][0]["name"] = "Coach tips"
    row, error = service.save_manual_edit(business.id, edited, user_id=user.id, session=session)
    assert not error and row.version == 2 and row.source == "manual" and row.is_active
    assert "Coach tips" in row.text
    active = service.active_strategy(business.id, user_id=user.id, session=session)
    assert active.version == 2

    # An older version can be viewed and made active again.
    assert (
        service.get_version(business.id, 1, user_id=user.id, session=session).content
        == first.content
    )
    service.activate_version(business.id, 1, user_id=user.id, session=session)
    assert service.active_strategy(business.id, user_id=user.id, session=session).version == 1
    flags = {
        s.version: s.is_active
        for s in service.list_versions(business.id, user_id=user.id, session=session)
    }
    assert flags == {2: False, 1: True}


def test_other_users_cannot_read_or_edit_strategies(app_env, session) -> None:
    user, business = _founder(session)
    first = generate_strategy(business.id, user_id=user.id, session=session)
    intruder, _ = _founder(session)
    for call in (
        lambda: service.list_versions(business.id, user_id=intruder.id, session=session),
        lambda: service.active_strategy(business.id, user_id=intruder.id, session=session),
        lambda: service.get_version(business.id, 1, user_id=intruder.id, session=session),
        lambda: service.activate_version(business.id, 1, user_id=intruder.id, session=session),
        lambda: service.save_manual_edit(
            business.id, first.content, user_id=intruder.id, session=session
        ),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert len(service.list_versions(business.id, user_id=user.id, session=session)) == 1
