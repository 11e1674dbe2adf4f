"""Outgoing mail: SMTP when SMTP_URL is set, else a file in DATA_DIR/outbox/.

The outbox keeps the embedded install fully working (password resets, notifications)
and gives tests something real to read. Each mail is a real RFC 5322 message (`.eml`,
the exact bytes SMTP would carry), so a self-hoster can open it in any mail client or
read it with `less`: the body is 8-bit text, never quoted-printable, so links in it are
never wrapped.
"""

from __future__ import annotations

import email
import email.policy
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
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


def _build(mail: OutgoingMail, sender: str, *, readable: bool = False) -> EmailMessage:
    """The message; `readable` keeps the body unencoded (8-bit) for outbox files."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="aigrowth.local")
    if readable:
        message.set_content(mail.text, cte="8bit")
    else:
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
    """Write DATA_DIR/outbox/<UTC time>-<random>.eml (written whole, then renamed, so a
    reader never sees half a message)."""
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    message = _build(mail, sender, readable=True)
    tmp = outbox / f".{name}.tmp"
    tmp.write_bytes(message.as_bytes(policy=email.policy.SMTPUTF8))
    path = outbox / f"{name}.eml"
    tmp.replace(path)
    return path


def parse_eml(raw: bytes) -> dict[str, str]:
    """from/to/subject/date/text of one .eml file."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    text = part.get_content() if part is not None else ""
    text = text.replace("\r\n", "\n")  # files use CRLF (RFC 5322); callers want lines
    return {
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")),
        "date": str(message.get("Date", "")),
        "text": text,
    }


def send_mail(mail: OutgoingMail) -> None:
    settings = get_settings()
    if settings.smtp_url:
        _send_smtp(settings.smtp_url, _build(mail, settings.mail_from))
        log.info("Mail sent: %s", mail.subject)
    else:
        path = _write_outbox(settings.outbox_dir, mail, settings.mail_from)
        log.info("Mail written to %s: %s", path, mail.subject)


def read_outbox() -> list[dict[str, str]]:
    """Mails in the outbox, oldest first (tests and the admin page read them)."""
    outbox = get_settings().outbox_dir
    if not outbox.exists():
        return []
    return [parse_eml(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
