"""The production stack for benches: Redis, a database, N web processes (the prod
Reflex build on one port each, UI state in Redis), M workers, the scheduler, and
optionally Caddy as the load balancer in front of the web processes.

Not a bench itself (`make bench` runs bench/[a-z]*.py only). The web processes are
started as `make serve` starts them (`reflex run --env prod --single-port`); each
builds its frontend into a web dir of its own, so two of them never overwrite each
other's bundle.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url

from aigrowth.db import make_engine
from aigrowth.embedded_redis import server_args
from aigrowth.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    name: str
    cmd: list[str]
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        handle = self.log.open("a")
        self.popen = subprocess.Popen(
            self.cmd,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, timeout: float = 20) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)

    def rss_bytes(self, *, proportional: bool = False) -> int:
        """Resident memory of the process and everything it started. ``proportional``:
        PSS, which counts a page shared by N processes (a forked server's workers) 1/N
        times in each, so the sum over processes is what the machine really spends."""
        if self.popen is None or self.popen.poll() is not None:
            return 0
        try:
            root = psutil.Process(self.popen.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                info = proc.memory_full_info() if proportional else proc.memory_info()
                total += info.pss if proportional else info.rss
        return total


@dataclass
class Stack:
    workdir: Path
    env: dict[str, str]
    web_ports: list[int] = field(default_factory=list)
    procs: list[Proc] = field(default_factory=list)
    lb_port: int | None = None
    pg_admin_url: str | None = None
    pg_name: str | None = None

    @property
    def url(self) -> str:
        port = self.lb_port or self.web_ports[0]
        return f"http://localhost:{port}"

    def proc(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)

    def add(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, cmd, self.workdir / f"{name}.log", {**self.env, **(env or {})})
        self.procs.append(proc)
        proc.start()
        return proc

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for proc in self.procs:
            if proc.log.exists():
                tail = proc.log.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {proc.name}\n" + "\n".join(tail))
        return "\n".join(out)

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        for port in self.web_ports:
            shutil.rmtree(PROJECT_ROOT / f".web-bench-{port}", ignore_errors=True)
        if self.pg_admin_url and self.pg_name:
            admin = make_engine(self.pg_admin_url).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _wait(what: str, check, timeout: float, stack: Stack) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [p.name for p in stack.procs if p.popen and p.popen.poll() is not None]
        if dead and not what.startswith("redis"):
            raise RuntimeError(f"{dead} exited while waiting for {what}:\n{stack.log_tail()}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(1)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s:\n{stack.log_tail()}")


def web_ready(port: int) -> bool:
    page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
    return page.status_code == 200 and "<html" in page.text and health.status_code == 200


def start_stack(
    *,
    webs: int = 1,
    workers: int = 1,
    postgres: str | None = None,
    load_balancer: bool = False,
    embedded_redis: bool = False,
    build_timeout: float = 1200,
) -> Stack:
    """Everything up and answering; the caller must call ``close()``.

    ``embedded_redis``: as `make serve` runs it (REDIS_URL unset: the app's embedded
    redis-server on a socket in DATA_DIR, UI state kept in the web process); otherwise a
    redis-server of the stack's own named in REDIS_URL (UI state in Redis, as when
    scaled out)."""
    # A SIGTERM (CI, a stopped terminal) unwinds like Ctrl-C, so close() still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = Stack(workdir=Path(tempfile.mkdtemp(prefix="aig-stack-")), env={})
    try:
        return _start(stack, webs, workers, postgres, load_balancer, embedded_redis, build_timeout)
    except BaseException:
        stack.close()
        raise


def _start(
    stack: Stack,
    webs: int,
    workers: int,
    postgres: str | None,
    load_balancer: bool,
    embedded_redis: bool,
    build_timeout: float,
) -> Stack:
    workdir = stack.workdir
    sock = workdir / ("data/redis/redis.sock" if embedded_redis else "redis.sock")
    if postgres:
        stack.pg_admin_url = postgres
        stack.pg_name = f"aig_stack_{os.getpid()}"
        admin = make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{stack.pg_name}"'))
            conn.execute(text(f'CREATE DATABASE "{stack.pg_name}"'))
        admin.dispose()
        db_url = make_url(postgres).set(database=stack.pg_name).render_as_string(False)
    else:
        db_url = f"sqlite:///{workdir / 'data' / 'aigrowth.db'}"
    stack.web_ports = [free_port() for _ in range(webs)]
    if load_balancer:
        stack.lb_port = free_port()
    public = stack.url
    stack.env = {
        **os.environ,
        "PATH": f"{BIN}:{PROJECT_ROOT / '.tools/node_modules/.bin'}:{os.environ['PATH']}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "DATA_DIR": str(workdir / "data"),
        "DATABASE_URL": db_url,
        "APP_URL": public,
        "API_URL": public,
        "ALLOW_PRIVATE_NETWORK": "1",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    if not embedded_redis:
        stack.env["REDIS_URL"] = f"unix://{sock}"
    for key in ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "STRIPE_SECRET_KEY", "SENTRY_DSN"):
        stack.env.pop(key, None)
    if embedded_redis:
        stack.env.pop("REDIS_URL", None)
    if load_balancer:
        stack.env["TRUSTED_PROXY_HOPS"] = "1"
    if embedded_redis:
        stack.add("redis", [sys.executable, "-m", "aigrowth.embedded_redis"])
    else:
        stack.add("redis", server_args(sock, workdir, appendonly=False))
    from redis import Redis

    _wait("redis", lambda: Redis.from_url(f"unix://{sock}").ping(), 20, stack)
    done = subprocess.run(
        [sys.executable, "-m", "aigrowth", "prestart", "--timeout", "30"],
        cwd=PROJECT_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"prestart failed: {done.stderr[-2000:]}")
    for i in range(webs):
        start_web(stack, i)
    for i in range(workers):
        stack.add(f"worker{i + 1}", [sys.executable, "-m", "workers.worker"])
    stack.add("scheduler", [sys.executable, "-m", "workers.scheduler"])
    if load_balancer:
        start_caddy(stack)
    for port in stack.web_ports:
        _wait(f"web :{port}", lambda p=port: web_ready(p), build_timeout, stack)
    if load_balancer:
        _wait(
            "caddy", lambda: httpx.get(public + "/health", timeout=5).status_code == 200, 60, stack
        )
    return stack


def start_web(stack: Stack, index: int) -> Proc:
    port = stack.web_ports[index]
    # As `make serve` runs it: builds the frontend unless its web dir holds a build of
    # the same UI (a restart then takes seconds).
    cmd = [sys.executable, "-m", "aigrowth.serve", "--port", str(port), "--host", "127.0.0.1"]
    env = {"REFLEX_WEB_WORKDIR": f".web-bench-{port}"}
    name = f"web{index + 1}"
    existing = [p for p in stack.procs if p.name == name]
    if existing:
        existing[0].popen = None
        existing[0].start()
        return existing[0]
    return stack.add(name, cmd, env)


def start_caddy(stack: Stack) -> Proc:
    """Caddy as the load balancer: `first` sends everything to web1 while it is
    healthy (so a test knows which process its user is on), and fails over to the
    next one within a second when it is not."""
    upstreams = " ".join(f"127.0.0.1:{p}" for p in stack.web_ports)
    config = f"""{{
	admin off
	auto_https off
}}
http://localhost:{stack.lb_port} {{
	reverse_proxy {upstreams} {{
		lb_policy first
		lb_try_duration 10s
		lb_try_interval 250ms
		fail_duration 5s
		health_uri /health
		health_interval 1s
		health_timeout 2s
		header_up X-Request-ID {{http.request.uuid}}
	}}
}}
"""
    caddyfile = stack.workdir / "Caddyfile"
    caddyfile.write_text(config)
    env = {
        "HOME": str(stack.workdir),
        "XDG_DATA_HOME": str(stack.workdir / "caddy-data"),
        "XDG_CONFIG_HOME": str(stack.workdir / "caddy-config"),
    }
    return stack.add(
        "caddy", ["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"], env
    )
