"""Per-user isolation (issue 3): user B, signed in, tries every object-scoped service
function, HTTP route and main Reflex event handler with user A's ids. B gets nothing of
A's back and changes nothing of A's: a snapshot of every row A owns is identical after.

Keep this file growing: a new capability with object ids adds its calls to
`service_attempts()`, its routes to the HTTP test and its handlers to the Reflex test.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy.exc
from sqlmodel import Session, SQLModel, select
from starlette.testclient import TestClient

from aigrowth.accounts import service as accounts
from aigrowth.accounts.models import Notification, User, UserIdentity, UserSession
from aigrowth.accounts.service import SESSION_COOKIE
from aigrowth.businesses import service as businesses
from aigrowth.businesses.models import Business
from aigrowth.content import service as content
from aigrowth.content.models import Content, ContentStatus, ContentVersion, MediaAsset
from aigrowth.dbtypes import utcnow
from aigrowth.http.routes import build_api
from aigrowth.notifications import service as notifications
from aigrowth.publishing import service as publishing
from aigrowth.publishing.models import PublishAttempt
from aigrowth.settings import reset_settings_cache
from aigrowth.social import service as social
from aigrowth.social import vault
from aigrowth.social.models import SocialAccount
from aigrowth.strategy import service as strategy
from aigrowth.strategy.models import Strategy
from tests.asyncio_support import run_async
from tests.fakes.x import XFake

SECRET = "ALICE-SECRET"  # in every text A owns: must never show up in what B gets
PW = "river stone lantern"
PNG_1x1 = bytes.fromhex(  # a real 1x1 transparent PNG (uploads are decoded)
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)
# Programming errors are failures, never "refusals".
NOT_A_REFUSAL = (
    AssertionError, TypeError, AttributeError, NameError, KeyError, IndexError, RuntimeError,
)  # fmt: skip


@dataclass
class World:
    a: User
    b: User
    a_token: str
    b_token: str
    a_session_id: uuid.UUID
    a_biz: Business
    b_biz: Business
    a_draft: Content
    a_scheduled: Content
    a_failed: Content
    a_published: Content
    a_version: ContentVersion
    a_media: MediaAsset
    a_account: SocialAccount
    a_note: uuid.UUID
    a_identity: uuid.UUID
    b_draft: Content
    b_account: SocialAccount
    x: XFake
    ids: dict[str, Any] = field(default_factory=dict)


def _strategy_content(business: Business) -> dict[str, Any]:
    from aigrowth.ai.offline import offline_strategy

    return offline_strategy(businesses.business_profile(business), date(2026, 3, 1)).model_dump()


def _x_account(session: Session, user: User, biz: Business, fake: XFake, handle: str):
    issued = fake.oauth.issue(user_id=f"{handle}-x-id", client_id=fake.client_id)
    account = SocialAccount(
        user_id=user.id,
        business_id=biz.id,
        platform="x",
        account_id=f"{handle}-x-id",
        handle=handle,
        display_name=f"{handle} {SECRET}" if handle == "alice" else handle,
    )
    account.access_token_enc = vault.encrypt(account.id, issued["access_token"])
    account.refresh_token_enc = vault.encrypt(account.id, issued["refresh_token"])
    account.token_expires_at = utcnow() + timedelta(hours=2)
    session.add(account)
    session.commit()
    return account


@pytest.fixture
def world(
    app_env: dict[str, str], session: Session, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    with XFake() as x:
        for key, value in {
            "ADMIN_EMAILS": "ops@example.com",  # neither A nor B is an operator
            "X_API_BASE": x.base_url,
            "X_AUTH_URL": x.authorize_url,
            "X_CLIENT_ID": x.client_id,
            "X_CLIENT_SECRET": x.client_secret,
        }.items():
            monkeypatch.setenv(key, value)
        reset_settings_cache()
        yield _build_world(session, x)


def _build_world(session: Session, x: XFake) -> World:
    a = accounts.create_user("alice@example.com", PW, session=session, full_name=SECRET)
    b = accounts.create_user("bob@example.com", PW, session=session, full_name="Bob")
    a_token = accounts.create_session(a.id, session=session, user_agent="A's laptop")
    b_token = accounts.create_session(b.id, session=session, user_agent="B's laptop")
    a_session_id = session.exec(select(UserSession.id).where(UserSession.user_id == a.id)).one()

    a_biz = Business(user_id=a.id, name=f"{SECRET} Bakery", description=SECRET, platforms=["x"])
    b_biz = Business(user_id=b.id, name="Bob's Bikes", platforms=["x"])
    session.add_all([a_biz, b_biz])
    session.commit()
    strategy.create_version(
        a_biz.id, _strategy_content(a_biz), source="offline", model="", session=session
    )
    strategy.create_version(
        a_biz.id, _strategy_content(a_biz), source="manual", model="", session=session
    )
    session.commit()

    a_account = _x_account(session, a, a_biz, x, "alice")
    b_account = _x_account(session, b, b_biz, x, "bob")
    soon = utcnow() + timedelta(days=2)
    a_draft = content.create_draft(
        a_biz.id, "x", f"{SECRET} draft v1", user_id=a.id, session=session
    )
    content.save_text(a_draft.id, f"{SECRET} draft v2", user_id=a.id, session=session)
    a_version = session.exec(
        select(ContentVersion).where(ContentVersion.content_id == a_draft.id)
    ).first()
    a_media = content.save_upload(a_biz.id, "alice.png", PNG_1x1, user_id=a.id, session=session)
    content.attach_media(a_draft.id, a_media.id, user_id=a.id, session=session)
    a_scheduled = content.create_draft(
        a_biz.id, "x", f"{SECRET} scheduled", user_id=a.id, session=session
    )
    content.schedule(
        a_scheduled.id, soon, user_id=a.id, session=session, account_id=str(a_account.id)
    )
    a_failed = Content(
        business_id=a_biz.id,
        platform="x",
        text=f"{SECRET} failed",
        status=ContentStatus.FAILED,
        social_account_id=a_account.id,
        scheduled_for=utcnow() - timedelta(hours=1),
        last_error="Rate limited",
    )
    a_published = Content(
        business_id=a_biz.id,
        platform="x",
        text=f"{SECRET} published",
        status=ContentStatus.PUBLISHED,
        social_account_id=a_account.id,
        remote_id="1800000000000000001",
        published_at=utcnow() - timedelta(days=1),
    )
    session.add_all([a_failed, a_published])
    session.commit()
    a_note = notifications.notify(
        a.id, "post_failed", f"{SECRET} failed", link="/content", session=session, email=False
    )
    a_identity = UserIdentity(
        user_id=a.id, issuer="https://accounts.google.com", subject="a-google", email=SECRET
    )
    session.add(a_identity)
    session.commit()
    b_draft = content.create_draft(b_biz.id, "x", "Bob's draft", user_id=b.id, session=session)
    for row in (a_draft, a_scheduled, a_media, b_draft):
        session.refresh(row)
    return World(
        a=a,
        b=b,
        a_token=a_token,
        b_token=b_token,
        a_session_id=a_session_id,
        a_biz=a_biz,
        b_biz=b_biz,
        a_draft=a_draft,
        a_scheduled=a_scheduled,
        a_failed=a_failed,
        a_published=a_published,
        a_version=a_version,
        a_media=a_media,
        a_account=a_account,
        a_note=a_note,
        a_identity=a_identity.id,
        b_draft=b_draft,
        b_account=b_account,
        x=x,
    )


# ------------------------------------------------------------------------ snapshots
def _dump(rows: list[SQLModel]) -> list[dict[str, Any]]:
    return sorted((r.model_dump() for r in rows), key=lambda d: str(d["id"]))


def snapshot(session: Session, w: World) -> dict[str, list[dict[str, Any]]]:
    """Every row A owns, column by column."""
    session.expire_all()
    biz_ids = [w.a_biz.id]
    content_ids = list(session.exec(select(Content.id).where(Content.business_id.in_(biz_ids))))
    return {
        "users": _dump(session.exec(select(User).where(User.id == w.a.id)).all()),
        "identities": _dump(
            session.exec(select(UserIdentity).where(UserIdentity.user_id == w.a.id)).all()
        ),
        "sessions": _dump(
            session.exec(select(UserSession).where(UserSession.user_id == w.a.id)).all()
        ),
        "notifications": _dump(
            session.exec(select(Notification).where(Notification.user_id == w.a.id)).all()
        ),
        "businesses": _dump(session.exec(select(Business).where(Business.user_id == w.a.id)).all()),
        "strategies": _dump(
            session.exec(select(Strategy).where(Strategy.business_id.in_(biz_ids))).all()
        ),
        "content": _dump(session.exec(select(Content).where(Content.id.in_(content_ids))).all()),
        "versions": _dump(
            session.exec(
                select(ContentVersion).where(ContentVersion.content_id.in_(content_ids))
            ).all()
        ),
        "media": _dump(
            session.exec(select(MediaAsset).where(MediaAsset.business_id.in_(biz_ids))).all()
        ),
        "social_accounts": _dump(
            session.exec(select(SocialAccount).where(SocialAccount.user_id == w.a.id)).all()
        ),
        "publish_attempts": _dump(
            session.exec(
                select(PublishAttempt).where(PublishAttempt.content_id.in_(content_ids))
            ).all()
        ),
    }


def _a_ids(w: World) -> set[uuid.UUID]:
    return {
        w.a.id,
        w.a_biz.id,
        w.a_draft.id,
        w.a_scheduled.id,
        w.a_failed.id,
        w.a_published.id,
        w.a_version.id,
        w.a_media.id,
        w.a_account.id,
        w.a_note,
        w.a_session_id,
        w.a_identity,
    }


def assert_nothing_of_a(result: Any, w: World, what: str) -> None:
    """What B got back holds no object, id or text of A's."""
    text = repr(result)
    assert SECRET not in text, f"{what} leaked A's data: {text[:300]}"
    for an_id in _a_ids(w):
        assert str(an_id) not in text, f"{what} returned A's id {an_id}: {text[:300]}"
    owner = getattr(result, "user_id", None)
    assert owner in (None, w.b.id), f"{what} returned a row of another user"


