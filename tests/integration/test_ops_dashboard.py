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
