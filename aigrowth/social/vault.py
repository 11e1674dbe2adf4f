"""Token vault: MultiFernet over ENCRYPTION_KEY (comma-separated, first is primary).

The plaintext is JSON `{"a": <owner id>, "t": <secret>}`: a ciphertext copied onto
another row (or another user's account) fails the owner check instead of quietly
authenticating as someone else. Any failure (wrong or missing key, tampering, wrong
owner) raises `VaultError`; callers turn that into "needs reconnect", never a crash.
"""

from __future__ import annotations

import json
import logging
import uuid
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import Session, select

from aigrowth.settings import get_settings

log = logging.getLogger(__name__)


class VaultError(Exception):
    """A stored secret cannot be decrypted or does not belong to this row."""


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise VaultError("no ENCRYPTION_KEY configured")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise VaultError("ENCRYPTION_KEY is not a valid Fernet key") from exc


def _fernet() -> MultiFernet:
    return _fernet_for(tuple(get_settings().encryption_keys))


def encrypt(owner_id: uuid.UUID | str, secret: str) -> str:
    """Encrypt `secret` under the primary key, bound to `owner_id`."""
    payload = json.dumps({"a": str(owner_id), "t": secret}, separators=(",", ":"))
    return _fernet().encrypt(payload.encode()).decode("ascii")


def decrypt(owner_id: uuid.UUID | str, blob: str | None) -> str:
    """Decrypt and check the owner binding. Raises VaultError on any problem."""
    if not blob:
        raise VaultError("no token stored")
    try:
        raw = _fernet().decrypt(blob.encode("ascii"))
    except (InvalidToken, ValueError, TypeError) as exc:
        raise VaultError("token cannot be decrypted with the configured keys") from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise VaultError("token payload is corrupt") from exc
    if not isinstance(data, dict) or data.get("a") != str(owner_id) or "t" not in data:
        raise VaultError("token does not belong to this account")
    return str(data["t"])


def decrypt_optional(owner_id: uuid.UUID | str, blob: str | None) -> str | None:
    return decrypt(owner_id, blob) if blob else None


def _reencrypt(owner_id: uuid.UUID | str, blob: str | None) -> str | None:
    if not blob:
        return blob
    return encrypt(owner_id, decrypt(owner_id, blob))


def rotate_keys(*, session: Session) -> tuple[int, int]:
    """Re-encrypt every stored secret under the primary key → (rotated, failed).

    Rows that cannot be decrypted are marked needs_reconnect (their tokens are useless)
    and counted as failed; they are left otherwise untouched so an operator who
    forgot an old key can add it and run this again.
    """
    from aigrowth.social.models import AccountStatus, MastodonApp, SocialAccount

    rotated = failed = 0
    for account in session.exec(select(SocialAccount)).all():
        if not account.access_token_enc and not account.refresh_token_enc:
            continue
        try:
            access = _reencrypt(account.id, account.access_token_enc)
            refresh = _reencrypt(account.id, account.refresh_token_enc)
        except VaultError as exc:
            failed += 1
            account.status = AccountStatus.NEEDS_RECONNECT
            account.last_error = "Stored credentials could not be decrypted; please reconnect."
            log.warning("rotate-keys: account %s: %s", account.id, exc)
            session.add(account)
            continue
        account.access_token_enc = access
        account.refresh_token_enc = refresh
        session.add(account)
        rotated += 1
    for app in session.exec(select(MastodonApp)).all():
        try:
            app.client_secret_enc = _reencrypt(app.id, app.client_secret_enc) or ""
        except VaultError as exc:
            failed += 1
            log.warning("rotate-keys: mastodon app %s: %s", app.instance_url, exc)
            continue
        session.add(app)
        rotated += 1
    session.commit()
    return rotated, failed
