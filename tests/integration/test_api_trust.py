# ruff: noqa: F811  (pytest fixtures imported from api_support are parameters here)
"""Public API trust: isolation between users' keys, idempotent POSTs under concurrency,
and one rate-limit window shared by two web processes."""

from __future__ import annotations

import concurrent.futures
import time
import uuid

import httpx
from sqlmodel import Session, select

from aigrowth.api.models import ApiKey
from aigrowth.api.ratelimit import WINDOW_S
from aigrowth.content.models import Content
from aigrowth.settings import reset_settings_cache
from tests.integration.api_support import LiveApp, api, live_app, make_api_founder  # noqa: F401
from tests.integration.test_api import connect_mastodon

LATER = "2031-06-01T09:00:00Z"


def _same_as_missing(r: httpx.Response, missing: httpx.Response) -> None:
    assert r.status_code == 404 == missing.status_code, r.text
    a, b = r.json(), missing.json()
    for field in ("type", "title", "status", "detail"):
        assert a[field] == b[field], (field, a, b)


def test_b_gets_404_on_every_object_of_a(api: httpx.Client, session: Session) -> None:
    a, b = make_api_founder(session), make_api_founder(session)
    account = connect_mastodon(session, a)
    post = api.post(
        "/content",
        headers=a.headers(),
        json={"business_id": str(a.business.id), "platform": "mastodon", "text": "A's post"},
    ).json()["id"]
    bid = str(a.business.id)
    snapshot = session.exec(select(Content)).one().model_dump()
    hb = b.headers()
    calls = [
        ("GET", "/businesses/{}", None, bid),
        ("PATCH", "/businesses/{}", {"name": "Taken"}, bid),
        ("GET", "/businesses/{}/strategy", None, bid),
        ("GET", "/businesses/{}/strategy/versions", None, bid),
        ("POST", "/businesses/{}/strategy/generate", None, bid),
        ("POST", "/businesses/{}/content/generate", {"count": 7}, bid),
        ("POST", "/businesses/{}/strategy/activate", {"version": 1}, bid),
        ("GET", "/content/{}", None, post),
        ("PATCH", "/content/{}", {"text": "Taken"}, post),
        ("POST", "/content/{}/schedule", {"at": LATER}, post),
        ("POST", "/content/{}/publish", None, post),
        ("POST", "/content/{}/unschedule", None, post),
        ("POST", "/content/{}/retry", None, post),
        ("DELETE", "/content/{}", None, post),
        ("DELETE", "/social/accounts/{}", None, str(account.id)),
    ]
    for method, path, body, oid in calls:
        theirs = api.request(method, path.format(oid), headers=hb, json=body)
        missing = api.request(method, path.format(uuid.uuid4()), headers=hb, json=body)
        _same_as_missing(theirs, missing)
    # Creating into A's business is refused the same way.
    made = api.post(
        "/content",
        headers=hb,
        json={"business_id": bid, "platform": "mastodon", "text": "into A's business"},
    )
    assert made.status_code == 404
    # Lists show only B's own objects.
    assert [x["id"] for x in api.get("/businesses", headers=hb).json()] == [str(b.business.id)]
    assert api.get("/content", headers=hb).json()["items"] == []
    assert api.get("/content", headers=hb, params={"business_id": bid}).json()["items"] == []
    assert api.get("/social/accounts", headers=hb).json() == []
    session.expire_all()
    assert [c.model_dump() for c in session.exec(select(Content)).all()] == [snapshot]


def test_twenty_concurrent_same_key_posts_make_one_post(
    api: httpx.Client, session: Session
) -> None:
    f = make_api_founder(session)
    body = {"business_id": str(f.business.id), "platform": "mastodon", "text": "Only once"}
    headers = {**f.headers(), "Idempotency-Key": "create-once-1"}

    def send(_: int) -> httpx.Response:
        return api.post("/content", headers=headers, json=body)

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert {r.status_code for r in answers} == {201}, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 19
    assert len(session.exec(select(Content)).all()) == 1
    # Same key, different body: 422 and nothing created.
    other = api.post("/content", headers=headers, json={**body, "text": "Different"})
    assert other.status_code == 422
    assert other.json()["type"] == "urn:aigrowth:problem:idempotency-key-reused"
    # The key is per API key: another key of the same user may use the same string.
    g = make_api_founder(session)
    mine = api.post(
        "/content",
        headers={**g.headers(), "Idempotency-Key": "create-once-1"},
        json={**body, "business_id": str(g.business.id)},
    )
    assert mine.status_code == 201
    assert len(session.exec(select(Content)).all()) == 2


def test_rate_limit_window_is_shared_by_two_processes(
    app_env: dict[str, str], session: Session, monkeypatch
) -> None:
    monkeypatch.setenv("API_RATE_LIMIT_PER_MINUTE", "10")
    reset_settings_cache()
    f = make_api_founder(session)
    with LiveApp() as one, LiveApp() as two:
        if time.time() % WINDOW_S > WINDOW_S - 5:  # all 12 requests in one window
            time.sleep(WINDOW_S - time.time() % WINDOW_S + 0.1)
        answers = []
        for i in range(12):
            base = (one if i % 2 else two).base_url
            answers.append(httpx.get(base + "/api/v1/auth/me", headers=f.headers()))
    codes = [r.status_code for r in answers]
    assert codes.count(200) == 10 and codes[-2:] == [429, 429], codes
    limited = answers[-1]
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["ratelimit-remaining"] == "0"
    assert limited.headers["ratelimit-limit"] == "10"
    # Another key has its own window.
    other = session.exec(
        select(ApiKey).where(ApiKey.scope == "read", ApiKey.user_id == f.user.id)
    ).one()
    assert other is not None
    with LiveApp() as three:
        assert (
            httpx.get(
                three.base_url + "/api/v1/auth/me", headers=f.headers(read_only=True)
            ).status_code
            == 200
        )
