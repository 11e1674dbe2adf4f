"""Production web process that builds the frontend only when it changed.

`reflex run --env prod --single-port` compiles and bundles the frontend at every start:
a minute or more of 502s on each restart, also when nothing in the UI changed (a
settings change, an upgrade of the workers' code, a crash). This launcher fingerprints
what the bundle is made of (the app package, assets, rxconfig, the URLs baked into the
bundle, the Reflex version). When the web dir holds a bundle built from the same
fingerprint it starts only the backend, serving that bundle the way `reflex run` does
after its build; otherwise it runs `reflex run` (which builds, then serves) and records
the fingerprint once the build is being served.

    python -m aigrowth.serve --port 3000 [--host 127.0.0.1]

Used by Procfile.prod (`make serve`), the systemd web unit and the compose web service.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import threading
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path

from aigrowth.settings import PROJECT_ROOT, get_settings

STAMP = "aigrowth-build.stamp"
_SOURCES = ("aigrowth", "assets")
_SUFFIXES = {".py", ".js", ".jsx", ".css", ".json", ".svg", ".png", ".ico", ".webp", ".txt"}


def web_dir() -> Path:
    return PROJECT_ROOT / os.environ.get("REFLEX_WEB_WORKDIR", ".web")


def fingerprint() -> str:
    """A hash of everything the compiled frontend depends on."""
    digest = hashlib.sha256()
    settings = get_settings()
    for value in (version("reflex"), settings.app_url, settings.effective_api_url):
        digest.update(value.encode() + b"\0")
    files = [PROJECT_ROOT / "rxconfig.py"]
    for top in _SOURCES:
        files += [
            p
            for p in (PROJECT_ROOT / top).rglob("*")
            if p.is_file() and p.suffix in _SUFFIXES and "__pycache__" not in p.parts
        ]
    for path in sorted(files):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def bundle_is_current(expected: str) -> bool:
    stamp = web_dir() / STAMP
    built = web_dir() / "build" / "client"
    return stamp.is_file() and stamp.read_text().strip() == expected and built.is_dir()


def _record_when_served(port: int, expected: str, child: subprocess.Popen[bytes]) -> None:
    """Write the stamp once `reflex run` answers: its build is then complete."""
    while child.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                if answer.status == 200:
                    (web_dir() / STAMP).write_text(expected + "\n")
                    return
        except OSError:
            pass
        time.sleep(1)


def build_and_serve(host: str, port: int, expected: str) -> int:
    stamp = web_dir() / STAMP
    stamp.unlink(missing_ok=True)  # the build replaces the bundle: no stale stamp
    child = subprocess.Popen(
        [
            sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port",
            "--frontend-port", str(port), "--backend-port", str(port), "--backend-host", host,
        ]
    )  # fmt: skip
    threading.Thread(target=_record_when_served, args=(port, expected, child), daemon=True).start()
    return child.wait()


def serve_built(host: str, port: int) -> None:
    """The backend with the existing bundle mounted: what `reflex run --env prod
    --single-port` does after its build step."""
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    loglevel = get_config().loglevel.subprocess_level()  # type: ignore[no-untyped-call]
    reflex_exec.run_backend_prod(host, port, loglevel, mount_frontend_compiled_app=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aigrowth.serve")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--rebuild", action="store_true", help="build even if unchanged")
    args = parser.parse_args(argv)
    os.chdir(PROJECT_ROOT)
    expected = fingerprint()
    if not args.rebuild and bundle_is_current(expected):
        print(f"Frontend unchanged since its build ({expected[:12]}): serving it", flush=True)
        serve_built(args.host, args.port)
        return 0
    print("Frontend changed or never built: building it, then serving", flush=True)
    return build_and_serve(args.host, args.port, expected)


if __name__ == "__main__":
    sys.exit(main())
