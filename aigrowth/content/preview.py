"""True-to-platform preview: the composed text split into styled segments, folded where
the platform folds long posts behind "…see more".

Pure functions returning plain dicts, so the editor's state stays small and the preview
is computed once per (debounced) change, not per keystroke.
"""

from __future__ import annotations

import regex

from aigrowth.platforms import PLATFORM_RULES, compose_text

_TOKEN_RE = regex.compile(
    r"(?P<link>https?://[^\s<>\"']+|www\.[^\s<>\"']+)"
    r"|(?P<tag>(?<![\w#&/])#[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)"
    r"|(?P<mention>(?<![\w@/.])@[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?)",
    regex.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\""


def _display_link(url: str, platform: str) -> str:
    """X and Mastodon shorten the shown URL; others show it as typed."""
    if platform in ("x", "mastodon", "bluesky"):
        shown = str(regex.sub(r"^https?://(www\.)?", "", url))
        return shown if len(shown) <= 30 else shown[:29] + "…"
    return url


def segments(line: str, platform: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    pos = 0
    for m in _TOKEN_RE.finditer(line):
        kind = m.lastgroup or "text"
        token = m.group(0)
        tail = ""
        if kind == "link":
            stripped = token.rstrip(_TRAILING)
            tail = token[len(stripped) :]
            token = stripped
        if m.start() > pos:
            out.append({"kind": "text", "text": line[pos : m.start()]})
        out.append(
            {"kind": kind, "text": _display_link(token, platform) if kind == "link" else token}
        )
        if tail:
            out.append({"kind": "text", "text": tail})
        pos = m.end()
    if pos < len(line):
        out.append({"kind": "text", "text": line[pos:]})
    return out


def fold(text: str, platform: str) -> tuple[str, bool]:
    """The part shown before "…see more" (by characters and by lines), and whether cut."""
    rules = PLATFORM_RULES.get(platform)
    if rules is None or rules.fold_at is None:
        return text, False
    lines = text.split("\n")
    cut = text
    if rules.fold_lines is not None and len(lines) > rules.fold_lines:
        cut = "\n".join(lines[: rules.fold_lines])
    if len(cut) > rules.fold_at:
        cut = cut[: rules.fold_at]
        space = cut.rfind(" ")
        if space > rules.fold_at * 0.6:
            cut = cut[:space]
    return (cut.rstrip(), True) if cut != text else (text, False)


def build_preview(
    platform: str, text: str, hashtags: list[str] | tuple[str, ...], *, expanded: bool = False
) -> tuple[list[list[dict[str, str]]], bool]:
    """Lines of segments to draw, and whether a "…see more" fold is shown."""
    full = compose_text(text or "", hashtags)
    shown, folded = (full, False) if expanded else fold(full, platform)
    # An empty line still takes a line's height in the preview (a non-breaking space).
    lines = [
        segments(line, platform) or [{"kind": "text", "text": "\u00a0"}]
        for line in shown.split("\n")
    ]
    return lines, folded
