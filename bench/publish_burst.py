"""Publishing benchmark: a burst of due posts, then steady-state single posts.

    .venv/bin/python -m bench.publish_burst [--posts 2000] [--accounts 200]
        [--latency 0.2] [--workers 2] [--threads 32] [--batch 500] [--steady 30]
        [--database-url postgresql+psycopg://...]

Everything is real except the platform: a private redis-server, the database (SQLite
by default), `python -m workers.scheduler` (the due-time waker and the 2 s safety-net dispatcher), N
`python -m workers.worker publish` processes, and the X fake (tests/fakes/x.py) whose
every create answers after `--latency` seconds.

Prints: time to publish the burst, lateness p50/p99/max (published_at - scheduled_for),
duplicates (same text created twice at the fake), lost (not published by the end),
peak RSS of the worker process trees, and the ratio to the lower bound
N * latency / (workers * threads). Then steady-state lateness for single posts due
one after another.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


class RssSampler(threading.Thread):
    """Peak RSS of each worker's process tree (worker + forked work horse)."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            total = 0
            for pid in self.pids:
                try:
                    proc = psutil.Process(pid)
                    total += proc.memory_info().rss
                    for child in proc.children(recursive=True):
                        total += child.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--batch", type=int, default=500, help="max posts per job")
    parser.add_argument("--steady", type=int, default=30, help="single posts, 0 to skip")
    parser.add_argument("--steady-gap", type=float, default=1.5)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="aig-bench-"))
    env = {
        "DATA_DIR": str(workdir / "data"),
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.db'}",
        "REDIS_URL": f"unix://{workdir / 'redis' / 'redis.sock'}",
        "ALLOW_PRIVATE_NETWORK": "1",
        "PUBLISH_THREADS": str(args.threads),
        "PUBLISH_BATCH_SIZE": str(args.batch),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    procs: list[subprocess.Popen] = []
    try:
        _run(args, env, workdir, procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def _run(args: argparse.Namespace, env: dict[str, str], workdir: Path, procs: list) -> None:
    from redis import Redis
    from sqlmodel import Session, SQLModel, select

    import aigrowth.models  # noqa: F401
    from aigrowth.accounts.models import User
    from aigrowth.businesses.models import Business
    from aigrowth.content.models import Content, ContentStatus
    from aigrowth.db import get_engine
    from aigrowth.dbtypes import utcnow
    from aigrowth.embedded_redis import server_args
    from aigrowth.social import vault
    from aigrowth.social.models import SocialAccount
    from tests.fakes.x import XFake

    (workdir / "redis").mkdir(parents=True)
    sock = workdir / "redis" / "redis.sock"
    redis_proc = subprocess.Popen(
        server_args(sock, workdir / "redis", appendonly=False),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    procs.append(redis_proc)
    client = Redis.from_url(env["REDIS_URL"])
    for _ in range(200):
        try:
            client.ping()
            break
        except Exception:
            time.sleep(0.05)

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)

    fake = XFake().start()
    fake.post_limit = 10**9
    fake.faults.hang_after_accept(10**9, seconds=args.latency, path="/2/tweets", method="POST")
    os.environ.update(
        {
            "X_API_BASE": fake.base_url,
            "X_CLIENT_ID": fake.client_id,
            "X_CLIENT_SECRET": fake.client_secret,
        }
    )
    env = {**env, "X_API_BASE": fake.base_url, "X_CLIENT_ID": fake.client_id}
    from aigrowth.settings import reset_settings_cache

    reset_settings_cache()

    with Session(engine, expire_on_commit=False) as s:
        user = User(email="bench@example.com")
        s.add(user)
        s.commit()
        biz = Business(user_id=user.id, name="Bench")
        s.add(biz)
        s.commit()
        accounts = []
        for i in range(args.accounts):
            uid = str(1900000000000000000 + i)
            issued = fake.oauth.issue(user_id=uid, client_id=fake.client_id)
            acct = SocialAccount(
                user_id=user.id, business_id=biz.id, platform="x", account_id=uid, handle=f"b{i}"
            )
            acct.access_token_enc = vault.encrypt(acct.id, issued["access_token"])
            acct.refresh_token_enc = vault.encrypt(acct.id, issued["refresh_token"])
            acct.token_expires_at = utcnow() + timedelta(hours=2)
            s.add(acct)
            accounts.append(acct)
        s.commit()

    child_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}

    def spawn(*cmd: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", *cmd],
            cwd=ROOT,
            env=child_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    workers = [spawn("workers.worker", "publish") for _ in range(args.workers)]
    spawn("workers.scheduler")
    sampler = RssSampler([w.pid for w in workers])
    sampler.start()
    time.sleep(3)  # processes up

    # ---------------------------------------------------------------- burst
    due = utcnow() + timedelta(seconds=3)
    with Session(engine) as s:
        for i in range(args.posts):
            acct = accounts[i % len(accounts)]
            s.add(
                Content(
                    business_id=biz.id,
                    social_account_id=acct.id,
                    platform="x",
                    text=f"Burst post {i}",
                    status=ContentStatus.SCHEDULED,
                    scheduled_for=due,
                )
            )
        s.commit()
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        with Session(engine) as s:
            left = len(
                s.exec(select(Content.id).where(Content.status != ContentStatus.PUBLISHED)).all()
            )
        if left == 0:
            break
        time.sleep(0.5)
    with Session(engine) as s:
        rows = s.exec(select(Content)).all()
    published = [r for r in rows if r.status == ContentStatus.PUBLISHED]
    lateness = [(r.published_at - r.scheduled_for).total_seconds() for r in published]
    done_s = max(lateness) if lateness else float("nan")
    texts = Counter(t["text"] for _, t in fake.creates)
    duplicates = sum(n - 1 for n in texts.values() if n > 1)
    lost = len(rows) - len(published)
    bound = args.posts * args.latency / (args.workers * args.threads)
    print(
        f"burst: {args.posts} posts, {args.accounts} accounts, "
        f"latency {args.latency * 1000:.0f} ms, "
        f"{args.workers} workers x {args.threads} threads, DB {engine.dialect.name}"
    )
    print(f"  time to publish all : {done_s:.1f} s (from the instant they were due)")
    print(f"  first post out after: {min(lateness) if lateness else float('nan'):.1f} s")
    print(
        f"  lateness p50/p99/max: {_percentile(lateness, 50):.1f} / "
        f"{_percentile(lateness, 99):.1f} / {done_s:.1f} s"
    )
    print(f"  duplicates: {duplicates}   lost: {lost}   creates at the fake: {len(fake.creates)}")
    print(f"  peak RSS of workers (incl. work horses): {sampler.peak / 2**20:.0f} MiB")
    print(f"  lower bound {bound:.1f} s -> ratio {done_s / bound:.2f}x")
    # The platforms' own bound: one account's posts go out one after another (its rate
    # limit and ordering), so the longest account chain takes chain x latency at best.
    chain = -(-args.posts // args.accounts) * args.latency
    print(f"  platform bound (longest account chain) {chain:.1f} s -> ratio {done_s / chain:.2f}x")

    # --------------------------------------------------------- steady state
    if args.steady:
        start = utcnow() + timedelta(seconds=2)
        ids = []
        with Session(engine) as s:
            for i in range(args.steady):
                post = Content(
                    business_id=biz.id,
                    social_account_id=accounts[i % len(accounts)].id,
                    platform="x",
                    text=f"Steady post {i}",
                    status=ContentStatus.SCHEDULED,
                    scheduled_for=start + timedelta(seconds=i * args.steady_gap),
                )
                s.add(post)
                ids.append(post.id)
            s.commit()
        deadline = time.monotonic() + args.steady * args.steady_gap + 60
        while time.monotonic() < deadline:
            with Session(engine) as s:
                rows = s.exec(select(Content).where(Content.id.in_(ids))).all()
            if all(r.status == ContentStatus.PUBLISHED for r in rows):
                break
            time.sleep(0.5)
        late = [
            (r.published_at - r.scheduled_for).total_seconds()
            for r in rows
            if r.status == ContentStatus.PUBLISHED
        ]
        print(f"steady: {args.steady} single posts, one every {args.steady_gap} s")
        print(
            f"  lateness p50/p99/max: {_percentile(late, 50):.2f} / "
            f"{_percentile(late, 99):.2f} / {max(late) if late else float('nan'):.2f} s"
            f"   lost: {len(rows) - len(late)}"
        )
    sampler.stop.set()
    fake.stop()


if __name__ == "__main__":
    main()
