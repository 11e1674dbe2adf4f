"""Process plumbing of `make run`: the embedded Redis and the no-orphans supervisor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from redis import Redis

from aigrowth.settings import PROJECT_ROOT


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    env.pop("REDIS_URL", None)
    return env


def _wait_ping(url: str) -> Redis:
    client = Redis.from_url(url)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            return client
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_embedded_redis_uses_a_socket_in_data_dir_and_persists(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    cmd = [sys.executable, "-m", "aigrowth.embedded_redis"]
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=_env(data_dir))
    url = f"unix://{data_dir / 'redis' / 'redis.sock'}"
    try:
        client = _wait_ping(url)
        # No TCP listener: it can never clash with a system Redis on 6379.
        listeners = [c for c in psutil.Process(proc.pid).net_connections() if c.status == "LISTEN"]
        assert listeners == []
        client.set("survives-restart", "yes")
        time.sleep(1.5)  # appendfsync everysec
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert list((data_dir / "redis").glob("appendonly.aof*"))

    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=_env(data_dir))
    try:
        assert _wait_ping(url).get("survives-restart") == b"yes"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def test_supervisor_leaves_no_orphans(tmp_path: Path) -> None:
    """Like `reflex run`, the child starts grandchildren; SIGINT must take them all down."""
    script = tmp_path / "spawner.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "kids = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])"
        " for _ in range(2)]\n"
        "print(' '.join(str(k.pid) for k in kids), flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "aigrowth.supervise", sys.executable, str(script)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    grandchildren = [int(pid) for pid in proc.stdout.readline().split()]
    assert len(grandchildren) == 2 and all(psutil.pid_exists(pid) for pid in grandchildren)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0
    time.sleep(0.3)
    alive = [pid for pid in grandchildren if psutil.pid_exists(pid)
             and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]  # fmt: skip
    assert alive == []
