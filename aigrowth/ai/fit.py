"""Validate drafts against the platform rules (aigrowth.content.rules) and repair them.

The rules module is the single source of truth for limits and counting; this file only
decides what to do about a problem. A missing image is not a text problem (the founder
adds one in the editor before scheduling), so drafts are judged on text, hashtags,
mentions and links only.
"""

from __future__ import annotations

from aigrowth import platforms as rules

# Problems that a text draft must not have when it is stored.
TEXT_PROBLEMS = {
    "empty",
    "too_long",
    "too_many_bytes",
    "too_many_hashtags",
    "too_many_mentions",
    "too_many_links",
}
# Content types each platform can publish.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "x": ("post", "thread"),
    "bluesky": ("post", "thread"),
    "threads": ("post", "thread"),
    "mastodon": ("post", "thread"),
    "linkedin": ("post", "article"),
    "facebook": ("post", "article"),
    "instagram": ("post",),
}


def text_problems(
    platform: str, text: str, hashtags: list[str], thread_parts: list[str] | None = None
) -> list[str]:
    """Plain-language problems that stop this draft from being stored."""
    found = [
        p.message
        for p in rules.validate_post(platform, text, hashtags=hashtags)
        if p.code in TEXT_PROBLEMS
    ]
    for number, part in enumerate(thread_parts or [], start=2):
        for p in rules.validate_post(platform, part):
            if p.code in TEXT_PROBLEMS:
                found.append(f"Thread part {number}: {p.message}")
    return found


def is_valid(platform: str, text: str, hashtags: list[str], parts: list[str] | None = None) -> bool:
    return not text_problems(platform, text, hashtags, parts)


def _fits(platform: str, text: str, hashtags: list[str]) -> bool:
    return not [
        p for p in rules.validate_post(platform, text, hashtags=hashtags) if p.code in TEXT_PROBLEMS
    ]


def _truncate(platform: str, text: str, hashtags: list[str]) -> str:
    """Longest prefix (cut at a word boundary, with an ellipsis) that fits."""
    if _fits(platform, text, hashtags):
        return text
    low, high = 0, len(text)
    while low < high:  # largest n such that text[:n] + "…" fits
        mid = (low + high + 1) // 2
        if _fits(platform, text[:mid].rstrip() + "…", hashtags):
            low = mid
        else:
            high = mid - 1
    cut = text[:low]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > low * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-\n") + "…"


def force_fit(
    platform: str, text: str, hashtags: list[str], parts: list[str] | None = None
) -> tuple[str, list[str], list[str]]:
    """Deterministic last resort: fewer hashtags, then a shorter text. Always valid."""
    text = text.strip()
    tags = [t for t in (rules.normalise_hashtag(h) for h in hashtags) if t]
    max_tags = rules.PLATFORM_RULES[platform].max_hashtags
    if max_tags is not None:
        tags = tags[:max_tags]
    while tags and not _fits(platform, text, tags):
        tags.pop()
    text = _truncate(platform, text, tags)
    fixed_parts = [_truncate(platform, p.strip(), []) for p in (parts or []) if p.strip()]
    return text, tags, fixed_parts