def attempt(session: Session, w: World, what: str, call: Callable[[], Any]) -> str:
    """Run one of B's attempts: a refusal (a user-facing error) or an empty answer."""
    try:
        result = call()
    except NOT_A_REFUSAL:
        raise
    except sqlalchemy.exc.SQLAlchemyError:
        raise  # a database error is a bug, not an ownership check
    except Exception as exc:  # the capability's NotFound / refusal types
        session.rollback()
        assert SECRET not in str(exc), f"{what}: the refusal names A's data: {exc}"
        return "refused"
    assert_nothing_of_a(result, w, what)
    return "empty"


# --------------------------------------------------------------------- the attempts
def service_attempts(w: World, s: Session) -> dict[str, Callable[[], Any]]:
    """Every object-scoped domain function, called as B with A's ids."""
    b = w.b.id
    a_biz, a_draft, a_sched = w.a_biz.id, w.a_draft.id, w.a_scheduled.id
    a_acc, a_media = str(w.a_account.id), w.a_media.id
    later = utcnow() + timedelta(days=3)
    tomorrow = (utcnow() + timedelta(days=1)).date()
    a_posts = [str(a_draft), str(a_sched), str(w.a_failed.id)]
    valid_strategy = _strategy_content(w.a_biz)
    from aigrowth.ai import runner as ai_runner
    from aigrowth.ai import service as ai

    return {
        # accounts
        "accounts.revoke_session_by_id": lambda: accounts.revoke_session_by_id(
            w.a_session_id, user_id=b, session=s
        ),
        "accounts.list_sessions": lambda: accounts.list_sessions(b, session=s),
        "accounts.remove_sign_in_method": lambda: accounts.remove_sign_in_method(
            str(w.a_identity), user_id=b, session=s
        ),
        "accounts.list_sign_in_methods": lambda: accounts.list_sign_in_methods(b, session=s),
        "accounts.get_owned_business": lambda: accounts.get_owned_business(
            a_biz, user_id=b, session=s
        ),
        "accounts.get_owned(SocialAccount)": lambda: accounts.get_owned(
            SocialAccount, a_acc, user_id=b, session=s
        ),
        # businesses
        "businesses.get_business": lambda: businesses.get_business(a_biz, user_id=b, session=s),
        "businesses.require_business": lambda: businesses.require_business(
            a_biz, user_id=b, session=s
        ),
        "businesses.resolve_current": lambda: businesses.resolve_current(
            a_biz, user_id=b, session=s
        ),
        "businesses.list_businesses": lambda: businesses.list_businesses(user_id=b, session=s),
        **{
            f"businesses.save_step({step})": (
                lambda step=step: businesses.save_step(
                    a_biz,
                    step,
                    {
                        "name": "Hijacked",
                        "description": "x",
                        "goals": [{"metric": "followers", "target": "100", "by": ""}],
                        "platforms": ["x"],
                    },
                    user_id=b,
                    session=s,
                )
            )
            for step in (2, 3, 4)
        },
        # strategy
        "strategy.active_strategy": lambda: strategy.active_strategy(a_biz, user_id=b, session=s),
        "strategy.list_versions": lambda: strategy.list_versions(a_biz, user_id=b, session=s),
        "strategy.get_version": lambda: strategy.get_version(a_biz, 1, user_id=b, session=s),
        "strategy.activate_version": lambda: strategy.activate_version(
            a_biz, 1, user_id=b, session=s
        ),
        "strategy.save_manual_edit": lambda: strategy.save_manual_edit(
            a_biz, valid_strategy, user_id=b, session=s
        ),
        # AI (offline generator: no key configured)
        "ai.generate_strategy": lambda: ai.generate_strategy(a_biz, user_id=b, session=s),
        "ai.generate_posts": lambda: ai.generate_posts(a_biz, 3, user_id=b, session=s),
        "ai.generate_for_slots": lambda: ai.generate_for_slots(
            a_biz, [{"platform": "x", "day": tomorrow.isoformat()}], user_id=b, session=s
        ),
        "ai.rewrite_post": lambda: ai.rewrite_post(a_draft, "shorter", user_id=b, session=s),
        "ai.start_generation(strategy)": lambda: ai_runner.start_generation(
            "strategy", a_biz, user_id=b
        ),
        "ai.start_generation(posts)": lambda: ai_runner.start_generation(
            "posts", a_biz, user_id=b, count=3
        ),
        # The job body itself, as if a job for B named A's business (defence in depth).
        "ai.run_generation(job)": lambda: _job_refused(
            ai_runner.run_generation("strategy", str(a_biz), str(b))
        ),
        # content
        "content.owned_business": lambda: content.owned_business(a_biz, user_id=b, session=s),
        "content.get_owned": lambda: content.get_owned(a_draft, user_id=b, session=s),
        "content.save_text": lambda: content.save_text(a_draft, "hacked", user_id=b, session=s),
        "content.list_versions": lambda: content.list_versions(a_draft, user_id=b, session=s),
        "content.restore_version": lambda: content.restore_version(
            a_draft, w.a_version.id, user_id=b, session=s
        ),
        "content.restore_version(B's post, A's version)": lambda: content.restore_version(
            w.b_draft.id, w.a_version.id, user_id=b, session=s
        ),
        "content.set_pillar": lambda: content.set_pillar(a_draft, "x", user_id=b, session=s),
        "content.delete_content": lambda: content.delete_content(a_draft, user_id=b, session=s),
        "content.create_draft": lambda: content.create_draft(
            a_biz, "x", "in A's business", user_id=b, session=s
        ),
        "content.create_variant": lambda: content.create_variant(
            a_draft, "bluesky", user_id=b, session=s
        ),
        "content.list_variants": lambda: content.list_variants(a_draft, user_id=b, session=s),
        "content.schedule": lambda: content.schedule(
            a_draft, later, user_id=b, session=s, account_id=str(w.b_account.id)
        ),
        "content.schedule(B's post, A's account)": lambda: content.schedule(
            w.b_draft.id, later, user_id=b, session=s, account_id=a_acc
        ),
        "content.schedule_local": lambda: content.schedule_local(
            a_draft, tomorrow, "09:00", user_id=b, session=s
        ),
        "content.move_to_day": lambda: content.move_to_day(a_sched, tomorrow, user_id=b, session=s),
        "content.unschedule": lambda: content.unschedule(a_sched, user_id=b, session=s),
        "content.publish_now": lambda: content.publish_now(a_draft, user_id=b, session=s),
        "content.publish_now(B's post, A's account)": lambda: content.publish_now(
            w.b_draft.id, user_id=b, session=s, account_id=a_acc
        ),
        "content.bulk_delete": lambda: _bulk(content.bulk_delete(a_posts, user_id=b, session=s)),
        "content.bulk_unschedule": lambda: _bulk(
            content.bulk_unschedule(a_posts, user_id=b, session=s)
        ),
        "content.bulk_approve_schedule": lambda: _bulk(
            content.bulk_approve_schedule(a_posts, user_id=b, session=s)
        ),
        "content.bulk_regenerate": lambda: _bulk(
            content.bulk_regenerate(a_posts, user_id=b, session=s)
        ),
        "content.optimise_with_ai": lambda: content.optimise_with_ai(
            a_draft, "shorter", user_id=b, session=s
        ),
        "content.list_library": lambda: content.list_library(
            a_biz, content.LibraryFilter(), user_id=b, session=s
        ),
        "content.pillars_of": lambda: content.pillars_of(a_biz, user_id=b, session=s),
        "content.calendar_view": lambda: content.calendar_view(
            a_biz, user_id=b, session=s, anchor=tomorrow
        ),
        "content.fill_gaps": lambda: content.fill_gaps(
            a_biz, user_id=b, session=s, anchor=tomorrow
        ),
        "content.current_business_id": lambda: content.current_business_id(
            user_id=b, session=s, preferred=str(a_biz)
        ),
        "content.usable_accounts": lambda: content.usable_accounts(
            b, "x", session=s, business_id=a_biz
        ),
        "content.save_upload": lambda: content.save_upload(
            a_biz, "x.png", PNG_1x1, user_id=b, session=s
        ),
        "content.list_media": lambda: content.list_media(a_biz, user_id=b, session=s),
        "content.attach_media": lambda: content.attach_media(
            a_draft, a_media, user_id=b, session=s
        ),
        "content.attach_media(B's post, A's image)": lambda: content.attach_media(
            w.b_draft.id, a_media, user_id=b, session=s
        ),
        "content.detach_media": lambda: content.detach_media(
            a_draft, str(a_media), user_id=b, session=s
        ),
        "content.set_alt_text": lambda: content.set_alt_text(a_media, "x", user_id=b, session=s),
        "content.set_alt_text(via B's post)": lambda: content.set_alt_text(
            a_media, "x", user_id=b, session=s, content_id=w.b_draft.id
        ),
        # social
        "social.get_account": lambda: social.get_account(a_acc, user_id=b, session=s),
        "social.list_accounts": lambda: social.list_accounts(b, session=s),
        "social.disconnect": lambda: social.disconnect(a_acc, user_id=b, session=s),
        # notifications
        "notifications.mark_read": lambda: notifications.mark_read(b, w.a_note, session=s),
        "notifications.list_notifications": lambda: notifications.list_notifications(b, session=s),
        "notifications.unread_count": lambda: notifications.unread_count(b, session=s),
        # publishing
        "publishing.publish_now": lambda: publishing.publish_now(a_draft, user_id=b, session=s),
        "publishing.publish_now(scheduled)": lambda: publishing.publish_now(
            a_sched, user_id=b, session=s
        ),
        "publishing.retry_failed": lambda: publishing.retry_failed(
            w.a_failed.id, user_id=b, session=s
        ),
        "publishing.mark_published_by_user": lambda: publishing.mark_published_by_user(
            w.a_failed.id, user_id=b, remote_url="https://x.com/evil/status/1", session=s
        ),
    }


