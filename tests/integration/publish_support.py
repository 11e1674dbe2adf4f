"""Shared set-up for the publishing tests: a user, accounts on a platform fake, due
posts, real RQ worker subprocesses, and a driver that runs the periodic jobs' code."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlmodel import Session, select

from aigrowth.accounts.models import User
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.db import get_engine
from aigrowth.dbtypes import utcnow
from aigrowth.embedded_redis import server_args
from aigrowth.publishing import service
from aigrowth.publishing.config import reset_publishing_settings_cache
from aigrowth.publishing.models import PublishAttempt
from aigrowth.settings import reset_settings_cache
from aigrowth.social import vault
from aigrowth.social.models import SocialAccount

ROOT = Path(__file__).resolve().parents[2]
FINAL = {ContentStatus.PUBLISHED, ContentStatus.FAILED, ContentStatus.NEEDS_ATTENTION}


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, str]:
    """Set env for this process (and for workers started later); reset caches."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    reset_publishing_settings_cache()
    return env


def point_x_at(monkeypatch: pytest.MonkeyPatch, fake, **extra: str) -> None:  # type: ignore[no-untyped-def]
    # Tests wait half a second, not 20, before a second "is it there?" lookup.
    extra.setdefault("PUBLISH_ABSENT_RECHECK_S", "0.5")
    configure(
        monkeypatch,
        X_API_BASE=fake.base_url,
        X_CLIENT_ID=fake.client_id,
        X_CLIENT_SECRET=fake.client_secret,
        **extra,
    )
    fake.post_limit = 1_000_000  # the tests that want 429s inject them


def make_user(email: str = "founder@example.com") -> tuple[User, Business]:
    with Session(get_engine(), expire_on_commit=False) as s:
        user = User(email=email, full_name="Ada Founder", timezone="Europe/Paris")
        s.add(user)
        s.commit()
        biz = Business(user_id=user.id, name="Acme")
        s.add(biz)
        s.commit()
        return user, biz


def make_x_account(
    user: User, biz: Business, fake, *, handle: str = "founder", x_user_id: str = ""
) -> SocialAccount:  # type: ignore[no-untyped-def]
    """An X account whose tokens the fake really issued (encrypted like production)."""
    x_user_id = x_user_id or fake.user["id"]
    issued = fake.oauth.issue(user_id=x_user_id, client_id=fake.client_id)
    with Session(get_engine(), expire_on_commit=False) as s:
        acct = SocialAccount(
            user_id=user.id,
            business_id=biz.id,
            platform="x",
            account_id=x_user_id,
            handle=handle,
        )
        acct.access_token_enc = vault.encrypt(acct.id, issued["access_token"])
        acct.refresh_token_enc = vault.encrypt(acct.id, issued["refresh_token"])
        acct.token_expires_at = utcnow() + timedelta(seconds=issued["expires_in"])
        s.add(acct)
        s.commit()
        return acct


def make_posts(
    biz: Business,
    account: SocialAccount,
    n: int,
    *,
    when: datetime | None = None,
    status: str = ContentStatus.SCHEDULED,
    prefix: str = "Post",
) -> list[uuid.UUID]:
    when = when or utcnow() - timedelta(seconds=1)
    ids = []
    with Session(get_engine()) as s:
        for i in range(n):
            post = Content(
                business_id=biz.id,
                social_account_id=account.id,
                platform=account.platform,
                text=f"{prefix} {i} {uuid.uuid4().hex[:8]}",
                status=status,
                scheduled_for=when,
            )
            s.add(post)
            ids.append(post.id)
        s.commit()
    return ids


def statuses(ids: list[uuid.UUID] | None = None) -> dict[uuid.UUID, Content]:
    with Session(get_engine(), expire_on_commit=False) as s:
        query = select(Content)
        if ids is not None:
            query = query.where(Content.id.in_(ids))  # type: ignore[attr-defined]
        return {c.id: c for c in s.exec(query).all()}


def drive(
    until: Callable[[], bool],
    *,
    timeout: float,
    reconcile_every: float = 1.0,
    tick: float = 0.3,
    on_tick: Callable[[], None] | None = None,
) -> bool:
    """Run the dispatcher and reconciler code as the scheduler would, until `until()`."""
    deadline = time.monotonic() + timeout
    last_reconcile = 0.0
    while time.monotonic() < deadline:
        service.dispatch_due()
        if time.monotonic() - last_reconcile >= reconcile_every:
            service.reconcile()
            last_reconcile = time.monotonic()
        if on_tick:
            on_tick()
        if until():
            return True
        time.sleep(tick)
    return until()


def descendants(pid: int) -> list[int]:
    """Child processes of `pid`, recursively (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Workers:
    """Real `python -m workers.worker publish` subprocesses (forking RQ workers)."""

    def __init__(self, n: int, queues: tuple[str, ...] = ("publish",)) -> None:
        self.n = n
        self.queues = queues
        self.procs: list[subprocess.Popen] = []

    def start_one(self) -> subprocess.Popen:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT)
        proc = subprocess.Popen(
            [sys.executable, "-m", "workers.worker", *self.queues],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: kill -9 takes the work horse too
        )
        self.procs.append(proc)
        return proc

    def __enter__(self) -> Workers:
        for _ in range(self.n):
            self.start_one()
        return self

    def kill9(self, proc: subprocess.Popen) -> list[int]:
        """kill -9 the worker AND its work horse (RQ 3 forks the horse into a process
        group of its own, so killing the worker's group alone leaves the job running).
        Returns the pids that were killed."""
        pids = [proc.pid, *descendants(proc.pid)]
        os.killpg(proc.pid, signal.SIGKILL)
        for pid in pids[1:]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
        return pids

    def terminate(self, proc: subprocess.Popen, *, whole_unit: bool) -> None:
        """SIGTERM as systemd sends it: to every process of the unit (KillMode=
        control-group) or to the main process only (KillMode=mixed)."""
        targets = [proc.pid, *descendants(proc.pid)] if whole_unit else [proc.pid]
        for pid in targets:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


class PrivateRedis:
    """A redis-server of this test only, so it can be killed and wiped."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.sock = workdir / "redis.sock"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.sock}"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            server_args(self.sock, self.workdir, appendonly=True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill_and_wipe(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.workdir)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def attempt_outcomes(ids: list[uuid.UUID]) -> list[str | None]:
    """Outcome of every publish attempt of these posts."""
    with Session(get_engine()) as s:
        return list(
            s.exec(
                select(PublishAttempt.outcome).where(
                    PublishAttempt.content_id.in_(ids)  # type: ignore[attr-defined]
                )
            ).all()
        )
