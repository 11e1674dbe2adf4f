"""Leases and due times use the database's clock, not each process's own.

A worker or scheduler on a machine whose clock runs an hour ahead (libfaketime shifts
the whole process's clock) must neither publish early nor think a live worker's lease
expired. Only meaningful with a database server: SQLite's clock is the clock of the
process that opens the file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from aigrowth.content.models import ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.publishing import service
from aigrowth.publishing.fence import LeaseKeeper
from aigrowth.publishing.run import prepare
from tests.fakes.x import XFake
from tests.integration.publish_support import (
    ROOT,
    make_posts,
    make_user,
    make_x_account,
    point_x_at,
    statuses,
)

FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def _run_skewed(code: str) -> str:
    """Run `code` in a process whose clock is one hour ahead; returns its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LD_PRELOAD": str(FAKETIME)}
    env["FAKETIME"] = "+1h"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def pg_only(app_env, engine):  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no clock of its own: it is the calling process's clock")
    assert FAKETIME.exists(), "libfaketime is installed by .ci/run"
    assert "+" in _run_skewed("import time; print('+' if time.time() > 0 else '-')")


def test_a_dispatcher_an_hour_ahead_publishes_nothing_early(pg_only, monkeypatch):
    with XFake() as fake:
        point_x_at(monkeypatch, fake)
        user, biz = make_user()
        acct = make_x_account(user, biz, fake)
        (post_id,) = make_posts(biz, acct, 1, when=utcnow() + timedelta(minutes=30))
        skewed_now = _run_skewed(
            "from datetime import UTC, datetime; print(datetime.now(UTC).isoformat())"
        )
        assert skewed_now > (utcnow() + timedelta(minutes=50)).isoformat()  # really ahead
        claimed = _run_skewed(
            "from aigrowth.publishing.service import dispatch_due; print(dispatch_due())"
        )
        assert claimed == "0"
        assert statuses([post_id])[post_id].status == ContentStatus.SCHEDULED


def test_a_reconciler_an_hour_ahead_leaves_a_live_lease_alone(pg_only, monkeypatch, engine):
    with XFake() as fake:
        point_x_at(monkeypatch, fake, PUBLISH_LEASE_S="600")
        user, biz = make_user()
        acct = make_x_account(user, biz, fake)
        (post_id,) = make_posts(biz, acct, 1)
        assert service.dispatch_due() == 1
        # A job holds the post and its lease runs 10 more minutes on the DB clock; the
        # holder's heartbeat is stopped, so only the clock protects the post here.
        keeper = LeaseKeeper(engine)
        keeper.hold(prepare(engine, [(post_id, 1)]))
        assert keeper.renew() == 1
        stats = _run_skewed(
            "from aigrowth.publishing.service import reconcile; print(sorted(reconcile()))"
        )
        assert "released" not in stats and "scheduled" not in stats, stats
        post = statuses([post_id])[post_id]
        assert post.status == ContentStatus.PUBLISHING and post.attempts == 1
        assert fake.calls_to("/2/tweets", "POST") == []