def _job_refused(record: dict[str, Any]) -> dict[str, Any]:
    assert record.get("state") == "error", record
    return record


def _bulk(result: content.BulkResult) -> int:
    assert result.done == 0, result
    return result.done


# ------------------------------------------------------------------------ the tests
def test_user_b_reaches_nothing_of_user_a_through_the_services(
    world: World, session: Session
) -> None:
    before = snapshot(session, world)
    assert all(before[k] for k in ("businesses", "strategies", "content", "versions", "media"))
    outcomes = {
        what: attempt(session, world, what, call)
        for what, call in service_attempts(world, session).items()
    }
    assert snapshot(session, world) == before
    # Calls that answer with B's own data (lists, counts) answered without A's; calls
    # on one of A's objects were refused.
    assert outcomes["notifications.unread_count"] == "empty"
    assert outcomes["notifications.mark_read"] == "empty"  # 0 rows
    for what in ("content.get_owned", "social.disconnect", "publishing.retry_failed"):
        assert outcomes[what] == "refused", what
    # Nothing reached the platform on A's behalf (no revoke, no tweet).
    assert not world.x.calls_to("/2/oauth2/revoke") and not world.x.tweets
    # B's own things still work (the refusals above were about ownership, not breakage).
    assert content.get_owned(world.b_draft.id, user_id=world.b.id, session=session)
    assert [v.id for v in social.list_accounts(world.b.id, session=session)] == [
        str(world.b_account.id)
    ]


