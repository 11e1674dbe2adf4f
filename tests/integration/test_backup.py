"""Backups: snapshot while the app's data is live, wipe everything (database, keys,
media), restore from the snapshot and the keys file, and the data and the connected
account work again: the stored tokens decrypt and a post goes out through the platform.
Also prestart: waits for the database, migrates, and is safe to run twice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from aigrowth.accounts.models import User
from aigrowth.content.models import ContentStatus
from aigrowth.db import get_engine, reset_engine_cache
from aigrowth.publishing import service
from aigrowth.settings import PROJECT_ROOT, get_settings, reset_settings_cache
from aigrowth.social import vault
from aigrowth.social.models import SocialAccount
from tests.fakes.x import XFake
from tests.integration.publish_support import (
    make_posts,
    make_user,
    make_x_account,
    point_x_at,
    statuses,
)
from tests.integration.test_publish import _work


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aigrowth", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _empty_database() -> sa.Engine:
    """No table at all (the test fixture made them without Alembic)."""
    engine = get_engine()
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    return engine


def _wipe(data_dir: Path) -> None:
    """Everything the install had: the database (SQLite file or PostgreSQL tables), the
    generated keys and the media."""
    _empty_database().dispose()
    reset_engine_cache()
    shutil.rmtree(data_dir)
    reset_settings_cache()


def test_backup_wipe_restore_gives_back_data_and_working_accounts(app_env, tmp_path, monkeypatch):
    env = {**app_env}
    _empty_database()
    done = _cli("prestart", "--timeout", "10", env=env)  # migrated, as an install is
    assert done.returncode == 0, done.stderr
    with XFake() as fake:
        point_x_at(monkeypatch, fake)
        user, biz = make_user("keep@example.com")
        account = make_x_account(user, biz, fake)
        token = vault.decrypt(account.id, account.access_token_enc)
        media = get_settings().media_dir
        media.mkdir(parents=True, exist_ok=True)
        (media / "logo.png").write_bytes(b"\x89PNG fake image")
        encryption_key = get_settings().encryption_key

        backups = tmp_path / "backups"
        done = _cli("backup", str(backups), env=env)
        assert done.returncode == 0, done.stderr
        assert "WARNING" in done.stderr and "keys file" in done.stderr
        (snapshot,) = [p for p in backups.iterdir() if p.is_dir()]
        (keys_file,) = list(backups.glob("*.keys.env"))
        assert keys_file.parent != snapshot  # apart from the snapshot
        assert oct(keys_file.stat().st_mode & 0o777) == "0o600"
        assert encryption_key in keys_file.read_text()
        assert not any(
            encryption_key in p.read_bytes().decode("latin-1")
            for p in snapshot.rglob("*")
            if p.is_file()
        )

        _wipe(Path(app_env["DATA_DIR"]))
        assert not Path(app_env["DATA_DIR"]).exists()

        # A restore that names a wrong file changes nothing and says why.
        bad = _cli("restore", str(tmp_path), env=env)
        assert bad.returncode == 1 and "not a backup" in bad.stderr

        done = _cli("restore", str(snapshot), "--keys", str(keys_file), env=env)
        assert done.returncode == 0, done.stderr
        reset_settings_cache()
        reset_engine_cache()
        assert get_settings().encryption_key == encryption_key
        assert (get_settings().media_dir / "logo.png").read_bytes() == b"\x89PNG fake image"
        with Session(get_engine()) as s:
            assert s.exec(select(User).where(User.email == "keep@example.com")).one()
            restored = s.get(SocialAccount, account.id)
            assert restored is not None
            assert vault.decrypt(restored.id, restored.access_token_enc) == token

        # The restored account publishes: its token is the one the platform issued.
        (post_id,) = make_posts(biz, restored, 1)
        service.dispatch_due()
        _work()
        assert statuses([post_id])[post_id].status == ContentStatus.PUBLISHED
        assert len(fake.creates) == 1


def test_restore_refuses_a_backup_of_another_database_kind(app_env, tmp_path) -> None:
    snapshot = tmp_path / "aigrowth-x"
    snapshot.mkdir()
    kind = "postgresql" if get_engine().dialect.name == "sqlite" else "sqlite"
    (snapshot / "manifest.json").write_text(json.dumps({"database": kind}))
    done = _cli("restore", str(snapshot), env=app_env)
    assert done.returncode == 1
    assert f"backup is of a {kind} database" in done.stderr


def test_prestart_waits_then_fails_clearly_without_a_database(app_env) -> None:
    env = {**app_env, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    done = _cli("prestart", "--timeout", "1", env=env)
    assert done.returncode == 1
    assert "the database not reachable after 1 s" in done.stderr
    assert "Traceback" not in done.stderr


def test_prestart_migrates_and_is_idempotent(app_env) -> None:
    engine = _empty_database()
    for _ in range(2):
        done = _cli("prestart", "--timeout", "10", env=app_env)
        assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 0
