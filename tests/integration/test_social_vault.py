"""Token vault: round trip, owner binding, wrong key → needs_reconnect, rotate-keys."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from aigrowth.__main__ import main as cli_main
from aigrowth.social import service, vault
from aigrowth.social.connectors.base import ConnectedAccount, ReconnectRequired, TokenSet
from aigrowth.social.models import AccountStatus, SocialAccount
from tests.fakes.social_support import make_user, set_env


def store(session, user_id, token="secret-access-token", ext_id="42") -> SocialAccount:
    return service._store_account(
        "mastodon",
        user_id,
        ConnectedAccount(
            account_id=ext_id,
            handle="me@example.social",
            display_name="Me",
            instance_url="https://example.social",
            tokens=TokenSet(access_token=token, refresh_token="secret-refresh-token"),
        ),
        session=session,
    )


def test_round_trip_and_owner_binding(app_env, monkeypatch):
    set_env(monkeypatch, ENCRYPTION_KEY=Fernet.generate_key().decode())
    owner = uuid.uuid4()
    blob = vault.encrypt(owner, "tok")
    assert "tok" not in blob
    assert vault.decrypt(owner, blob) == "tok"
    with pytest.raises(vault.VaultError):
        vault.decrypt(uuid.uuid4(), blob)  # copied onto another row
    with pytest.raises(vault.VaultError):
        vault.decrypt(owner, blob[:-4] + "AAAA")
    with pytest.raises(vault.VaultError):
        vault.decrypt(owner, None)


def test_wrong_key_marks_needs_reconnect_without_crashing(app_env, monkeypatch, session):
    set_env(monkeypatch, ENCRYPTION_KEY=Fernet.generate_key().decode())
    user, _ = make_user(session)
    account = store(session, user.id)
    set_env(monkeypatch, ENCRYPTION_KEY=Fernet.generate_key().decode())  # key lost
    with pytest.raises(ReconnectRequired):
        service.ensure_fresh_token(account.id, session=session)
    row = session.get(SocialAccount, account.id, populate_existing=True)
    assert row.status == AccountStatus.NEEDS_RECONNECT
    assert "decrypted" in row.last_error
    views = service.list_accounts(user.id, session=session)
    assert views[0].health == "needs_reconnect"
    # Disconnect still works (nothing to revoke with, tokens deleted).
    assert service.disconnect(account.id, user_id=user.id, session=session) is False


def test_rotate_keys_cli(app_env, monkeypatch, session, capsys):
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    set_env(monkeypatch, ENCRYPTION_KEY=old)
    user, _ = make_user(session)
    for i in range(3):
        store(session, user.id, token=f"tok-{i}", ext_id=str(i))
    set_env(monkeypatch, ENCRYPTION_KEY=f"{new},{old}")
    assert cli_main(["rotate-keys"]) == 0
    assert "rotated 3" in capsys.readouterr().out
    set_env(monkeypatch, ENCRYPTION_KEY=new)  # old key removed: every row still readable
    session.expire_all()
    rows = session.exec(select(SocialAccount)).all()
    assert sorted(service.account_ref(r.id, session=session).access_token for r in rows) == [
        "tok-0",
        "tok-1",
        "tok-2",
    ]
    # A row under a key nobody has is reported, marked, and the command exits non-zero.
    bad = rows[0]
    bad.access_token_enc = Fernet(Fernet.generate_key()).encrypt(b'{"a":"x","t":"y"}').decode()
    session.add(bad)
    session.commit()
    assert cli_main(["rotate-keys"]) == 1
    assert "2 secret row(s); 1 could not" in capsys.readouterr().out
    session.expire_all()
    assert session.get(SocialAccount, bad.id).status == AccountStatus.NEEDS_RECONNECT


def test_the_database_holds_no_plaintext_token(app_env, session, engine):
    """Whoever copies the database (file or dump) gets no usable token."""
    user, _token = make_user(session)
    access = "at-" + uuid.uuid4().hex
    refresh = "rt-" + uuid.uuid4().hex
    store(session, user.id, token=access)
    account = session.exec(select(SocialAccount)).one()
    account.refresh_token_enc = vault.encrypt(account.id, refresh)
    session.commit()
    if engine.dialect.name == "sqlite":
        # The database file and its write-ahead log, byte for byte.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        path = Path(engine.url.database)
        files = [path, path.with_name(path.name + "-wal")]
        raw = b"".join(f.read_bytes() for f in files if f.exists())
        assert raw and access.encode() not in raw and refresh.encode() not in raw
    else:
        with engine.connect() as conn:
            dump = str(conn.exec_driver_sql("SELECT * FROM social_accounts").fetchall())
        assert access not in dump and refresh not in dump
    row = session.exec(select(SocialAccount)).one()
    assert vault.decrypt(row.id, row.access_token_enc) == access
