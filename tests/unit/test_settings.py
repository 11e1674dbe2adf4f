"""Settings: embedded defaults and secrets generated once into DATA_DIR."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from aigrowth.settings import get_settings, reset_settings_cache


@pytest.fixture
def fresh_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in ("SECRET_KEY", "ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL", "APP_URL",
                "OPENAI_API_KEY", "OPENROUTER_API_KEY", "LLM_BASE_URL", "API_URL"):  # fmt: skip
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    yield tmp_path / "data"
    reset_settings_cache()


def test_secrets_are_generated_once_private_and_reused(fresh_env: Path, caplog) -> None:
    first = get_settings()
    key_file = fresh_env / "encryption_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((fresh_env / "secret_key").stat().st_mode) == 0o600
    Fernet(first.encryption_keys[0])  # a valid Fernet key
    assert len(first.secret_key) >= 40
    assert "Generated" in caplog.text

    caplog.clear()
    reset_settings_cache()
    second = get_settings()
    assert (second.secret_key, second.encryption_key) == (first.secret_key, first.encryption_key)
    assert "Generated" not in caplog.text  # the log says so once, on creation only


def test_explicit_secrets_win_and_nothing_is_written(
    fresh_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("ENCRYPTION_KEY", f"{key}, {Fernet.generate_key().decode()}")
    monkeypatch.setenv("SECRET_KEY", "s" * 50)
    settings = get_settings()
    assert settings.encryption_keys[0] == key and len(settings.encryption_keys) == 2
    assert not (fresh_env / "encryption_key").exists()


def test_embedded_defaults(fresh_env: Path) -> None:
    settings = get_settings()
    assert settings.effective_database_url == f"sqlite:///{fresh_env / 'aigrowth.db'}"
    assert settings.redis_is_embedded
    # A unix socket inside DATA_DIR: can never clash with a system Redis on 6379.
    assert settings.effective_redis_url == f"unix://{fresh_env / 'redis' / 'redis.sock'}"
    assert settings.ai_offline and not settings.billing_enabled
    assert settings.app_url == "http://localhost:3000" and not settings.cookie_secure


def test_openrouter_key_selects_openrouter(
    fresh_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "or-key")
    settings = get_settings()
    assert not settings.ai_offline
    assert settings.effective_llm_base_url == "https://openrouter.ai/api/v1"
