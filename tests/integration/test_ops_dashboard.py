"""The RQ dashboard answers admins only; the operations overview counts real queues."""

from __future__ import annotations

import re

from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from aigrowth.accounts.models import User
from aigrowth.accounts.service import SESSION_COOKIE, create_session
from aigrowth.db import get_engine
from aigrowth.ops.routes import ROUTES
from aigrowth.ops.service import overview
from workers.queues import DEFAULT, get_queue


def _client_for(user: User | None) -> TestClient:
    client = TestClient(Starlette(routes=ROUTES), base_url="http://testserver")
    if user is not None:
        with Session(get_engine()) as s:
            token = create_session(user.id, session=s)
        client.cookies.set(SESSION_COOKIE, token)
    return client


def _user(email: str, admin: bool) -> User:
    with Session(get_engine(), expire_on_commit=False) as s:
        user = User(email=email, is_admin=admin)
        s.add(user)
        s.commit()
        return user


def test_rq_dashboard_is_reachable_only_by_admins(app_env):
    admin = _user("ops@example.com", True)
    member = _user("member@example.com", False)

    anonymous = _client_for(None).get("/ops/rq/", follow_redirects=False)
    assert anonymous.status_code == 303
    assert "/login?next=/ops/rq/" in anonymous.headers["location"]

    assert _client_for(member).get("/ops/rq/", follow_redirects=False).status_code == 404
    assert _client_for(member).get("/ops/rq/0/data/queues.json").status_code == 404

    client = _client_for(admin)
    page = client.get("/ops/rq/", follow_redirects=True)
    assert page.status_code == 200
    assert "RQ" in page.text
    assets = re.findall(r'(?:src|href)="(/ops/rq/static/[^"]+)"', page.text)
    assert assets, "dashboard assets must be served under the mount"
    assert client.get(assets[0]).status_code == 200
    get_queue(DEFAULT).enqueue("workers.jobs.heartbeat")
    data = client.get("/ops/rq/0/data/queues.json")
    assert data.status_code == 200
    names = {q["name"]: q for q in data.json()["queues"]}
    assert names["default"]["count"] == 1
    # State-changing requests from another site are refused even for an admin.
    evil = client.post(
        "/ops/rq/queue/default/default/empty", headers={"origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    assert get_queue(DEFAULT).count == 1


def test_overview_reports_queues_and_posts(app_env):
    get_queue(DEFAULT).enqueue("workers.jobs.heartbeat")
    with Session(get_engine()) as s:
        data = overview(session=s)
    assert data.redis_ok
    assert {q.name: q.queued for q in data.queues}["default"] == 1
    assert data.workers == 0
    assert data.scheduler_ok is False


def _failed_job_count() -> int:
    return get_queue(DEFAULT).failed_job_registry.count


def _fail_a_job() -> None:
    queue = get_queue(DEFAULT)
    job = queue.enqueue("workers.jobs.heartbeat")
    queue.remove(job)
    queue.failed_job_registry.add(job, ttl=600, exc_string="Boom")


def test_state_changes_need_a_post_from_our_own_origin(app_env):
    """Issue 15 #7: `GET /ops/rq/requeue/<queue>` used to requeue every failed job, so a
    link or an <img> on any site could do it in an admin's browser; and a POST without
    Origin/Referer, or from an origin that merely matched the Host header, got through."""
    client = _client_for(_user("ops2@example.com", True))
    _fail_a_job()
    assert _failed_job_count() == 1

    for method in ("GET", "HEAD"):
        refused = client.request(method, "/ops/rq/requeue/default")
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert _failed_job_count() == 1

    app = "http://localhost:3000"  # APP_URL of the test settings
    for headers in (
        {},  # no Origin, no Referer: not a page of ours
        {"origin": "http://testserver"},  # matches the Host header, not APP_URL
        {"origin": "https://evil.example"},
        {"referer": "https://evil.example/ops/rq/"},
        {"origin": "null"},
    ):
        refused = client.post("/ops/rq/requeue/default", headers=headers)
        assert refused.status_code == 403, headers
    assert _failed_job_count() == 1

    done = client.post("/ops/rq/requeue/default", headers={"origin": app})
    assert done.status_code == 200 and done.json()["count"] == 1
    assert _failed_job_count() == 0
    _fail_a_job()
    by_referer = client.post("/ops/rq/requeue/default", headers={"referer": f"{app}/ops/rq/"})
    assert by_referer.status_code == 200 and _failed_job_count() == 0
    # Reading stays a GET.
    assert client.get("/ops/rq/0/data/queues.json").status_code == 200


def test_allowed_origins_follow_app_url(app_env, monkeypatch):
    from aigrowth.http.origins import allowed_origins, is_allowed_origin
    from aigrowth.settings import reset_settings_cache

    local = allowed_origins()
    # Dev mode (`make run`): the UI on :3000 and the backend on :8000, by either name.
    for origin in ("http://localhost:3000", "http://127.0.0.1:3000", "http://localhost:8000"):
        assert origin in local
    monkeypatch.setenv("APP_URL", "https://growth.example.com/")
    monkeypatch.delenv("API_URL", raising=False)
    reset_settings_cache()
    assert allowed_origins() == ["https://growth.example.com"]
    assert is_allowed_origin({"origin": "https://growth.example.com"})
    assert is_allowed_origin({"referer": "https://growth.example.com:443/ops/rq/"})
    assert not is_allowed_origin({"origin": "http://growth.example.com"})
    assert not is_allowed_origin({"origin": "https://growth.example.com.evil.top"})
    assert not is_allowed_origin({"origin": "http://localhost:3000"})
