"""Re-plan from results: one pillar clearly wins → the proposal raises its share and says
why; accept makes a new active version; dismiss changes nothing; too little data is
said plainly; works offline (no key) and with the fake LLM."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from aigrowth.accounts.models import User
from aigrowth.ai.errors import NotFoundError
from aigrowth.ai.offline import offline_strategy
from aigrowth.analytics.models import AnalyticsSnapshot
from aigrowth.businesses.models import Business
from aigrowth.businesses.service import business_profile
from aigrowth.content.models import Content, ContentStatus
from aigrowth.strategy import replan
from aigrowth.strategy.models import Strategy, StrategyProposal
from aigrowth.strategy.service import active_strategy, create_version, save_manual_edit
from tests.fakes.llm import fake_llm, online_env  # noqa: F401  (fixtures)

TODAY = date(2026, 3, 31)


def _founder(session: Session, posts_per_pillar: int = 4) -> tuple[User, Business, list[str]]:
    user = User(email=f"replan{posts_per_pillar}@example.com", timezone="UTC")
    session.add(user)
    session.flush()
    biz = Business(
        user_id=user.id,
        name="Bean There",
        industry="Food & drink",
        description="Small-batch coffee roaster",
        platforms=["x", "linkedin"],
    )
    session.add(biz)
    session.flush()
    content = offline_strategy(business_profile(biz), TODAY).model_dump()
    create_version(biz.id, content, source="offline", model="", session=session)
    pillars = [p["name"] for p in content["pillars"]]
    # The first pillar earns 8% engagement, the others 2% (1,000 impressions a post).
    n = 0
    for index, pillar in enumerate(pillars):
        for _ in range(posts_per_pillar):
            n += 1
            when = datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(days=n)
            post = Content(
                business_id=biz.id,
                platform="x",
                pillar=pillar,
                status=ContentStatus.PUBLISHED,
                published_at=when,
            )
            session.add(post)
            session.flush()
            session.add(
                AnalyticsSnapshot(
                    content_id=post.id,
                    business_id=biz.id,
                    platform="x",
                    day=when.date() + timedelta(days=1),
                    impressions=1000,
                    likes=80 if index == 0 else 20,
                )
            )
    session.commit()
    return user, biz, pillars


def _shares(content: dict) -> dict[str, int]:
    return {p["name"]: p["share"] for p in content["pillars"]}


def test_offline_proposal_raises_the_winning_pillar_and_says_why(app_env, session):
    user, biz, pillars = _founder(session)
    kw = {"user_id": user.id, "session": session}
    before = _shares(active_strategy(biz.id, **kw).content)
    result = replan.propose(biz.id, today=TODAY, **kw)
    proposal = result.proposal
    assert proposal is not None and proposal.source == "offline", result.message
    after = _shares(proposal.content)
    assert after[pillars[0]] > before[pillars[0]]
    assert sum(after.values()) == 100
    change = next(c for c in proposal.changes if c["item"] == pillars[0])
    assert change["area"] == "pillars" and change["before"] == f"{before[pillars[0]]}%"
    assert "8.0% engagement over 4 posts" in change["why"]
    assert replan.pending_proposal(biz.id, **kw).id == proposal.id

    version, error = replan.accept(proposal.id, **kw)
    assert error == "" and version is not None
    active = active_strategy(biz.id, **kw)
    assert active.version == 2 and active.source == "replan"
    assert _shares(active.content) == after
    assert replan.pending_proposal(biz.id, **kw) is None
    # A second accept of the same proposal does nothing.
    assert replan.accept(proposal.id, **kw) == (None, "This proposal was already decided.")
    assert active_strategy(biz.id, **kw).version == 2


def test_dismiss_changes_nothing(app_env, session):
    user, biz, _ = _founder(session)
    kw = {"user_id": user.id, "session": session}
    before = active_strategy(biz.id, **kw).content
    proposal = replan.propose(biz.id, today=TODAY, **kw).proposal
    assert replan.dismiss(proposal.id, **kw)
    session.expire_all()
    assert session.get(StrategyProposal, proposal.id).status == "dismissed"
    versions = session.exec(select(Strategy).where(Strategy.business_id == biz.id)).all()
    assert len(versions) == 1 and active_strategy(biz.id, **kw).content == before


def test_too_little_data_says_so_instead_of_guessing(app_env, session):
    user, biz, pillars = _founder(session, posts_per_pillar=2)  # 2 per pillar: < 10
    result = replan.propose(biz.id, user_id=user.id, session=session, today=TODAY)
    assert result.proposal is None
    published = 2 * len(pillars)
    assert result.message.startswith(f"Only {published} posts published in the last 90 days")
    assert not session.exec(select(StrategyProposal)).all()


def test_a_stale_proposal_is_not_applied_over_a_newer_edit(app_env, session):
    user, biz, _ = _founder(session)
    kw = {"user_id": user.id, "session": session}
    proposal = replan.propose(biz.id, today=TODAY, **kw).proposal
    edited = dict(active_strategy(biz.id, **kw).content, summary="Edited by hand.")
    save_manual_edit(biz.id, edited, **kw)
    version, error = replan.accept(proposal.id, **kw)
    assert version is None and "changed since" in error
    assert active_strategy(biz.id, **kw).content["summary"] == "Edited by hand."


def test_with_the_fake_llm(online_env, fake_llm, session):  # noqa: F811
    user, biz, pillars = _founder(session)
    kw = {"user_id": user.id, "session": session}
    before = _shares(active_strategy(biz.id, **kw).content)
    result = replan.propose(biz.id, today=TODAY, **kw)
    proposal = result.proposal
    assert proposal is not None and proposal.source == "ai", result.message
    assert _shares(proposal.content)[pillars[0]] == before[pillars[0]] + 10
    assert "8.0% over 4 posts" in proposal.changes[0]["why"]
    assert fake_llm.calls == 1
    version, error = replan.accept(proposal.id, **kw)
    assert error == "" and version.version == 2


def test_another_user_can_neither_propose_nor_decide(app_env, session):
    user, biz, _ = _founder(session)
    proposal = replan.propose(biz.id, user_id=user.id, session=session, today=TODAY).proposal
    other = User(email="mallory@example.com")
    session.add(other)
    session.commit()
    for call in (
        lambda: replan.propose(biz.id, user_id=other.id, session=session),
        lambda: replan.accept(proposal.id, user_id=other.id, session=session),
        lambda: replan.dismiss(proposal.id, user_id=other.id, session=session),
        lambda: replan.pending_proposal(biz.id, user_id=other.id, session=session),
    ):
        with pytest.raises(NotFoundError):
            call()
    session.expire_all()
    assert session.get(StrategyProposal, proposal.id).status == "pending"


def test_monthly_run_proposes_for_businesses_with_results_and_notifies(app_env, session):
    from aigrowth.accounts.models import Notification

    user, biz, _ = _founder(session)
    thin_user, thin_biz, _ = _founder(session, posts_per_pillar=1)
    stats = replan.run_monthly(today=TODAY)
    assert (stats.businesses, stats.proposed, stats.skipped, stats.failed) == (2, 1, 1, 0)
    session.expire_all()
    assert replan.pending_proposal(biz.id, user_id=user.id, session=session) is not None
    assert replan.pending_proposal(thin_biz.id, user_id=thin_user.id, session=session) is None
    notes = session.exec(select(Notification).where(Notification.user_id == user.id)).all()
    assert [n.link for n in notes] == ["/analytics"]
    # A business with a proposal this month is not asked again.
    again = replan.run_monthly(today=TODAY)
    assert again.businesses == 1 and again.proposed == 0


def test_new_batches_lean_toward_the_pillar_that_performs(app_env, session):
    from aigrowth.ai.planning import allocate
    from aigrowth.ai.service import generate_posts

    user, biz, pillars = _founder(session)
    kw = {"user_id": user.id, "session": session}
    shares = _shares(active_strategy(biz.id, **kw).content)
    plain = allocate(20, shares)
    summary: dict[str, str] = {}
    now = datetime(2026, 3, 31, 12, tzinfo=UTC)
    posts = generate_posts(biz.id, 20, now=now, summary=summary, **kw)
    counts = {p: sum(1 for c in posts if c.pillar == p) for p in pillars}
    assert counts[pillars[0]] > plain[pillars[0]]  # the 8% pillar gets more slots
    assert all(counts[p] >= 1 for p in pillars)  # the others keep some (exploring)
    assert summary["weighting"].startswith(f"Weighted by results: more {pillars[0]} (8.0%")


def test_without_results_a_batch_follows_the_strategy_shares(app_env, session):
    from aigrowth.ai.planning import allocate
    from aigrowth.ai.service import generate_posts

    user, biz, pillars = _founder(session, posts_per_pillar=0)
    kw = {"user_id": user.id, "session": session}
    plain = allocate(20, _shares(active_strategy(biz.id, **kw).content))
    summary: dict[str, str] = {}
    posts = generate_posts(biz.id, 20, summary=summary, **kw)
    assert {p: sum(1 for c in posts if c.pillar == p) for p in pillars} == plain
    assert summary == {}
