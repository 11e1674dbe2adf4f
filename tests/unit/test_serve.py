"""The production launcher rebuilds the frontend exactly when its inputs changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigrowth import serve
from aigrowth.settings import reset_settings_cache


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "aigrowth" / "ui").mkdir(parents=True)
    (tmp_path / "aigrowth" / "ui" / "page.py").write_text("TITLE = 'Hello'\n")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.svg").write_text("<svg/>")
    (tmp_path / "rxconfig.py").write_text("config = None\n")
    monkeypatch.setattr(serve, "PROJECT_ROOT", tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_URL", "https://growth.example.com")
    monkeypatch.delenv("REFLEX_WEB_WORKDIR", raising=False)
    reset_settings_cache()
    yield tmp_path
    reset_settings_cache()


def test_fingerprint_follows_ui_sources_assets_and_baked_urls(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = serve.fingerprint()
    assert serve.fingerprint() == first  # stable
    (project / "aigrowth" / "ui" / "__pycache__").mkdir()
    (project / "aigrowth" / "ui" / "__pycache__" / "page.cpython-311.pyc").write_bytes(b"x")
    (project / "data").mkdir(exist_ok=True)
    assert serve.fingerprint() == first  # bytecode and data are not inputs

    (project / "aigrowth" / "ui" / "page.py").write_text("TITLE = 'Hi'\n")
    second = serve.fingerprint()
    assert second != first
    (project / "assets" / "logo.svg").write_text("<svg></svg>")
    third = serve.fingerprint()
    assert third != second
    monkeypatch.setenv("APP_URL", "https://other.example.com")
    reset_settings_cache()
    assert serve.fingerprint() != third  # the URL is baked into the bundle


def test_bundle_is_current_needs_the_stamp_and_the_build(project: Path) -> None:
    expected = serve.fingerprint()
    assert not serve.bundle_is_current(expected)  # never built
    web = project / ".web"
    (web / "build" / "client").mkdir(parents=True)
    assert not serve.bundle_is_current(expected)  # built, stamp missing (build cut off)
    (web / serve.STAMP).write_text(expected + "\n")
    assert serve.bundle_is_current(expected)
    assert not serve.bundle_is_current("another fingerprint")