def test_user_b_reaches_nothing_of_user_a_over_http(world: World, session: Session) -> None:
    before = snapshot(session, world)
    api = build_api()
    b_browser = TestClient(api, base_url="http://localhost:3000", follow_redirects=False)
    b_browser.cookies.set(SESSION_COOKIE, world.b_token)

    # Media files: served only under their unguessable stored name; ids and tricks 404.
    for path in (
        f"/media/{world.a_media.id.hex}.png",
        f"/media/{world.a_media.id}",
        "/media/..%2Faigrowth.db",
        "/media/%2e%2e%2fsecret_key",
    ):
        assert b_browser.get(path).status_code == 404, path
    listed = content.list_media(world.b_biz.id, user_id=world.b.id, session=session)
    assert world.a_media.stored_name not in repr(listed)

    # A social-connect callback started by A cannot be finished in B's browser.
    url = social.begin_connect(
        "x", user_id=world.a.id, session=session, session_token=world.a_token
    )
    from urllib.parse import parse_qs, urlsplit

    state = parse_qs(urlsplit(url).query)["state"][0]
    resp = b_browser.get(f"/oauth/x/callback?state={state}&code=stolen-code")
    assert resp.status_code == 303 and "error=" in resp.headers["location"]
    assert not world.x.oauth.token_requests  # the code was never exchanged

    # Operators' pages: not for B.
    assert b_browser.get("/ops/rq/").status_code == 404

    # B signing out never touches A's session.
    accounts.revoke_session(world.b_token, session=session)
    assert b_browser.get("/auth/logout").status_code == 303
    assert accounts.user_id_for_token(world.a_token, session=session) == world.a.id

    session.expire_all()
    assert session.exec(select(SocialAccount).where(SocialAccount.user_id == world.b.id)).all()
    assert snapshot(session, world) == before


