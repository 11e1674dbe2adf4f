# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.llm)
"""Content studio service against real SQLite/PostgreSQL: ownership, editing with
versions, variants, scheduling rules, the state machine, library paging, media, calendar."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from sqlmodel import Session, select
from starlette.testclient import TestClient

from aigrowth.accounts.models import User
from aigrowth.businesses.models import Business
from aigrowth.content import service as svc
from aigrowth.content.models import Content, ContentStatus, ContentVersion, MediaAsset
from aigrowth.settings import get_settings
from aigrowth.social.models import AccountStatus, SocialAccount
from aigrowth.strategy.models import Strategy
from tests.fakes.llm import fake_llm, online_env  # noqa: F401  (fixtures)

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
PNG_1x1 = bytes.fromhex(  # a real 1x1 transparent PNG (uploads are decoded)
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


def make_user(session: Session, tz: str = "Europe/Berlin") -> tuple[User, Business]:
    user = User(email=f"u-{uuid.uuid4().hex[:8]}@example.com", timezone=tz)
    session.add(user)
    session.flush()
    business = Business(user_id=user.id, name="Acme")
    session.add(business)
    session.commit()
    return user, business


def connect(
    session: Session, user: User, platform: str = "x", handle: str = "acme"
) -> SocialAccount:
    account = SocialAccount(
        user_id=user.id, platform=platform, account_id=uuid.uuid4().hex, handle=handle
    )
    session.add(account)
    session.commit()
    return account


def draft(
    session: Session, business: Business, platform: str = "x", text: str = "Hello world", **kw
) -> Content:
    content = Content(business_id=business.id, platform=platform, text=text, **kw)
    session.add(content)
    session.commit()
    return content


def test_user_b_reaches_nothing_of_user_a(session):
    _a, biz_a = make_user(session)
    b, _biz_b = make_user(session)
    post = draft(session, biz_a)
    asset = MediaAsset(
        business_id=biz_a.id,
        filename="a.png",
        stored_name=uuid.uuid4().hex + ".png",
        content_type="image/png",
    )
    session.add(asset)
    session.commit()
    connect(session, b)
    calls = [
        lambda: svc.get_owned(post.id, user_id=b.id, session=session),
        lambda: svc.save_text(post.id, "hacked", user_id=b.id, session=session),
        lambda: svc.schedule(
            post.id, NOW + timedelta(days=1), user_id=b.id, session=session, now=NOW
        ),
        lambda: svc.unschedule(post.id, user_id=b.id, session=session),
        lambda: svc.delete_content(post.id, user_id=b.id, session=session),
        lambda: svc.list_versions(post.id, user_id=b.id, session=session),
        lambda: svc.create_variant(post.id, "bluesky", user_id=b.id, session=session),
        lambda: svc.list_library(biz_a.id, svc.LibraryFilter(), user_id=b.id, session=session),
        lambda: svc.calendar_view(biz_a.id, user_id=b.id, session=session, anchor=NOW.date()),
        lambda: svc.attach_media(post.id, asset.id, user_id=b.id, session=session),
        lambda: svc.set_alt_text(asset.id, "x", user_id=b.id, session=session),
        lambda: svc.save_upload(biz_a.id, "x.png", PNG_1x1, user_id=b.id, session=session),
    ]
    for call in calls:
        with pytest.raises(svc.NotFound):
            call()
    session.expire_all()
    assert session.get(Content, post.id).text == "Hello world"
    assert session.get(Content, post.id).status == ContentStatus.DRAFT
    # B's current business is never A's, even when asked for it.
    assert (
        svc.current_business_id(user_id=b.id, session=session, preferred=str(biz_a.id)) != biz_a.id
    )


def test_save_keeps_every_previous_text_as_a_version(session):
    user, biz = make_user(session)
    post = draft(session, biz, text="v1")
    svc.save_text(post.id, "v2", ["growth"], user_id=user.id, session=session)
    svc.save_text(post.id, "v3", user_id=user.id, session=session)
    svc.save_text(post.id, "v3", user_id=user.id, session=session)  # unchanged: no version
    versions = svc.list_versions(post.id, user_id=user.id, session=session)
    assert sorted(v["text"] for v in versions) == ["v1", "v2"]
    v1 = next(v for v in versions if v["text"] == "v1")
    restored = svc.restore_version(post.id, v1["id"], user_id=user.id, session=session)
    assert restored.text == "v1"
    assert len(svc.list_versions(post.id, user_id=user.id, session=session)) == 3


def test_scheduling_needs_a_connected_account_and_asks_which(session):
    user, biz = make_user(session)
    post = draft(session, biz)
    with pytest.raises(svc.NeedsAccount) as err:
        svc.schedule(post.id, NOW + timedelta(days=1), user_id=user.id, session=session, now=NOW)
    assert "Connect a X account" in str(err.value) and "/accounts" in str(err.value)
    # A revoked account does not count.
    broken = connect(session, user, handle="old")
    broken.status = AccountStatus.NEEDS_RECONNECT
    session.add(broken)
    session.commit()
    with pytest.raises(svc.NeedsAccount):
        svc.schedule(post.id, NOW + timedelta(days=1), user_id=user.id, session=session, now=NOW)
    one = connect(session, user, handle="one")
    two = connect(session, user, handle="two")
    with pytest.raises(svc.NeedsAccount) as err:
        svc.schedule(post.id, NOW + timedelta(days=1), user_id=user.id, session=session, now=NOW)
    assert {a["id"] for a in err.value.accounts} == {str(one.id), str(two.id)}
    done = svc.schedule(
        post.id,
        NOW + timedelta(days=1),
        user_id=user.id,
        session=session,
        account_id=str(two.id),
        now=NOW,
    )
    assert done.status == ContentStatus.SCHEDULED
    assert done.social_account_id == two.id
    assert done.scheduled_for == NOW + timedelta(days=1)


def test_schedule_refuses_invalid_posts_and_past_times(session):
    user, biz = make_user(session)
    connect(session, user)
    long_post = draft(session, biz, text="a" * 300)
    with pytest.raises(svc.InvalidPost) as err:
        svc.schedule(
            long_post.id, NOW + timedelta(days=1), user_id=user.id, session=session, now=NOW
        )
    assert "Too long" in str(err.value)
    session.expire_all()
    assert session.get(Content, long_post.id).status == ContentStatus.DRAFT
    ok = draft(session, biz)
    with pytest.raises(svc.ContentError, match="in the past"):
        svc.schedule(ok.id, NOW - timedelta(hours=1), user_id=user.id, session=session, now=NOW)


def test_state_machine_blocks_edits_of_publishing_and_published(session):
    user, biz = make_user(session)
    connect(session, user)
    for status in (
        ContentStatus.PUBLISHING,
        ContentStatus.PUBLISHED,
        ContentStatus.NEEDS_ATTENTION,
    ):
        post = draft(session, biz, status=status, scheduled_for=NOW)
        with pytest.raises(svc.ContentError, match="cannot edit"):
            svc.save_text(post.id, "new", user_id=user.id, session=session)
        with pytest.raises(svc.ContentError, match="cannot unschedule"):
            svc.unschedule(post.id, user_id=user.id, session=session)
        with pytest.raises(svc.ContentError, match="cannot schedule"):
            svc.schedule(
                post.id, NOW + timedelta(days=1), user_id=user.id, session=session, now=NOW
            )
        session.expire_all()
        assert session.get(Content, post.id).text == "Hello world"
        assert session.get(Content, post.id).status == status


def test_unschedule_and_publish_now(session):
    user, biz = make_user(session)
    connect(session, user)
    post = draft(session, biz)
    svc.schedule(post.id, NOW + timedelta(days=2), user_id=user.id, session=session, now=NOW)
    back = svc.unschedule(post.id, user_id=user.id, session=session)
    assert back.status == ContentStatus.DRAFT and back.scheduled_for is None
    now_post = svc.publish_now(post.id, user_id=user.id, session=session)
    assert now_post.status in (
        ContentStatus.SCHEDULED,
        ContentStatus.PUBLISHING,
        ContentStatus.PUBLISHED,
    )
    assert now_post.scheduled_for <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("day", "expected_utc_hour"),
    [
        (date(2026, 3, 27), 8),
        (date(2026, 3, 30), 7),
        (date(2026, 10, 23), 7),
        (date(2026, 10, 26), 8),
    ],
)
def test_schedule_local_0900_berlin_is_right_instant_across_dst(session, day, expected_utc_hour):
    user, biz = make_user(session, tz="Europe/Berlin")
    connect(session, user)
    post = draft(session, biz)
    done = svc.schedule_local(
        post.id,
        day,
        "09:00",
        user_id=user.id,
        session=session,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.expire_all()
    stored = session.get(Content, done.id).scheduled_for
    assert stored == datetime(day.year, day.month, day.day, expected_utc_hour, 0, tzinfo=UTC)


def test_move_to_day_keeps_local_time_across_dst(session):
    user, biz = make_user(session, tz="Europe/Berlin")
    connect(session, user)
    post = draft(session, biz)
    svc.schedule_local(
        post.id,
        date(2026, 3, 27),
        "09:00",
        user_id=user.id,
        session=session,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    moved = svc.move_to_day(
        post.id,
        date(2026, 3, 31),
        user_id=user.id,
        session=session,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert moved.status == ContentStatus.SCHEDULED
    assert moved.scheduled_for == datetime(2026, 3, 31, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_variants_share_a_group_and_keep_their_own_status(session):
    user, biz = make_user(session)
    connect(session, user)
    post = draft(session, biz, text="One idea")
    variant = svc.create_variant(post.id, "bluesky", user_id=user.id, session=session)
    session.expire_all()
    original = session.get(Content, post.id)
    assert variant.group_id == original.group_id is not None
    assert variant.text == "One idea" and variant.platform == "bluesky"
    with pytest.raises(svc.ContentError, match="already has"):
        svc.create_variant(post.id, "bluesky", user_id=user.id, session=session)
    svc.schedule(post.id, NOW + timedelta(days=1), user_id=user.id, session=session, now=NOW)
    svc.save_text(variant.id, "Bluesky words", user_id=user.id, session=session)
    session.expire_all()
    assert session.get(Content, variant.id).status == ContentStatus.DRAFT
    assert session.get(Content, post.id).text == "One idea"
    listed = svc.list_variants(post.id, user_id=user.id, session=session)
    assert {v["platform"] for v in listed} == {"x", "bluesky"}


def test_library_filters_search_and_pages(session):
    user, biz = make_user(session)
    for i in range(45):
        draft(
            session,
            biz,
            platform="x" if i % 3 else "linkedin",
            text=f"Post number {i} about {'pricing' if i % 5 == 0 else 'growth'}",
            pillar="Tips" if i % 2 else "Stories",
        )
    page = svc.list_library(
        biz.id, svc.LibraryFilter(), user_id=user.id, session=session, page=1, page_size=20
    )
    assert page.total == 45 and page.pages == 3 and len(page.rows) == 20
    last = svc.list_library(
        biz.id, svc.LibraryFilter(), user_id=user.id, session=session, page=3, page_size=20
    )
    assert len(last.rows) == 5
    assert not {r["id"] for r in page.rows} & {r["id"] for r in last.rows}
    li = svc.list_library(
        biz.id, svc.LibraryFilter(platform="linkedin"), user_id=user.id, session=session
    )
    assert li.total == 15 and all(r["platform"] == "linkedin" for r in li.rows)
    found = svc.list_library(
        biz.id, svc.LibraryFilter(search="PRICING"), user_id=user.id, session=session
    )
    assert found.total == 9
    tips = svc.list_library(
        biz.id, svc.LibraryFilter(pillar="Tips", search="growth"), user_id=user.id, session=session
    )
    assert all(r["pillar"] == "Tips" for r in tips.rows) and tips.total > 0
    assert (
        svc.list_library(
            biz.id, svc.LibraryFilter(search="100%_"), user_id=user.id, session=session
        ).total
        == 0
    )
    assert (
        svc.list_library(
            biz.id, svc.LibraryFilter(status="scheduled"), user_id=user.id, session=session
        ).total
        == 0
    )


def test_bulk_actions_report_what_they_could_not_do(session):
    user, biz = make_user(session)
    connect(session, user)
    ok = draft(session, biz)
    bad = draft(session, biz, text="a" * 400)
    live = draft(session, biz, status=ContentStatus.PUBLISHING)
    result = svc.bulk_approve_schedule(
        [str(ok.id), str(bad.id), str(live.id)], user_id=user.id, session=session
    )
    assert result.done == 1 and len(result.failed) == 2
    session.expire_all()
    assert session.get(Content, ok.id).status == ContentStatus.SCHEDULED
    assert session.get(Content, bad.id).status == ContentStatus.DRAFT
    gone = svc.bulk_delete([str(ok.id), str(live.id)], user_id=user.id, session=session)
    assert gone.done == 1 and "being published" in gone.failed[0]
    assert session.get(Content, live.id) is not None


def test_upload_attach_alt_and_public_url(session, app_env, engine):
    with Session(engine, expire_on_commit=False) as db:
        user, biz = make_user(db)
        post = draft(db, biz, platform="instagram", text="Look")
        assert {p.code for p in svc.post_problems(post, session=db)} == {"image_required"}
        with pytest.raises(svc.ContentError, match="not an image"):
            svc.save_upload(
                biz.id, "evil.png", b"<script>alert(1)</script>", user_id=user.id, session=db
            )
        with pytest.raises(svc.ContentError, match="limit"):
            svc.save_upload(
                biz.id, "big.png", PNG_1x1 + b"0" * 100, user_id=user.id, session=db, max_bytes=50
            )
        asset = svc.save_upload(biz.id, "dot.png", PNG_1x1, user_id=user.id, session=db)
        assert (asset.width, asset.height) == (1, 1)
        svc.attach_media(post.id, asset.id, user_id=user.id, session=db)
        svc.set_alt_text(asset.id, "A single dot", user_id=user.id, session=db, content_id=post.id)
        db.expire_all()
        post = db.get(Content, post.id)
        assert post.media[0]["alt"] == "A single dot"
        assert svc.post_problems(post, session=db) == []
        url = post.media[0]["url"]
        assert url.endswith("/media/" + asset.stored_name)
        uid, pid, aid, stored = user.id, post.id, asset.id, asset.stored_name

    from aigrowth.http.routes import build_api

    client = TestClient(build_api())
    resp = client.get("/media/" + stored)
    assert resp.status_code == 200
    assert Image.open(io.BytesIO(resp.content)).size == (1, 1)  # stored cleaned, same pixels
    assert resp.headers["content-type"] == "image/png"
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/" + "0" * 32 + ".png").status_code == 404

    with Session(engine, expire_on_commit=False) as db:
        svc.detach_media(pid, str(aid), user_id=uid, session=db)
        assert db.get(Content, pid).media == []


def test_calendar_view_places_posts_in_local_days_with_gaps_and_coverage(session):
    user, biz = _cadence_business(session, tz="America/New_York")
    # 2026-04-07 02:00 UTC is 2026-04-06 22:00 in New York.
    draft(
        session,
        biz,
        pillar="Tips",
        scheduled_for=datetime(2026, 4, 7, 2, 0, tzinfo=UTC),
        status=ContentStatus.SCHEDULED,
    )
    model = svc.calendar_view(
        biz.id,
        user_id=user.id,
        session=session,
        anchor=date(2026, 4, 1),
        now=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert model.title == "April 2026"
    day = next(d for d in model.days if d["date"] == "2026-04-06")
    assert [p["time"] for p in day["posts"]] == ["22:00"]
    # Week of Apr 6: 3 wanted, 1 planned (Monday) -> 2 open slots on Wed and Fri at 10:00.
    week_slots = [
        (d["date"], s["time"])
        for d in model.days
        for s in d["slots"]
        if "2026-04-06" <= d["date"] <= "2026-04-12"
    ]
    assert week_slots == [("2026-04-08", "10:00"), ("2026-04-10", "10:00")]
    tips = next(r for r in model.coverage_pillars if r["name"] == "Tips")
    assert tips["planned_pct"] == "100" and tips["target_pct"] == "50"
    # fill the gaps: drafts with planned times in the slots (after "now").
    made = svc.fill_gaps(
        biz.id,
        user_id=user.id,
        session=session,
        anchor=date(2026, 4, 1),
        now=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert made == model.slots_total > 0
    again = svc.calendar_view(
        biz.id,
        user_id=user.id,
        session=session,
        anchor=date(2026, 4, 1),
        now=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert again.slots_total == 0
    new = session.exec(
        select(Content).where(Content.business_id == biz.id, Content.status == "draft")
    ).all()
    assert len(new) == made and all(c.scheduled_for is not None for c in new)
    assert {c.pillar for c in new} == {"Tips", "Stories"}


def test_versions_are_deleted_with_their_post(session):
    user, biz = make_user(session)
    post = draft(session, biz)
    svc.save_text(post.id, "changed", user_id=user.id, session=session)
    svc.delete_content(post.id, user_id=user.id, session=session)
    assert (
        session.exec(select(ContentVersion).where(ContentVersion.content_id == post.id)).all() == []
    )


def _cadence_business(session: Session, tz: str = "Europe/Berlin") -> tuple[User, Business]:
    """A business whose strategy wants 3 X posts a week at 10:00, pillars Tips/Stories."""
    user, biz = make_user(session, tz=tz)
    session.add(
        Strategy(
            business_id=biz.id,
            content={
                "pillars": [{"name": "Tips", "share": 50}, {"name": "Stories", "share": 50}],
                "cadence": [{"platform": "x", "posts_per_week": 3, "best_times": ["10:00"]}],
            },
        )
    )
    session.commit()
    return user, biz


def _fill_april_2030(user: User, biz: Business, session: Session) -> int:
    return svc.fill_gaps(
        biz.id,
        user_id=user.id,
        session=session,
        anchor=date(2030, 4, 1),
        now=datetime(2030, 4, 1, tzinfo=UTC),
    )


def test_fill_gaps_writes_with_the_llm_when_a_key_is_set(online_env, fake_llm, session):
    user, biz = _cadence_business(session)
    made = _fill_april_2030(user, biz, session)
    assert made > 0 and fake_llm.calls == 1  # one AI batch for every open slot
    rows = session.exec(select(Content).where(Content.business_id == biz.id)).all()
    assert len(rows) == made
    assert all(r.ai_generated and not r.offline_draft and r.scheduled_for for r in rows)
    assert all(r.status == ContentStatus.DRAFT for r in rows)


def test_fill_gaps_reports_an_ai_refusal_and_writes_nothing(online_env, fake_llm, session):
    user, biz = _cadence_business(session)
    fake_llm.script = ["quota"] * 5  # the provider account is out of credit
    with pytest.raises(svc.ContentError, match=r"(?i)quota|credit|billing"):
        _fill_april_2030(user, biz, session)
    assert session.exec(select(Content).where(Content.business_id == biz.id)).all() == []


def test_an_uploaded_photo_is_stored_upright_without_its_gps_position(session, app_env, engine):
    exif = Image.Exif()
    exif[0x0112] = 6  # shot sideways
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    photo = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 120, 200)).save(photo, "JPEG", exif=exif.tobytes())
    with Session(engine, expire_on_commit=False) as db:
        user, biz = make_user(db)
        asset = svc.save_upload(biz.id, "beans.jpg", photo.getvalue(), user_id=user.id, session=db)
    assert (asset.width, asset.height) == (300, 400) and asset.content_type == "image/jpeg"
    stored = (get_settings().media_dir / asset.stored_name).read_bytes()
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {} and b"GPS" not in stored
    assert asset.size_bytes == len(stored)
