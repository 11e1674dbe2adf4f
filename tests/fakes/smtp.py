"""A local SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

Real sockets on 127.0.0.1, one thread per connection, so `smtplib` runs its real
dialogue. No STARTTLS is offered, so `smtp://` URLs stay in plain text here.

    with SmtpFake() as smtp:
        smtp.url                 # "smtp://127.0.0.1:PORT"
        smtp.messages            # [(recipients, raw message bytes), ...]
        smtp.connections         # how many clients connected
"""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        fake = self.server.fake
        with fake.lock:
            fake.connections += 1
        self._say("220 fake-smtp ready")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self._say("250-fake-smtp\r\n250 8BITMIME" if verb == "EHLO" else "250 fake-smtp")
            elif verb == "MAIL":
                recipients = []
                self._say("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 End data with <CR><LF>.<CR><LF>")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                with fake.lock:
                    fake.messages.append((recipients, body))
                self._say("250 OK queued")
            elif verb in {"RSET", "NOOP"}:
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 Bye")
                return
            else:
                self._say("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: SmtpFake


class SmtpFake:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.connections = 0
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self._server.server_address[1]}"

    def parsed(self) -> list[dict[str, str]]:
        """to/subject/text of each message received."""
        out = []
        for _rcpt, raw in list(self.messages):
            message = message_from_bytes(raw, policy=policy.default)
            out.append(
                {
                    "to": str(message["To"]),
                    "subject": str(message["Subject"]),
                    "text": message.get_body(preferencelist=("plain",)).get_content(),
                }
            )
        return out

    def __enter__(self) -> SmtpFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
