"""Public API load: N concurrent clients, each with its own key, listing and creating
posts for a fixed time; prints requests/s, p50/p95/p99 latency (reads and writes apart)
and the error count.

By default it starts its own stack: a private redis-server, a fresh SQLite database
(migrated with alembic) and the backend ASGI app Reflex serves (aigrowth.http.routes:
build_api, with /api/v1 mounted) under uvicorn, one process, as in `make serve`.
Against a running `make serve` instead, point it there and at the same database:

    .venv/bin/python -m bench.api_load [--clients 50] [--seconds 30] [--write-share 0.2]
                                       [--pace 2]   # open loop: 2 requests/s per client
    DATABASE_URL=... REDIS_URL=... .venv/bin/python -m bench.api_load --url http://localhost:3000

Back to back (the default), 50 clients keep the server saturated: latency is then the
queue (clients / throughput), so ``--pace`` measures latency at a given load instead.
(Each key is limited to API_RATE_LIMIT_PER_MINUTE requests a minute; the self-started
server raises it so the figures measure the API, not the limiter; 429s are counted.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

BASICS = {
    "name": "Bench Roastery",
    "industry": "Food & drink",
    "description": "A roastery that sells beans online and runs tasting classes.",
}


@dataclass
class Stats:
    reads: list[float] = field(default_factory=list)
    writes: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def own_stack():
    """Redis + migrated SQLite + uvicorn(build_api) in a temp dir; yields the base URL."""
    from aigrowth.embedded_redis import server_args

    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    sock = work / "redis.sock"
    redis = subprocess.Popen(server_args(sock, work, appendonly=False), stdout=subprocess.DEVNULL)
    port = _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "REDIS_URL": f"unix://{sock}",
        "API_RATE_LIMIT_PER_MINUTE": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    bin_dir = Path(sys.executable).parent
    web = None
    try:
        time.sleep(0.3)
        subprocess.run(
            [str(bin_dir / "alembic"), "upgrade", "head"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        web = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "aigrowth.http.routes:build_api",
             "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code < 600:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        os.environ.update({k: env[k] for k in ("DATA_DIR", "DATABASE_URL", "REDIS_URL")})
        yield url
    finally:
        for proc in (web, redis):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def seed(clients: int) -> list[tuple[str, str]]:
    """One founder per client (wizard's own save_step) and a read-and-write key each."""
    from aigrowth.accounts.models import User
    from aigrowth.api import keys
    from aigrowth.businesses.service import save_step
    from aigrowth.db import session_scope

    out = []
    with session_scope() as db:
        for _ in range(clients):
            user = User(email=f"bench-{uuid.uuid4().hex[:10]}@example.com")
            db.add(user)
            db.commit()
            business, errors = save_step(None, 1, BASICS, user_id=user.id, session=db)
            assert business is not None and not errors, errors
            _row, key = keys.create_key(user.id, "bench", "write", session=db)
            out.append((key, str(business.id)))
    return out


async def client(
    url: str, key: str, business_id: str, until: float, share: float, pace: float, stats: Stats
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url + "/api/v1", headers=headers, timeout=30) as http:
        n = 0
        next_at = time.monotonic() + random.random() / pace if pace else 0.0
        while time.monotonic() < until:
            if pace:  # open loop: one request every 1/pace s, whatever the latency
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += 1 / pace
            n += 1
            write = random.random() < share
            started = time.perf_counter()
            try:
                if write:
                    r = await http.post(
                        "/content",
                        json={
                            "business_id": business_id,
                            "platform": "mastodon",
                            "text": f"Bench post {n}",
                        },
                    )
                else:
                    r = await http.get("/content", params={"limit": 20})
            except httpx.HTTPError as exc:
                stats.error(type(exc).__name__)
                continue
            elapsed = time.perf_counter() - started
            if r.status_code >= 400:
                stats.error(str(r.status_code))
                continue
            (stats.writes if write else stats.reads).append(elapsed)


async def run(
    url: str, pairs: list[tuple[str, str]], seconds: float, share: float, pace: float
) -> Stats:
    stats = Stats()
    until = time.monotonic() + seconds
    await asyncio.gather(*(client(url, k, b, until, share, pace, stats) for k, b in pairs))
    return stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="", help="a running server (default: start one)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="requests per second per client (0: back to back, i.e. saturation)",
    )
    args = parser.parse_args()

    def go(url: str) -> None:
        pairs = seed(args.clients)
        started = time.monotonic()
        stats = asyncio.run(run(url, pairs, args.seconds, args.write_share, args.pace))
        took = time.monotonic() - started
        total = len(stats.reads) + len(stats.writes)
        mode = f"{args.pace:g} req/s each" if args.pace else "back to back"
        print(
            f"API load: {args.clients} clients ({mode}), {took:.1f} s, "
            f"{args.write_share:.0%} writes"
        )
        print(f"  server           {url}")
        print(f"  requests/s       {total / took:8.1f}  ({total} ok)")
        for name, values in (
            ("reads  (GET /content?limit=20)", stats.reads),
            ("writes (POST /content)", stats.writes),
        ):
            print(
                f"  {name:32s} n={len(values):6d}  p50 {_pct(values, 50):6.1f} ms  "
                f"p95 {_pct(values, 95):6.1f} ms  p99 {_pct(values, 99):6.1f} ms"
                + (f"  mean {statistics.fmean(values) * 1000:6.1f} ms" if values else "")
            )
        print(f"  errors           {sum(stats.errors.values())}  {stats.errors or ''}")

    if args.url:
        go(args.url.rstrip("/"))
    else:
        with own_stack() as url:
            go(url)


if __name__ == "__main__":
    main()
