# ruff: noqa: F811  (pytest fixtures imported from api_support are parameters here)
"""Public API v1 against the live backend (uvicorn, real database and Redis): keys,
problem documents, businesses, content, social, strategies, jobs, OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import Session, select

from aigrowth.api import keys
from aigrowth.content.models import Content
from aigrowth.social import vault
from aigrowth.social.models import SocialAccount
from tests.integration.api_support import Founder, api, live_app, make_api_founder  # noqa: F401

PROBLEM = "application/problem+json"


def _problem(r: httpx.Response, status: int, slug: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["type"] == f"urn:aigrowth:problem:{slug}"
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def connect_mastodon(session: Session, f: Founder) -> SocialAccount:
    account = SocialAccount(
        user_id=f.user.id,
        platform="mastodon",
        account_id="109",
        handle="@bean@example.social",
        display_name="Bean",
        instance_url="https://example.social",
        access_token_enc="",
    )
    account.access_token_enc = vault.encrypt(account.id, "token-xyz")
    session.add(account)
    session.commit()
    return account


def test_openapi_31_and_docs(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert "/content/{content_id}/schedule" in spec["paths"]
    docs = api.get("/docs")
    assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text


def test_no_key_bad_key_and_cookie_are_401(api: httpx.Client, session: Session) -> None:
    _problem(api.get("/auth/me"), 401, "unauthorized")
    r = api.get("/auth/me", headers={"Authorization": "Bearer agm_nope"})
    assert _problem(r, 401, "unauthorized") and r.headers["www-authenticate"].startswith("Bearer")
    # A browser session cookie is not a credential here.
    _problem(api.get("/auth/me", cookies={"aigrowth_session": "x" * 40}), 401, "unauthorized")


def test_me_and_revocation_is_immediate(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    me = api.get("/auth/me", headers=f.headers())
    assert me.status_code == 200, me.text
    assert me.json()["email"] == f.user.email and me.json()["key_scope"] == "write"
    assert me.headers["ratelimit-limit"] == "600" and "ratelimit-remaining" in me.headers
    row = session.exec(
        select(keys.ApiKey).where(keys.ApiKey.key_hash == keys.hash_key(f.key))
    ).one()
    session.refresh(row)
    assert row.last_used_at is not None
    keys.revoke_key(row.id, user_id=f.user.id, session=session)
    _problem(api.get("/auth/me", headers=f.headers()), 401, "unauthorized")


def test_read_only_key_cannot_write(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    assert api.get("/businesses", headers=f.headers(read_only=True)).status_code == 200
    r = api.post(
        "/content",
        headers=f.headers(read_only=True),
        json={"business_id": str(f.business.id), "platform": "mastodon", "text": "hi"},
    )
    _problem(r, 403, "forbidden-scope")
    assert session.exec(select(Content)).all() == []


def test_businesses_create_get_update_validate(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    listed = api.get("/businesses", headers=f.headers()).json()
    assert [b["id"] for b in listed] == [str(f.business.id)]
    bad = api.post(
        "/businesses",
        headers=f.headers(),
        json={"name": "X", "industry": "Y", "description": "short"},
    )
    body = _problem(bad, 422, "invalid-request")
    assert any(e["field"] == "description" for e in body["errors"])
    made = api.post(
        "/businesses",
        headers=f.headers(),
        json={
            **{
                "name": "Second",
                "industry": "Education",
                "description": "Evening classes in pottery for adults.",
            }
        },
    )
    assert made.status_code == 201, made.text
    bid = made.json()["id"]
    patched = api.patch(f"/businesses/{bid}", headers=f.headers(), json={"name": "Second Shop"})
    assert patched.status_code == 200 and patched.json()["name"] == "Second Shop"
    assert patched.json()["description"].startswith("Evening classes")
    assert api.get(f"/businesses/{bid}", headers=f.headers()).json()["name"] == "Second Shop"
    ts = patched.json()["updated_at"]
    assert ts.endswith("Z") or ts.endswith("+00:00")
    _problem(
        api.patch(f"/businesses/{bid}", headers=f.headers(), json={"nme": "typo"}),
        422,
        "invalid-request",
    )


def test_post_lifecycle_schedule_list_unschedule_delete(
    api: httpx.Client, session: Session
) -> None:
    f = make_api_founder(session, timezone="Europe/Paris")
    account = connect_mastodon(session, f)
    h = f.headers()
    made = api.post(
        "/content",
        headers=h,
        json={
            "business_id": str(f.business.id),
            "platform": "mastodon",
            "text": "Fresh beans today ☕",
            "hashtags": ["#coffee"],
        },
    )
    assert made.status_code == 201, made.text
    assert made.headers["location"] == f"/api/v1/content/{made.json()['id']}"
    pid = made.json()["id"]
    assert made.json()["status"] == "draft" and made.json()["hashtags"] == ["coffee"]
    # A wall-clock time in the profile's zone (Paris, CET in winter = UTC+1).
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    r = api.post(f"/content/{pid}/schedule", headers=h, json={"at": f"{day}T09:30:00"})
    assert r.status_code == 200, r.text
    got = datetime.fromisoformat(r.json()["scheduled_for"].replace("Z", "+00:00"))
    from zoneinfo import ZoneInfo

    assert got.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M") == "09:30"
    assert r.json()["status"] == "scheduled" and r.json()["social_account_id"] == str(account.id)
    # An instant with an offset is that instant.
    r = api.post(f"/content/{pid}/schedule", headers=h, json={"at": f"{day}T12:00:00+00:00"})
    assert r.json()["scheduled_for"].startswith(f"{day}T12:00:00")
    _problem(
        api.post(f"/content/{pid}/schedule", headers=h, json={"at": "2001-01-01T00:00:00Z"}),
        409,
        "content-refused",
    )
    _problem(
        api.post(
            f"/content/{pid}/schedule",
            headers=h,
            json={"at": f"{day}T09:30:00", "time_zone": "Mars/Base"},
        ),
        422,
        "invalid-request",
    )
    listed = api.get("/content", headers=h, params={"status": "scheduled"}).json()
    assert [p["id"] for p in listed["items"]] == [pid] and listed["next_cursor"] is None
    edited = api.patch(
        f"/content/{pid}", headers=h, json={"text": "Fresh beans, new roast", "pillar": "Product"}
    )
    assert edited.status_code == 200 and edited.json()["pillar"] == "Product"
    assert api.post(f"/content/{pid}/unschedule", headers=h).json()["status"] == "draft"
    _problem(api.post(f"/content/{pid}/unschedule", headers=h), 409, "content-refused")
    assert api.delete(f"/content/{pid}", headers=h).status_code == 204
    _problem(api.get(f"/content/{pid}", headers=h), 404, "not-found")


def test_schedule_without_account_and_invalid_post(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    h = f.headers()
    pid = api.post(
        "/content",
        headers=h,
        json={"business_id": str(f.business.id), "platform": "bluesky", "text": "x" * 400},
    ).json()["id"]
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    _problem(
        api.post(f"/content/{pid}/schedule", headers=h, json={"at": later}), 409, "needs-account"
    )


def test_cursor_pagination_and_filters(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    h = f.headers()
    ids = []
    for i in range(7):
        r = api.post(
            "/content",
            headers=h,
            json={
                "business_id": str(f.business.id),
                "platform": "mastodon",
                "text": f"post {i} {'lemon' if i % 2 else ''}",
            },
        )
        ids.append(r.json()["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/content", headers=h, params=params).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    lemons = api.get("/content", headers=h, params={"q": "lemon"}).json()["items"]
    assert len(lemons) == 3
    _problem(api.get("/content", headers=h, params={"cursor": "garbage"}), 422, "invalid-request")
    _problem(
        api.get("/content", headers=h, params={"from": "2026-01-01T00:00:00"}),
        422,
        "invalid-request",
    )
    assert (
        api.get("/content", headers=h, params={"from": "2199-01-01T00:00:00Z"}).json()["items"]
        == []
    )


def test_social_accounts_and_connect(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    account = connect_mastodon(session, f)
    listed = api.get("/social/accounts", headers=f.headers()).json()
    assert [a["id"] for a in listed] == [str(account.id)] and listed[0]["health"] == "active"
    r = api.post("/social/connect", headers=f.headers(), json={"platform": "x"})
    _problem(r, 422, "social-refused")  # X has no app credentials configured here
    _problem(
        api.post("/social/connect", headers=f.headers(), json={"platform": "myspace"}),
        422,
        "invalid-request",
    )


def test_strategy_job_runs_and_is_polled(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    h = f.headers()
    _problem(api.get(f"/businesses/{f.business.id}/strategy", headers=h), 404, "not-found")
    r = api.post(f"/businesses/{f.business.id}/strategy/generate", headers=h)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/api/v1/jobs/{job['id']}"
    import time

    deadline = time.monotonic() + 60
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.get(f"/jobs/{job['id']}", headers=h).json()
    assert job["state"] == "done", job
    active = api.get(f"/businesses/{f.business.id}/strategy", headers=h).json()
    assert active["version"] == 1 and active["is_active"]
    edited = dict(active["content"])
    edited["summary"] = "Edited by API"
    v2 = api.put(f"/businesses/{f.business.id}/strategy", headers=h, json=edited)
    assert v2.status_code == 200 and v2.json()["version"] == 2, v2.text
    versions = api.get(f"/businesses/{f.business.id}/strategy/versions", headers=h).json()
    assert [v["version"] for v in versions] == [2, 1]
    back = api.post(
        f"/businesses/{f.business.id}/strategy/activate", headers=h, json={"version": 1}
    )
    assert back.json()["version"] == 1 and back.json()["is_active"]
    # Another user's key sees neither the job nor the strategy.
    g = make_api_founder(session)
    _problem(api.get(f"/jobs/{job['id']}", headers=g.headers()), 404, "not-found")
    _problem(
        api.get(f"/businesses/{f.business.id}/strategy", headers=g.headers()), 404, "not-found"
    )


def test_unknown_path_and_method_are_problems(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    _problem(api.get("/nothing-here", headers=f.headers()), 404, "not-found")
    _problem(api.put("/content", headers=f.headers()), 405, "method-not-allowed")


def test_stripe_webhook_route_is_still_its_own(live_app: str) -> None:
    """/api/v1/billing/webhook/stripe stays the billing route (billing off here: 404 JSON)."""
    r = httpx.post(live_app + "/api/v1/billing/webhook/stripe", content=b"{}")
    assert r.status_code == 404 and r.json() == {"error": "billing is not configured"}


def test_plan_limit_applies_as_in_the_ui(api: httpx.Client, session: Session) -> None:
    """The Free plan's 3 businesses: the 4th is refused with 402 and a plan-limit problem."""
    f = make_api_founder(session)
    body = {"industry": "Education", "description": "Evening classes in pottery for adults."}
    for n in (2, 3):
        r = api.post("/businesses", headers=f.headers(), json={"name": f"Shop {n}", **body})
        assert r.status_code == 201, r.text
    r = api.post("/businesses", headers=f.headers(), json={"name": "Shop 4", **body})
    problem = _problem(r, 402, "plan-limit")
    assert problem["limit"] == "businesses" and problem["plan"] == "free"
    assert len(api.get("/businesses", headers=f.headers()).json()) == 3


def test_post_batch_job_drafts_posts(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    h = f.headers()
    refused = api.post(
        f"/businesses/{f.business.id}/content/generate", headers=h, json={"count": 7}
    )
    _problem(refused, 409, "job-refused")  # no strategy yet
    _problem(
        api.post(f"/businesses/{f.business.id}/content/generate", headers=h, json={"count": 3}),
        422,
        "invalid-request",
    )
    job = api.post(f"/businesses/{f.business.id}/strategy/generate", headers=h).json()
    wait_job(api, h, job["id"])
    job = api.post(f"/businesses/{f.business.id}/content/generate", headers=h, json={"count": 7})
    assert job.status_code == 202, job.text
    done = wait_job(api, h, job.json()["id"])
    assert done["result"]["count"] == 7
    drafts = api.get("/content", headers=h, params={"status": "draft"}).json()["items"]
    assert len(drafts) == 7 and all(d["ai_generated"] for d in drafts)


def wait_job(api: httpx.Client, h: dict[str, str], job_id: str) -> dict:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{job_id}", headers=h).json()
        if job["state"] not in ("queued", "running"):
            assert job["state"] == "done", job
            return job
        time.sleep(0.2)
    raise AssertionError("job did not finish")
