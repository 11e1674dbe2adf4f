"""Outgoing mail: SMTP when SMTP_URL is set, else a file in DATA_DIR/outbox/.

The outbox keeps the embedded install fully working (password resets, notifications)
and gives tests something real to read.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from aigrowth.dbtypes import utcnow
from aigrowth.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str


def _build(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.text)
    return message


def _send_smtp(url: str, message: EmailMessage) -> None:
    """SMTP_URL: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, context=context, timeout=20
        )
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=20)
    with client:
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _write_outbox(outbox: Path, mail: OutgoingMail, sender: str) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.json"
    payload = {"from": sender, "to": mail.to, "subject": mail.subject, "text": mail.text}
    path.write_text(json.dumps(payload, indent=2))
    return path


def send_mail(mail: OutgoingMail) -> None:
    settings = get_settings()
    if settings.smtp_url:
        _send_smtp(settings.smtp_url, _build(mail, settings.mail_from))
        log.info("Mail sent: %s", mail.subject)
    else:
        path = _write_outbox(settings.outbox_dir, mail, settings.mail_from)
        log.info("Mail written to outbox %s: %s", path.name, mail.subject)


def read_outbox() -> list[dict[str, str]]:
    """Mails in the outbox, oldest first (tests and the admin page read them)."""
    outbox = get_settings().outbox_dir
    if not outbox.exists():
        return []
    return [json.loads(p.read_text()) for p in sorted(outbox.glob("*.json"))]
