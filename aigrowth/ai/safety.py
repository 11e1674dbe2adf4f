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

from aigrowth.platforms import Span, find_links, find_mentions

# Anything with a scheme, even where no platform would link it (an IP address, a
# single-label host, user:password@host): it never belongs in a post we did not get from
# the user, and twitter-text skips these.
SCHEME_URL_RE = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s<>\"']+")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_TRAILING = ".,;:!?)]}'\""


def _links(text: str) -> list[Span]:
    """twitter-text's links plus every scheme URL it skips, without overlaps."""
    spans = find_links(text)
    for m in SCHEME_URL_RE.finditer(text):
        value = m.group(0).rstrip(_TRAILING)
        if not any(s.start <= m.start() < s.end for s in spans):
            spans.append(Span(m.start(), m.start() + len(value), value))
    return sorted(spans, key=lambda s: s.start)


def _remove(text: str, spans: Iterable[Span]) -> str:
    for span in sorted(spans, key=lambda s: s.start, reverse=True):
        text = text[: span.start] + text[span.end :]
    return text


def data_block(tag: str, data: Any) -> str:
    """Serialise untrusted data into a block it cannot break out of."""
    body = json.dumps(data, ensure_ascii=False, indent=1)
    # JSON strings cannot contain a raw "<" after this, so no closing tag can be forged.
    body = body.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<{tag}>\n{body}\n</{tag}>"


def _host(url: str) -> str:
    """The whole host name of a link, lower case, without a leading "www."."""
    if "://" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".").removeprefix("www.")


class OutputFilter:
    """Built from everything the user typed; cleans what the model wrote.

    Links and mentions are found the way the platforms find them (twitter-text's
    extractor, full-width and small at-signs included), and compared whole: a link is
    the user's only when its host *is* one of the user's hosts or a subdomain of one
    (``acme.com.evil.top`` is not ``acme.com``), a handle only when it is exactly one
    the user typed.
    """

    def __init__(self, user_texts: Iterable[str]) -> None:
        self.hosts: set[str] = set()
        self.handles: set[str] = set()
        for text in user_texts:
            if not text:
                continue
            for email in EMAIL_RE.findall(text):
                text = text.replace(email, " ")
            for link in _links(text):
                host = _host(link.value)
                if host:
                    self.hosts.add(host)
            self.handles.update(span.value for span in find_mentions(text))

    def _host_ok(self, host: str) -> bool:
        return bool(host) and any(host == h or host.endswith("." + h) for h in self.hosts)

    def clean(self, text: str) -> str:
        """Remove foreign links, e-mail addresses and @handles; keep the user's own."""
        emails: dict[str, str] = {}

        def hide_email(match: re.Match[str]) -> str:
            token = f"\x00{len(emails)}\x00"
            emails[token] = match.group(0)
            return token

        text = EMAIL_RE.sub(hide_email, text)
        links = _links(text)
        foreign = [s for s in links if not self._host_ok(_host(s.value))]
        for mention in find_mentions(text):
            inside_link = any(s.start <= mention.start < s.end for s in links)
            if not inside_link and mention.value not in self.handles:
                foreign.append(mention)
        text = _remove(text, foreign)
        for token, email in emails.items():
            keep = self._host_ok(email.split("@", 1)[1].lower())
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
