"""End-to-end fixtures: the production build in a real Chromium.

`live_app` starts what `make serve` starts (the prod Reflex build on one port, an RQ
worker and the scheduler) against a fresh SQLite database migrated with Alembic and
the test session's real Redis. Each pytest session builds into its own web dir, so
parallel sessions never overwrite each other's bundle.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from aigrowth.settings import PROJECT_ROOT
from tests.conftest import private_redis

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
BUILD_TIMEOUT_S = 900


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveApp:
    url: str
    env: dict[str, str]
    data_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def log_tail(self, lines: int = 60) -> str:
        out = []
        for path in self.logs:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app with its own Redis: its worker and scheduler must not consume the jobs of
    integration tests that share the session's Redis."""
    with private_redis() as redis_url:
        yield from _live_app(redis_url, tmp_path_factory)


def _live_app(
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    extra_env: dict[str, str] | None = None,
    tag: str = "",
) -> Iterator[LiveApp]:
    """`extra_env` configures a second app (e.g. billing on); `tag` keeps its build apart."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `apt-get install -y chromium`")
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("e2e-data")
    web_dir = f".web-e2e-{os.getpid()}{tag}"
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{PROJECT_ROOT / '.tools/node_modules/.bin'}:{os.environ['PATH']}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_WEB_WORKDIR": web_dir,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'aigrowth.db'}",
        "REDIS_URL": redis_url,
        "APP_URL": f"http://localhost:{port}",
        "API_URL": f"http://localhost:{port}",
        "ALLOW_PRIVATE_NETWORK": "1",
        "PYTHONUNBUFFERED": "1",
    }
    for key in ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "STRIPE_SECRET_KEY"):
        env.pop(key, None)
    env.update(extra_env or {})
    subprocess.run(
        [str(bin_dir / "alembic"), "upgrade", "head"], cwd=PROJECT_ROOT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    app = LiveApp(url=f"http://localhost:{port}", env=env, data_dir=data_dir)
    commands = {
        "web": [
            str(bin_dir / "reflex"), "run", "--env", "prod", "--single-port",
            "--frontend-port", str(port), "--backend-port", str(port),
        ],
        "worker": [sys.executable, "-m", "workers.worker"],
        "scheduler": [sys.executable, "-m", "workers.scheduler"],
    }  # fmt: skip
    for name, cmd in commands.items():
        log = data_dir / f"{name}.log"
        app.logs.append(log)
        app.processes.append(_spawn(cmd, env, log))
    try:
        _wait_until_ready(app)
        yield app
    finally:
        for proc in app.processes:
            _stop(proc)
        shutil.rmtree(PROJECT_ROOT / web_dir, ignore_errors=True)


def _wait_until_ready(app: LiveApp) -> None:
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in app.processes):
            pytest.fail("a live_app process exited during start-up:\n" + app.log_tail())
        try:
            page = httpx.get(app.url + "/", timeout=5)
            health = httpx.get(app.url + "/health", timeout=5)
            if page.status_code == 200 and "<html" in page.text and health.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(2)
    pytest.fail("live_app did not become ready in time:\n" + app.log_tail())


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def browser_page(browser: object, live_app: LiveApp) -> Iterator[object]:
    """A fresh browser context (no cookies) with a desktop viewport."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=live_app.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
