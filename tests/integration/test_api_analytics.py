# ruff: noqa: F811  (pytest fixtures imported from api_support are parameters here)
"""Analytics through the API: the page's own figures (nulls stay null), a post's daily
figures, the CSV export; another user's key gets 404."""

from __future__ import annotations

import csv
import io

import httpx
from sqlmodel import Session

from aigrowth.api import keys
from tests.integration.analytics_support import seed
from tests.integration.api_support import api, live_app, make_api_founder  # noqa: F401

PERIOD = {"start": "2026-03-02", "end": "2026-03-04"}


def test_overview_post_figures_and_export(api: httpx.Client, session: Session) -> None:
    w = seed(session)
    _row, key = keys.create_key(w["user"].id, "analytics", "read", session=session)
    h = {"Authorization": f"Bearer {key}"}
    bid = w["biz"].id
    r = api.get(f"/businesses/{bid}/analytics", headers=h, params=PERIOD)
    assert r.status_code == 200, r.text
    o = r.json()
    assert o["headline"]["impressions"] == {"value": 500, "previous": 50, "change": 9.0}
    assert o["headline"]["clicks"]["previous"] is None  # not reported: null, not 0
    assert [(d["day"], d["impressions"]) for d in o["daily"]] == [
        ("2026-03-02", 100),
        ("2026-03-03", 200),
        ("2026-03-04", 200),
    ]
    only_bsky = api.get(
        f"/businesses/{bid}/analytics", headers=h, params={**PERIOD, "platform": "bluesky"}
    )
    assert {d["impressions"] for d in only_bsky.json()["daily"]} == {None}
    assert {g["key"] for g in o["by_platform"]} == {"x", "bluesky"}

    post = api.get(f"/content/{w['p2'].id}/analytics", headers=h).json()
    assert [(d["day"], d["impressions"], d["likes"]) for d in post["days"]] == [
        ("2026-03-03", None, 4),
        ("2026-03-04", None, 6),
    ]

    export = api.get(f"/businesses/{bid}/analytics/export", headers=h, params=PERIOD)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 5
    p2_rows = [r for r in rows if r["post_id"] == str(w["p2"].id)]
    assert [r["impressions"] for r in p2_rows] == ["", ""]
    accounts = api.get(
        f"/businesses/{bid}/analytics/export", headers=h, params={**PERIOD, "kind": "accounts"}
    )
    assert accounts.status_code == 200 and "followers" in accounts.text.splitlines()[0]

    bad = api.get(
        f"/businesses/{bid}/analytics",
        headers=h,
        params={"start": "2026-03-04", "end": "2026-03-01"},
    )
    assert bad.status_code == 422 and bad.json()["type"].endswith("invalid-request")

    other = make_api_founder(session)
    for path in (
        f"/businesses/{bid}/analytics",
        f"/businesses/{bid}/analytics/export",
        f"/content/{w['p2'].id}/analytics",
    ):
        assert api.get(path, headers=other.headers(), params=PERIOD).status_code == 404, path
