"""Moved to aigrowth/platforms.py (the one home of platform facts); these names stay
importable here for code written against the old place."""

from __future__ import annotations

from aigrowth.platforms import (
    PLATFORM_RULES,
    URL_WEIGHT,
    PlatformRules,
    Problem,
    Span,
    blocking,
    compose_text,
    count_length,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    find_links,
    find_mentions,
    normalise_hashtag,
    platform_limit,
    utf8_length,
    validate_post,
)

__all__ = [
    "PLATFORM_RULES",
    "URL_WEIGHT",
    "PlatformRules",
    "Problem",
    "Span",
    "blocking",
    "compose_text",
    "count_length",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "find_links",
    "find_mentions",
    "normalise_hashtag",
    "platform_limit",
    "utf8_length",
    "validate_post",
]
