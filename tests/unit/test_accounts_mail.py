"""The outbox (no SMTP_URL): real RFC 5322 .eml files a self-hoster can open."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from aigrowth.mail import OutgoingMail, read_outbox, send_mail
from aigrowth.settings import reset_settings_cache


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("SMTP_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MAIL_FROM", "Growth <no-reply@growth.example>")
    monkeypatch.setenv("SECRET_KEY", "s" * 50)
    reset_settings_cache()
    yield tmp_path / "data" / "outbox"
    reset_settings_cache()


def test_mail_without_smtp_is_an_eml_file_any_mail_reader_opens(
    outbox: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link = "http://localhost:3000/reset?token=" + "A" * 43 + "&and=a-long-tail-" + "x" * 60
    caplog.set_level("INFO")
    send_mail(OutgoingMail(to="zoë@example.com", subject="Réinitialiser", text=f"Hi Zoë\n{link}\n"))

    files = list(outbox.iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"
    raw = files[0].read_bytes()
    # The link is on one line, byte for byte: no quoted-printable soft breaks.
    assert link.encode() in raw
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["From"] == "Growth <no-reply@growth.example>"
    assert message["To"] == "zoë@example.com"
    assert message["Subject"] == "Réinitialiser"
    assert message["Date"] and message["Message-ID"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content().splitlines() == ["Hi Zoë", link]
    assert read_outbox()[0]["text"] == f"Hi Zoë\n{link}\n"
    assert str(files[0]) in caplog.text  # the log says where to find it
    assert "token=" not in caplog.text  # but never the secret inside


def test_read_outbox_returns_mails_oldest_first(outbox: Path) -> None:
    assert read_outbox() == []
    for n in range(3):
        send_mail(OutgoingMail(to=f"u{n}@example.com", subject=f"Mail {n}", text=f"body {n}"))
    (outbox / "notes.txt").write_text("not a mail")
    mails = read_outbox()
    assert [m["subject"] for m in mails] == ["Mail 0", "Mail 1", "Mail 2"]
    assert mails[1]["to"] == "u1@example.com"
    assert mails[1]["from"] == "Growth <no-reply@growth.example>"
    assert mails[1]["text"].strip() == "body 1"
