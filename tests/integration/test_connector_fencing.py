"""Every connector calls `ctx.before_create()` right before each create call, and lets
what it raises (the publisher's "claim lost") out unchanged: a worker that lost its
claim on a post never makes it visible (DESIGN.md §6, the claim as a fencing token).

Real connectors against the platform fakes; the fakes count create *calls* (refused
ones included), so "no create call" means nothing reached the platform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import Session

from aigrowth.social.connectors.base import Media, get_connector
from aigrowth.social.models import SocialAccount
from tests.fakes.bluesky import BlueskyFake
from tests.fakes.common import FakeServer
from tests.fakes.graph import GraphFake
from tests.fakes.linkedin import LinkedInFake
from tests.fakes.mastodon import MastodonFake
from tests.fakes.social_support import (
    connect_bluesky,
    connect_oauth,
    fast_polling,
    publish_ctx,
    serve,
)
from tests.fakes.threads import ThreadsFake
from tests.fakes.x import XFake


class ClaimLost(Exception):
    """Stands in for the publisher's own error: this worker no longer holds the post."""


def _oauth(platform: str, **begin: Any) -> Callable[[Session, FakeServer], SocialAccount]:
    def connect(session: Session, fake: FakeServer) -> SocialAccount:
        extra = {"instance_url": fake.base_url} if platform == "mastodon" else {}
        return connect_oauth(session, platform, **extra, **begin)[0]

    return connect


@dataclass
class Case:
    make_fake: Callable[[], FakeServer]
    connect: Callable[[Session, FakeServer], SocialAccount]
    kind: str  # the fake's create kind (`create_paths`)
    threads: bool = False  # posts thread parts (one create per part)
    with_image: bool = False  # needs an image the platform can download
    env: dict[str, str] = field(default_factory=dict)


CASES = {
    "x": Case(XFake, _oauth("x"), "tweet", threads=True),
    "linkedin": Case(LinkedInFake, _oauth("linkedin"), "post"),
    "facebook": Case(GraphFake, _oauth("facebook"), "fb_post"),
    "instagram": Case(GraphFake, _oauth("instagram"), "ig_publish", with_image=True),
    "threads": Case(ThreadsFake, _oauth("threads"), "publish"),
    "mastodon": Case(MastodonFake, _oauth("mastodon"), "status", threads=True),
    "bluesky": Case(BlueskyFake, connect_bluesky, "post", threads=True),
}


@dataclass
class Platform:
    name: str
    fake: FakeServer
    account: SocialAccount
    kind: str
    extra: dict[str, Any]

    def create_calls(self) -> int:
        return len(self.fake.create_calls(self.kind))

    def accepted(self) -> int:
        return len(self.fake.creates_of(self.kind))


def _platform(name: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    case = CASES[name]
    for fake in serve(case.make_fake(), monkeypatch, SOCIAL_HTTP_TIMEOUT="2", **case.env):
        if name in ("instagram", "threads"):
            fast_polling(monkeypatch, name)
        account = case.connect(session, fake)
        extra: dict[str, Any] = {}
        if case.with_image:
            extra["media"] = [Media(url=fake.image_url())]  # type: ignore[attr-defined]
        yield Platform(name, fake, account, case.kind, extra)


@pytest.fixture(params=sorted(CASES))
def platform(request, app_env, session, monkeypatch) -> Iterator[Platform]:
    yield from _platform(request.param, session, monkeypatch)


@pytest.fixture(params=sorted(n for n, c in CASES.items() if c.threads))
def thread_platform(request, app_env, session, monkeypatch) -> Iterator[Platform]:
    yield from _platform(request.param, session, monkeypatch)


def test_lost_claim_makes_no_create_call_and_propagates_unchanged(platform, session):
    connector = get_connector(platform.name)
    lost = ClaimLost("another worker holds this post now")
    seen: list[int] = []

    def claim_lost() -> None:
        seen.append(platform.create_calls())
        raise lost

    ctx = publish_ctx(session, platform.account, "Fenced post", before_create=claim_lost)
    ctx.media = platform.extra.get("media", [])
    with pytest.raises(ClaimLost) as info:
        connector.publish(ctx)
    assert info.value is lost  # not wrapped, not swallowed
    assert seen == [0]
    assert platform.create_calls() == 0 and platform.accepted() == 0

    # The next attempt, holding the claim, checks once right before its one create.
    held: list[int] = []
    again = publish_ctx(
        session,
        platform.account,
        "Fenced post",
        state=dict(ctx.publish_state),
        before_create=lambda: held.append(platform.create_calls()),
        media=platform.extra.get("media", []),
    )
    result = connector.publish(again)
    assert result.remote_id
    assert held == [0]
    assert platform.create_calls() == 1 and platform.accepted() == 1


def test_every_thread_part_is_fenced(thread_platform, session):
    p = thread_platform
    connector = get_connector(p.name)
    seen: list[int] = []

    def lost_after_the_first_part() -> None:
        seen.append(p.create_calls())
        if len(seen) == 2:
            raise ClaimLost("claim lost mid-thread")

    ctx = publish_ctx(
        session,
        p.account,
        "First part",
        thread=["Second part", "Third part"],
        before_create=lost_after_the_first_part,
    )
    with pytest.raises(ClaimLost):
        connector.publish(ctx)
    # Checked before each part, each time right before its own create call.
    assert seen == [0, 1]
    assert p.create_calls() == 1 and p.accepted() == 1
