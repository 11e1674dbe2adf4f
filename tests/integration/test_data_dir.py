"""DATA_DIR (database, reset links in the outbox, Redis files, keys) is private to the
service user: the directory 0700, every file our processes create 0600, even when they
start under the usual umask 022."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

from aigrowth.settings import PROJECT_ROOT

WRITE_EVERYTHING = """
import aigrowth.models
from sqlmodel import SQLModel
from aigrowth.db import get_engine
from aigrowth.mail import OutgoingMail, send_mail
from aigrowth.settings import get_settings

get_settings()  # generates the keys
SQLModel.metadata.create_all(get_engine())  # the SQLite file (and its WAL)
send_mail(OutgoingMail(to="ada@example.com", subject="Reset", text="/reset?token=secret"))
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update({"DATA_DIR": str(data_dir), "SMTP_URL": ""})
    return env


def _loose_umask() -> None:
    os.umask(0o022)


def test_data_dir_and_everything_in_it_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = _env(data_dir)
    subprocess.run(
        [sys.executable, "-c", WRITE_EVERYTHING],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        preexec_fn=_loose_umask,
        timeout=60,
    )
    redis = subprocess.Popen(
        [sys.executable, "-m", "aigrowth.embedded_redis"],
        cwd=PROJECT_ROOT,
        env=env,
        preexec_fn=_loose_umask,
        stdout=subprocess.DEVNULL,
    )
    try:
        sock = data_dir / "redis" / "redis.sock"
        deadline = time.monotonic() + 20
        while not sock.exists():
            assert time.monotonic() < deadline, "embedded Redis did not start"
            time.sleep(0.1)
        client = Redis(unix_socket_path=str(sock))
        client.set("aigrowth:test", "value")
        client.bgrewriteaof()
        time.sleep(1.5)  # the AOF rewrite writes its files
        client.close()
    finally:
        redis.terminate()
        redis.wait(timeout=10)

    loose = []
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            loose.append(f"{path.relative_to(tmp_path)} {oct(mode)}")
    files = {p.name for p in data_dir.rglob("*") if p.is_file()}
    assert {"aigrowth.db", "secret_key", "encryption_key"} <= files
    assert any(name.endswith(".eml") for name in files)
    assert any("aof" in name for name in files), files
    assert loose == [], loose
