"""The deployment files: docker-compose.yml as `docker-compose config` reads it, both
Caddyfiles as Caddy reads them, the systemd units as `systemd-analyze verify` reads
them, and the one prestart step (wait, migrate) that compose and systemd share."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aigrowth.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = DEPLOY / "systemd"
PRESTART = ["python", "-m", "aigrowth", "prestart"]


def _compose_config(tmp_path: Path, env: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(PROJECT_ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text(env)
    # Only the .env decides (the shell's environment would win over it).
    ours = ("POSTGRES_PASSWORD", "AIGROWTH_DOMAIN", "WORKER_REPLICAS")
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return subprocess.run(
        ["docker-compose", "config"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_is_valid_and_has_the_whole_stack(tmp_path: Path) -> None:
    done = _compose_config(
        tmp_path, "AIGROWTH_DOMAIN=growth.example.com\nPOSTGRES_PASSWORD=pw\nWORKER_REPLICAS=3\n"
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "scheduler", "caddy"}
    assert services["worker"]["deploy"]["replicas"] == 3
    # Migrations run once, before anything that uses the database.
    assert services["migrate"]["command"] == PRESTART
    assert services["migrate"]["restart"] == "no"
    for name in ("postgres", "redis"):
        assert services["migrate"]["depends_on"][name]["condition"] == "service_healthy"
    for name in ("web", "worker", "scheduler"):
        svc = services[name]
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert svc["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://aigrowth:pw@")
        assert svc["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert svc["environment"]["APP_URL"] == "https://growth.example.com"
        assert any(v.endswith(":/data:rw") for v in svc["volumes"])
    for name in ("postgres", "redis", "web", "worker", "scheduler"):
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["environment"]["TRUSTED_PROXY_HOPS"] == "1"
    # A stop lets a publish in flight finish (longer than the worker's drain).
    assert services["worker"]["stop_signal"] == "SIGTERM"
    assert services["worker"]["stop_grace_period"] in ("150s", "2m30s")
    caddy = services["caddy"]
    assert {p["published"] for p in caddy["ports"]} == {80, 443}
    assert caddy["depends_on"]["web"]["condition"] == "service_healthy"
    assert any(v.endswith(":/etc/caddy/Caddyfile:ro") for v in caddy["volumes"])
    assert {"appdata", "pgdata", "redisdata", "caddydata"} <= set(config["volumes"])


def test_compose_refuses_to_start_without_a_database_password(tmp_path: Path) -> None:
    done = _compose_config(tmp_path, "AIGROWTH_DOMAIN=growth.example.com\n")
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in done.stderr


def _caddy_validate(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(tmp_path), "AIGROWTH_DOMAIN": "growth.example.com"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return subprocess.run(
        ["caddy", "validate", "--config", str(path), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("name", ["Caddyfile", "compose.Caddyfile"])
def test_caddyfiles_are_valid_and_agree(name: str, tmp_path: Path) -> None:
    path = DEPLOY / name
    done = _caddy_validate(path, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    text = path.read_text()
    for rule in (
        "max_size 81MiB",
        "max_size 2MiB",
        'header Strict-Transport-Security "max-age=31536000; includeSubDomains"',
        "respond /metrics 404",
        "header_up X-Request-ID {http.request.uuid}",
    ):
        assert rule in text, (name, rule)


def _unit(name: str) -> str:
    return (UNITS / name).read_text()


def test_systemd_units_verify_and_share_the_prestart(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units, with /opt/aigrowth pointing at this
    checkout's Python (it checks that every ExecStart can run)."""
    root = tmp_path / "opt"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").symlink_to(sys.executable)
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS.iterdir():
        (units / unit.name).write_text(unit.read_text().replace("/opt/aigrowth", str(root)))
    names = sorted(p.name for p in units.iterdir() if "@" not in p.name)
    names.append("aigrowth-worker@1.service")
    (units / "aigrowth-worker@1.service").symlink_to(units / "aigrowth-worker@.service")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=units,
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    own = [line for line in done.stderr.splitlines() if "aigrowth" in line]
    assert done.returncode == 0 and not own, done.stderr

    migrate = _unit("aigrowth-migrate.service")
    assert "Type=oneshot" in migrate and "RemainAfterExit=yes" in migrate
    assert re.search(r"ExecStart=\S+/python -m aigrowth prestart$", migrate, re.M)
    for name in ("aigrowth-web.service", "aigrowth-worker@.service", "aigrowth-scheduler.service"):
        unit = _unit(name)
        assert "Requires=aigrowth-migrate.service" in unit, name
        assert re.search(r"^After=.*aigrowth-migrate\.service", unit, re.M), name
    for unit_path in UNITS.glob("*.service"):
        unit = unit_path.read_text()
        for rule in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes"):
            assert rule in unit, (unit_path.name, rule)
        assert "PrivateTmp=yes" in unit and "ReadWritePaths=/opt/aigrowth/data" in unit
    worker = _unit("aigrowth-worker@.service")
    assert "KillMode=mixed" in worker
    stop = int(re.search(r"^TimeoutStopSec=(\d+)", worker, re.M).group(1))
    assert stop > 60  # longer than a publish in flight (HTTP timeouts + recheck)
    assert "aigrowth-migrate.service" in _unit("aigrowth.target")
    # A restart without UI changes must not rebuild the frontend (minutes of 502s).
    for launcher in (_unit("aigrowth-web.service"), (PROJECT_ROOT / "Procfile.prod").read_text()):
        assert "-m aigrowth.serve --port 3000" in launcher
    assert '"aigrowth.serve"' in (PROJECT_ROOT / "Dockerfile").read_text()
    readme = (DEPLOY / "README.md").read_text()
    assert "deploy/systemd/*.target" in readme  # the install step copies the target too
