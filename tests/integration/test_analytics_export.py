"""GET /analytics/export: streamed CSV that a spreadsheet reads, owner only."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from aigrowth.accounts.service import SESSION_COOKIE, create_session
from aigrowth.analytics import routes
from aigrowth.http.routes import build_api
from tests.integration.analytics_support import seed

PERIOD = {"start": "2026-03-02", "end": "2026-03-04"}


@pytest.fixture
def world(app_env, session: Session) -> dict:
    w = seed(session)
    w["token"] = create_session(w["user"].id, session=session)
    return w


def _client(token: str | None) -> TestClient:
    client = TestClient(build_api(), base_url="http://localhost:8000")
    if token:
        client.cookies.set(SESSION_COOKIE, token)
    return client


def _csv(resp) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert resp.content.startswith("\ufeff".encode())  # spreadsheets read it as UTF-8
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))


def test_posts_export_has_iso_dates_the_time_zone_and_empty_cells_for_missing(world):
    resp = _client(world["token"]).get(
        "/analytics/export", params={"business": str(world["biz"].id), **PERIOD}
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    assert (
        'filename="analytics-posts-roastery-2026-03-02-2026-03-04.csv"'
        in (resp.headers["content-disposition"])
    )
    rows = _csv(resp)
    assert [r["day"] for r in rows] == ["2026-03-02"] + ["2026-03-03"] * 2 + ["2026-03-04"] * 2
    assert len(rows) == 5  # the period's snapshots, not P0's
    p1 = [r for r in rows if r["post_id"] == str(world["p1"].id)]
    assert p1[0]["published_at"] == "2026-03-02T10:00:00+01:00"  # Paris time, with offset
    assert p1[0]["time_zone"] == "Europe/Paris"
    assert (p1[1]["impressions"], p1[1]["likes"], p1[1]["format"]) == ("300", "10", "post")
    bsky = [r for r in rows if r["platform"] == "bluesky"]
    assert bsky[0]["impressions"] == "" and bsky[0]["clicks"] == ""  # not reported ≠ 0
    assert bsky[0]["account"] == "r.bsky"


def test_accounts_export_and_filters(world):
    resp = _client(world["token"]).get(
        "/analytics/export",
        params={"business": str(world["biz"].id), "kind": "accounts", "platform": "x", **PERIOD},
    )
    rows = _csv(resp)
    assert [(r["day"], r["followers"]) for r in rows] == [
        ("2026-03-02", "110"),
        ("2026-03-04", "125"),
    ]
    assert set(rows[0]) >= {"account_id", "following", "profile_views", "time_zone"}


def test_a_formula_in_a_pillar_name_is_not_run_by_the_spreadsheet(world, session):
    post = session.get(type(world["p1"]), world["p1"].id)
    post.pillar = '=HYPERLINK("http://evil")'
    session.add(post)
    session.commit()
    resp = _client(world["token"]).get(
        "/analytics/export", params={"business": str(world["biz"].id), **PERIOD}
    )
    pillars = {r["pillar"] for r in _csv(resp)}
    assert '\'=HYPERLINK("http://evil")' in pillars
    assert not any(p.startswith("=") for p in pillars)


def test_streams_in_batches(world, monkeypatch):
    monkeypatch.setattr(routes, "BATCH", 2)
    with _client(world["token"]).stream(
        "GET", "/analytics/export", params={"business": str(world["biz"].id), **PERIOD}
    ) as resp:
        chunks = [c for c in resp.iter_text() if c]
    assert len(chunks) >= 3  # header + 2 rows, then 2, then 1: not one blob


def test_bad_input_gets_a_clear_message(world):
    client = _client(world["token"])
    bid = str(world["biz"].id)
    for params, message in [
        ({"kind": "everything"}, "kind must be"),
        ({"start": "2026-13-01", "end": "2026-03-01"}, "not a date"),
        ({"start": "2026-03-05", "end": "2026-03-01"}, "on or before"),
        ({"account": "not-a-uuid"}, "Unknown account"),
    ]:
        resp = client.get("/analytics/export", params={"business": bid, **params})
        assert resp.status_code == 400 and message in resp.text, (params, resp.text)


def test_strangers_get_nothing(world, session):
    bid = str(world["biz"].id)
    assert _client(None).get("/analytics/export", params={"business": bid}).status_code == 401
    from aigrowth.accounts.models import User

    other = User(email="stranger@example.com")
    session.add(other)
    session.commit()
    token = create_session(other.id, session=session)
    resp = _client(token).get("/analytics/export", params={"business": bid, **PERIOD})
    assert resp.status_code == 404 and "roast" not in resp.text.lower()
