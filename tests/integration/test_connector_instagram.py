"""Instagram connector (via Facebook Login) against the fake Graph API (real HTTP).

The two-step container flow is the point: the container id is saved before publishing,
and a publish whose answer was lost is found again instead of being published twice.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from aigrowth.social import service
from aigrowth.social.connectors.base import (
    Media,
    PermanentError,
    RetryableError,
    UnknownOutcomeError,
)
from aigrowth.social.models import SocialAccount
from tests.fakes.graph import GraphFake
from tests.fakes.social_support import (
    Attempts,
    connect_oauth,
    fast_polling,
    serve,
)

IG = "17841400000000001"


@pytest.fixture
def graph(app_env, monkeypatch):
    yield from serve(GraphFake(), monkeypatch)


@pytest.fixture
def connector(monkeypatch):
    return fast_polling(monkeypatch, "instagram")


def connect(session: Session, fake: GraphFake) -> SocialAccount:
    (account,) = connect_oauth(session, "instagram", url_has=("instagram_content_publish",))
    return account


def Ctx(session: Session, account: SocialAccount, fake: GraphFake) -> Attempts:
    """Attempts of one post with an image Instagram can download."""
    return Attempts(
        session,
        account,
        fake,
        text="Fresh roast today ☕ #coffee",
        media=[Media(url=fake.image_url())],
    )


def test_connect_lists_instagram_professional_accounts_behind_pages(graph, session):
    account = connect(session, graph)  # only one of the two Pages has Instagram
    assert account.account_id == IG and account.handle == "acmecoffee"
    assert account.meta["page_id"] == "20001"
    ref = service.account_ref(account.id, session=session)
    assert graph.state.tokens[ref.access_token].kind == "page"


def test_publish_saves_the_container_before_publishing(graph, session, connector):
    graph.state.container_polls = 3  # IN_PROGRESS for a few polls, then FINISHED
    c = Ctx(session, connect(session, graph), graph)
    result = connector.publish(c.make())
    (container_id,) = graph.state.containers
    assert c.saved[0]["ig_container_id"] == container_id
    assert c.publish_calls_at_save[0] == 0  # saved before media_publish was called
    assert graph.state.containers[container_id]["status_code"] == "PUBLISHED"
    assert graph.state.media[result.remote_id]["caption"] == "Fresh roast today ☕ #coffee"
    assert result.url.startswith("https://www.instagram.com/p/")


def test_publish_that_timed_out_after_media_publish_is_not_published_twice(
    graph, session, connector
):
    c = Ctx(session, connect(session, graph), graph)
    graph.faults.hang_after_accept(1, seconds=3, path=f"/v24.0/{IG}/media_publish")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(c.make())
    assert len(graph.state.media) == 1  # it did land
    # Reconciliation finds it through the saved container...
    found = connector.lookup(c.make())
    (media_id,) = graph.state.media
    assert found is not None and found.remote_id == media_id
    # ...and a plain retry of publish also returns it without publishing again.
    again = connector.publish(c.make())
    assert again.remote_id == media_id
    assert len(graph.state.publish_calls) == 1
    assert len(graph.creates_of("ig_container")) == 1
    assert len(graph.state.media) == 1


def test_500_after_publish_then_retry_and_unpublished_container_is_reused(
    graph, session, connector
):
    c = Ctx(session, connect(session, graph), graph)
    graph.faults.fail_after_accept(1, path=f"/v24.0/{IG}/media_publish")
    with pytest.raises(UnknownOutcomeError):
        connector.publish(c.make())
    assert connector.publish(c.make()).remote_id == next(iter(graph.state.media))
    assert len(graph.state.media) == 1
    # A container still processing at the deadline: retry later with the same container.
    graph.state.container_polls = 10_000
    c2 = Ctx(session, c.account, graph)
    with pytest.raises(RetryableError):
        connector.publish(c2.make("Second post"))
    assert connector.lookup(c2.make("Second post")) is None  # confirmed not published
    containers_before = len(graph.state.containers)
    graph.state.container_polls = 0
    graph.state.containers[c2.saved[-1]["ig_container_id"]]["status_code"] = "FINISHED"
    second = connector.publish(c2.make("Second post"))
    assert len(graph.state.containers) == containers_before  # reused, not recreated
    assert graph.state.media[second.remote_id]["caption"] == "Second post"


def test_validation_and_permanent_errors(graph, session, connector):
    c = Ctx(session, connect(session, graph), graph)
    problems = connector.validate("No picture", [])
    assert any("image" in p.lower() for p in problems)
    with pytest.raises(PermanentError):
        connector.publish(c.make(media=[]))
    # Instagram downloads the image: an unreachable URL is refused (9004/2207052).
    with pytest.raises(PermanentError) as bad:
        connector.publish(c.make(media=[Media(url="http://127.0.0.1:9/nope.jpg")]))
    assert bad.value.code == "9004/2207052"
    too_many = " ".join(f"#tag{i}" for i in range(31))
    assert any("hashtags" in p for p in connector.validate(too_many, [Media(url="x")]))
    assert graph.state.media == {}


def test_daily_publishing_quota_is_retryable_and_publishes_nothing(graph, session, connector):
    c = Ctx(session, connect(session, graph), graph)
    graph.state.ig_quota_used = 100
    with pytest.raises(RetryableError) as info:
        connector.publish(c.make())
    assert info.value.code == "quota" and info.value.retry_after == 3600
    assert graph.state.publish_calls == []


def test_metrics(graph, session, connector):
    c = Ctx(session, connect(session, graph), graph)
    post = connector.publish(c.make())
    graph.state.set_post_stats(
        post.remote_id, views=900, reach=700, likes=40, comments=5, shares=3, saved=6
    )
    m = connector.fetch_metrics(c.make(), post.remote_id)
    assert (m.impressions, m.reach, m.likes, m.comments, m.shares, m.saves) == (
        900,
        700,
        40,
        5,
        3,
        6,
    )
    assert m.clicks is None