# --------------------------------------------------------------- Reflex event handlers
class Browser:
    """B's browser tab as Reflex sees it: the whole state tree, with B's session cookie
    in the websocket handshake headers, driving the real event handlers server-side."""

    def __init__(self, token: str, path: str = "/dashboard") -> None:
        from reflex.state import State

        import aigrowth.pages  # noqa: F401  (registers every page's state)

        self.token = token
        self.root = State(_reflex_internal_init=True)
        self.goto(path)

    def goto(self, path: str) -> None:
        router_data = {
            "headers": {
                "cookie": f"{SESSION_COOKIE}={self.token}",
                "user-agent": "pytest",
                "origin": "http://localhost:3000",
            },
            "pathname": path,
            "asPath": path,
            "query": {},
            "token": "client-token-b",
            "sid": "sid-b",
            "ip": "10.0.0.2",
        }
        self.root.router_data = self.root._update_router_vars(router_data, {})

    def state(self, cls: type) -> Any:
        return self.root.get_substate(cls.get_full_name().split("."))

    def run(self, cls: type, name: str, *args: Any) -> list[Any]:
        """Call one event handler like Reflex does; returns what it yielded/returned."""
        result = cls.event_handlers[name].fn(self.state(cls), *args)
        if inspect.isasyncgen(result):

            async def drain() -> list[Any]:
                return [item async for item in result]

            return run_async(drain())
        if inspect.iscoroutine(result):
            return [run_async(result)]
        if inspect.isgenerator(result):
            return list(result)
        return [result]


