"""Prompt safety: untrusted business text in, only the user's own links and handles out.

Business text is data. It travels in a delimited block the model is told never to obey,
and whatever comes back is filtered: a URL or @handle that the founder did not type
themselves (website, description, audience, goals...) is removed, so a hostile profile
or a confused model cannot make us publish someone else's link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

URL_RE = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+|\b(?:[a-z0-9-]+\.)+(?:com|io|ai|co|net|org|"
    r"app|dev|xyz|me|info|biz|shop|store|link|ly|gg|tv|us|uk|de|fr|es|it|nl|eu|ca|au)"
    r"(?:/[^\s<>\"'()\[\]{}]*)?\b"
)
# @handle, optionally @user@instance (Mastodon); not the middle of an e-mail address.
HANDLE_RE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[\w.-]+\w)?")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def data_block(tag: str, data: Any) -> str:
    """Serialise untrusted data into a block it cannot break out of."""
    body = json.dumps(data, ensure_ascii=False, indent=1)
    # JSON strings cannot contain a raw "<" after this, so no closing tag can be forged.
    body = body.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<{tag}>\n{body}\n</{tag}>"


def _host(url: str) -> str:
    if not re.match(r"(?i)https?://", url):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


class OutputFilter:
    """Built from everything the user typed; cleans what the model wrote."""

    def __init__(self, user_texts: Iterable[str]) -> None:
        self.hosts: set[str] = set()
        self.handles: set[str] = set()
        for text in user_texts:
            if not text:
                continue
            for email in EMAIL_RE.findall(text):
                text = text.replace(email, " ")
            for url in URL_RE.findall(text):
                host = _host(url.rstrip(".,;:!?"))
                if host:
                    self.hosts.add(host)
            for handle in HANDLE_RE.findall(text):
                self.handles.add(handle.lower())

    def _url_ok(self, url: str) -> bool:
        host = _host(url)
        return bool(host) and any(host == h or host.endswith("." + h) for h in self.hosts)

    def clean(self, text: str) -> str:
        """Remove foreign URLs and @handles; keep the user's own."""

        def url_sub(match: re.Match[str]) -> str:
            url = match.group(0)
            stripped = url.rstrip(".,;:!?")
            tail = url[len(stripped) :]
            return url if self._url_ok(stripped) else tail

        def handle_sub(match: re.Match[str]) -> str:
            handle = match.group(0)
            return handle if handle.lower() in self.handles else ""

        emails: dict[str, str] = {}

        def hide_email(match: re.Match[str]) -> str:
            token = f"\x00{len(emails)}\x00"
            emails[token] = match.group(0)
            return token

        text = EMAIL_RE.sub(hide_email, text)
        text = URL_RE.sub(url_sub, text)
        text = HANDLE_RE.sub(handle_sub, text)
        for token, email in emails.items():
            host = email.split("@", 1)[1].lower()
            keep = any(host == h or host.endswith("." + h) for h in self.hosts)
            text = text.replace(token, email if keep else "")
        # Tidy the holes left behind.
        text = re.sub(r"[ \t]{2,}", " ", text)
        text = re.sub(r" +([.,;:!?])", r"\1", text)
        text = re.sub(r"\(\s*\)", "", text)
        return "\n".join(line.rstrip() for line in text.strip().splitlines())


def clean_hashtags(tags: Iterable[str], *, limit: int = 30) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        tag = re.sub(r"[^\w]", "", str(tag).strip().lstrip("#"))[:60]
        if tag and not tag.isdigit() and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return out[:limit]
