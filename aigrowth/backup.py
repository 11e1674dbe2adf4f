"""Backups: a consistent snapshot of the database and media, the keys kept apart.

``python -m aigrowth backup DIR`` writes ``DIR/aigrowth-<UTC time>/`` with

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the app
  runs and writes) or ``database.dump`` (``pg_dump --format=custom``, one snapshot
  transaction, also while the app runs);
- ``media/`` (uploaded images) and ``manifest.json`` (version, migration, database kind);

and, beside it, ``aigrowth-<UTC time>.keys.env`` with SECRET_KEY and ENCRYPTION_KEY.
The keys decrypt every stored social token: store that file somewhere else than the
snapshot (a password manager, another bucket). Anyone holding both can act as every
connected account; losing the keys means every account must be reconnected.

``python -m aigrowth restore SNAPSHOT [--keys FILE]`` (stop web, workers and scheduler
first) puts the database and media back, writes the keys into DATA_DIR when given, and
migrates to the running code's schema.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from aigrowth.db import make_engine
from aigrowth.settings import VERSION, Settings, get_settings

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
MANIFEST = "manifest.json"
KEYS_WARNING = (
    "# AI Growth Manager keys. They decrypt every stored social-account token.\n"
    "# Keep this file APART from the backups (anyone holding both can act as every\n"
    "# connected account) and do not lose it (without it accounts must be reconnected).\n"
)


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the operator."""


@dataclass
class BackupResult:
    snapshot: Path
    keys_file: Path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (it goes in PGPASSWORD, not on a command line
    that `ps` shows), and the environment for pg_dump/pg_restore."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupError("The SQLite URL names no file.")
    return Path(database)


def _sqlite_copy(source_uri: str, target: Path) -> None:
    """SQLite's online backup API: a consistent copy page by page, while writers go on
    (a plain file copy of a database in WAL mode can miss or tear the latest commits)."""
    src = sqlite3.connect(source_uri, uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None
    finally:
        engine.dispose()


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            f"{argv[0]} is not installed (Debian/Ubuntu: apt install postgresql-client)."
        ) from exc
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-500:]}")


def _write_private(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def backup(dest: Path, settings: Settings | None = None) -> BackupResult:
    """Write a snapshot under ``dest`` and the keys file beside it."""
    settings = settings or get_settings()
    url = settings.effective_database_url
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dest.mkdir(parents=True, exist_ok=True)
    snapshot = dest / f"aigrowth-{stamp}"
    if snapshot.exists():
        raise BackupError(f"{snapshot} already exists; try again in a second.")
    snapshot.mkdir(mode=0o700)
    kind = make_url(url).get_backend_name()
    if kind == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"No database at {source}.")
        _sqlite_copy(f"file:{source}?mode=ro", snapshot / SQLITE_FILE)
    elif kind == "postgresql":
        libpq, env = _libpq(url)
        argv = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
        _run([*argv, f"--file={snapshot / PG_FILE}", f"--dbname={libpq}"], env, "pg_dump")
    else:
        raise BackupError(f"Cannot back up a {kind} database.")
    if settings.media_dir.is_dir():
        shutil.copytree(settings.media_dir, snapshot / "media")
    manifest = {
        "app_version": VERSION,
        "alembic_revision": _revision(url),
        "database": kind,
        "created_at": datetime.now(UTC).isoformat(),
        "keys_file": f"aigrowth-{stamp}.keys.env (kept apart)",
    }
    (snapshot / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    keys_file = dest / f"aigrowth-{stamp}.keys.env"
    _write_private(
        keys_file,
        KEYS_WARNING
        + f"SECRET_KEY={settings.secret_key}\nENCRYPTION_KEY={settings.encryption_key}\n",
    )
    return BackupResult(snapshot=snapshot, keys_file=keys_file)


def _read_keys(path: Path) -> dict[str, str]:
    keys = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#") and name.strip() in ("SECRET_KEY", "ENCRYPTION_KEY"):
            keys[name.strip()] = value.strip()
    if "ENCRYPTION_KEY" not in keys:
        raise BackupError(f"{path} holds no ENCRYPTION_KEY line.")
    return keys


def restore(snapshot: Path, keys: Path | None = None, settings: Settings | None = None) -> str:
    """Put a snapshot back (database, media, keys); returns what was done, in words."""
    settings = settings or get_settings()
    manifest_path = snapshot / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{snapshot} is not a backup made by `python -m aigrowth backup`.")
    manifest = json.loads(manifest_path.read_text())
    key_values = _read_keys(keys) if keys else None
    url = settings.effective_database_url
    kind = make_url(url).get_backend_name()
    if manifest.get("database") != kind:
        raise BackupError(
            f"The backup is of a {manifest.get('database')} database; DATABASE_URL is {kind}."
        )
    if kind == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(f"file:{snapshot / SQLITE_FILE}?mode=ro", target)
    else:
        libpq, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                f"--dbname={libpq}",
                str(snapshot / PG_FILE),
            ],
            env,
            "pg_restore",
        )
    if (snapshot / "media").is_dir():
        shutil.copytree(snapshot / "media", settings.media_dir, dirs_exist_ok=True)
    done = [f"database restored from {snapshot.name}"]
    if key_values is not None:
        done.append(_restore_keys(settings, key_values))
    from aigrowth.prestart import migrate

    migrate(url)
    done.append("migrated to the current schema")
    return "; ".join(done)


def _restore_keys(settings: Settings, keys: dict[str, str]) -> str:
    """Write the keys where the app reads them when the environment does not set them."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    notes = []
    for name, filename in (("SECRET_KEY", "secret_key"), ("ENCRYPTION_KEY", "encryption_key")):
        if name not in keys:
            continue
        if os.environ.get(name):
            notes.append(f"{name} is set in the environment: set it to the backup's value there")
            continue
        path = settings.data_dir / filename
        if path.exists() and path.read_text().strip() != keys[name]:
            path.replace(path.with_name(f"{filename}.before-restore"))
        _write_private(path, keys[name] + "\n")
        notes.append(f"{filename} written")
    return ", ".join(notes)