def test_user_b_reaches_nothing_of_user_a_through_reflex_handlers(
    world: World, session: Session
) -> None:
    from aigrowth.accounts.state import SettingsState
    from aigrowth.businesses.state import BusinessState
    from aigrowth.content.state import EditorState
    from aigrowth.notifications.state import NotificationState
    from aigrowth.social.state import SocialAccountsState
    from aigrowth.strategy.state import StrategyState

    before = snapshot(session, world)
    tab = Browser(world.b_token, "/settings")

    def run(cls: type, name: str, *args: Any) -> list[Any]:
        try:
            return tab.run(cls, name, *args)
        except NOT_A_REFUSAL:
            raise
        except Exception as exc:  # a handler that lets the service's refusal propagate
            assert SECRET not in str(exc)
            return [exc]

    # Settings: sign A's device out by its session id.
    run(SettingsState, "sign_out_session", str(world.a_session_id))
    # Settings: unlink A's Google sign-in by its id.
    run(SettingsState, "remove_sign_in", str(world.a_identity))
    # Bell: open (mark read) A's notification.
    run(NotificationState, "open_item", str(world.a_note), "/content")
    # Business switcher: switch to A's business.
    run(BusinessState, "switch", str(world.a_biz.id))
    assert tab.state(BusinessState).selected_id != str(world.a_biz.id)

    # Editor: open A's post by URL → not found, nothing of A's loaded.
    tab.goto(f"/content/{world.a_draft.id}")
    run(EditorState, "load")
    editor = tab.state(EditorState)
    assert editor.not_found and editor.content_id == "" and SECRET not in editor.text
    # Editor on B's own post: attach A's image, restore A's version, save A's alt text.
    tab.goto(f"/content/{world.b_draft.id}")
    run(EditorState, "load")
    assert editor.content_id == str(world.b_draft.id)
    assert world.a_media.stored_name not in repr(editor.library_media)
    run(EditorState, "attach", str(world.a_media.id))
    run(EditorState, "restore", str(world.a_version.id))
    run(EditorState, "save_alt", str(world.a_media.id), "hijacked alt")
    # Even with the server-side id pointing at A's post (never client-settable), the
    # service refuses: handlers pass the signed-in user, not the tab's vars, as owner.
    editor.content_id = str(world.a_draft.id)
    run(EditorState, "set_pillar", "Hijacked")
    run(EditorState, "detach", str(world.a_media.id))

    # Accounts page: ask to disconnect A's account, then confirm with its id forced in.
    tab.goto("/accounts")
    run(SocialAccountsState, "ask_disconnect", str(world.a_account.id))
    accounts_page = tab.state(SocialAccountsState)
    assert accounts_page.confirm_id == ""  # not in B's list: nothing to confirm
    accounts_page.confirm_id = str(world.a_account.id)
    run(SocialAccountsState, "confirm_disconnect")

    # Strategy page pointed at A's business: make version 1 active.
    tab.goto("/strategy")
    page = tab.state(StrategyState)
    page.business_id = str(world.a_biz.id)
    page.version = 1
    run(StrategyState, "make_active")

    assert snapshot(session, world) == before
    assert not world.x.calls_to("/2/oauth2/revoke")


# ------------------------------------------------------------ analytics and re-plan
def test_user_b_reaches_nothing_of_user_a_in_analytics_goals_and_replan(
    world: World, session: Session
) -> None:
    """Queries, export, goals and re-plan proposals: B with A's business or proposal id
    gets a refusal (or nothing) through the services, over HTTP and through handlers."""
    from aigrowth.analytics import goals
    from aigrowth.analytics import queries as q
    from aigrowth.analytics.models import AccountMetricsDaily, AnalyticsSnapshot, GoalValue
    from aigrowth.analytics.state import AnalyticsState
    from aigrowth.strategy import replan
    from aigrowth.strategy.models import StrategyProposal

    a_biz, b = world.a_biz.id, world.b.id
    active = strategy.active_strategy(a_biz, user_id=world.a.id, session=session)
    proposal = StrategyProposal(
        business_id=a_biz,
        base_version=active.version,
        content=active.content,
        changes=[{"area": "pillars", "item": SECRET, "before": "1%", "after": "2%", "why": SECRET}],
        summary=SECRET,
    )
    session.add_all(
        [
            proposal,
            GoalValue(business_id=a_biz, kpi=SECRET, value=7),
            AnalyticsSnapshot(
                content_id=world.a_published.id,
                business_id=a_biz,
                platform="x",
                day=utcnow().date(),
                impressions=100,
                likes=3,
            ),
            AccountMetricsDaily(
                social_account_id=world.a_account.id,
                business_id=a_biz,
                platform="x",
                day=utcnow().date(),
                followers=42,
            ),
        ]
    )
    session.commit()

    def rows() -> list[dict[str, Any]]:
        session.expire_all()
        tables = (StrategyProposal, GoalValue, AnalyticsSnapshot, AccountMetricsDaily, Strategy)
        return [_dump(session.exec(select(t).where(t.business_id == a_biz)).all()) for t in tables]

    before, before_all = rows(), snapshot(session, world)
    f = q.make_filters(today=utcnow().date(), days=30)
    s = session
    attempts: dict[str, Callable[[], Any]] = {
        "queries.page_data": lambda: q.page_data(a_biz, f, user_id=b, session=s),
        "queries.filter_options": lambda: q.filter_options(a_biz, user_id=b, session=s),
        "queries.export_posts_query": lambda: q.export_posts_query(a_biz, f, user_id=b, session=s),
        "queries.export_accounts_query": lambda: q.export_accounts_query(
            a_biz, f, user_id=b, session=s
        ),
        "goals.scorecard": lambda: goals.scorecard(a_biz, user_id=b, session=s),
        "goals.set_manual_value": lambda: goals.set_manual_value(
            a_biz, SECRET, "99", user_id=b, session=s
        ),
        "replan.results_digest": lambda: replan.results_digest(a_biz, user_id=b, session=s),
        "replan.propose": lambda: replan.propose(a_biz, user_id=b, session=s),
        "replan.pending_proposal": lambda: replan.pending_proposal(a_biz, user_id=b, session=s),
        "replan.accept": lambda: replan.accept(proposal.id, user_id=b, session=s),
        "replan.dismiss": lambda: replan.dismiss(proposal.id, user_id=b, session=s),
    }
    outcomes = {what: attempt(s, world, what, call) for what, call in attempts.items()}
    assert set(outcomes.values()) == {"refused"}, outcomes

    # HTTP: the CSV export of A's business is a 404 for B, with nothing of A's in it.
    b_browser = TestClient(build_api(), base_url="http://localhost:3000")
    b_browser.cookies.set(SESSION_COOKIE, world.b_token)
    for kind in ("posts", "accounts"):
        resp = b_browser.get("/analytics/export", params={"business": str(a_biz), "kind": kind})
        assert resp.status_code == 404 and SECRET not in resp.text

    # Reflex: B's analytics page shows B's business only; forcing A's proposal id in
    # and accepting or dismissing it changes nothing.
    tab = Browser(world.b_token, "/analytics")
    tab.run(AnalyticsState, "load")
    page = tab.state(AnalyticsState)
    assert page.proposal_id == "" and str(a_biz) not in page.export_base
    assert SECRET not in repr(page.goals) + repr(page.top) + page.proposal_summary
    for handler in ("accept_proposal", "dismiss_proposal"):
        page.proposal_id = str(proposal.id)
        try:
            tab.run(AnalyticsState, handler)
        except NOT_A_REFUSAL:
            raise
        except Exception as exc:  # the service's refusal, propagated
            assert SECRET not in str(exc)
    tab.run(AnalyticsState, "save_goal_value", {"kpi": SECRET, "value": "5"})

    assert rows() == before
    assert snapshot(session, world) == before_all
