"""The one home of platform facts: which platforms we publish to, what they are called,
their colours, their limits and how each one counts a post.

Adding a platform means one connector module (aigrowth/social/connectors/) plus its entry
here (PLATFORMS, Platform, PlatformName, PLATFORM_LABELS, PLATFORM_COLORS, PLATFORM_RULES).
This module imports nothing of the app: everything else imports it.

Every part of the product that checks a post (the editor's live counter, the AI layer's
validation before a draft is stored, the publisher's last check) calls these functions,
so a post that passes here is one the platform accepts. Facts: /work/shared/PLATFORMS.md.

Counting rules differ per platform:
- X: weighted length (twitter-text): URL = 23, emoji and CJK = 2, text NFC-normalised.
- Bluesky: grapheme clusters (≤300) and UTF-8 bytes (≤3000).
- Threads: characters, but an emoji counts as its UTF-8 byte length.
- Mastodon: grapheme clusters, any URL counts as 23, a remote mention counts only its
  local part (@user of @user@domain); limit 500 or the instance's own.
- LinkedIn, Instagram, Facebook: Unicode characters (code points, NFC).

Hashtags are stored apart from the text (``Content.hashtags``); :func:`compose_text` is
how they are joined into the text that is actually published, and every count and check
here measures that composed text.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import grapheme
import regex
from twitter_text import extract_urls_with_indices, parse_tweet

__all__ = [
    "PLATFORMS",
    "PLATFORM_COLORS",
    "PLATFORM_LABELS",
    "PLATFORM_RULES",
    "Platform",
    "PlatformName",
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
    "platform_label",
    "platform_limit",
    "utf8_length",
    "validate_post",
]


class Platform(enum.StrEnum):
    X = "x"
    LINKEDIN = "linkedin"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    THREADS = "threads"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"


# In the order the product lists them.
PLATFORMS: tuple[str, ...] = tuple(p.value for p in Platform)
# The same names as a type, for Pydantic schemas (checked against PLATFORMS below).
PlatformName = Literal["x", "linkedin", "facebook", "instagram", "threads", "bluesky", "mastodon"]
assert get_args(PlatformName) == PLATFORMS, "PlatformName must list PLATFORMS in order"

# How each platform is named to people (UI, notifications, error messages).
PLATFORM_LABELS: dict[str, str] = {
    Platform.X: "X",
    Platform.LINKEDIN: "LinkedIn",
    Platform.FACEBOOK: "Facebook",
    Platform.INSTAGRAM: "Instagram",
    Platform.THREADS: "Threads",
    Platform.BLUESKY: "Bluesky",
    Platform.MASTODON: "Mastodon",
}


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform.title())


# Radix colour scheme of each platform's badge.
PLATFORM_COLORS: dict[str, str] = {
    Platform.X: "gray",
    Platform.LINKEDIN: "blue",
    Platform.FACEBOOK: "indigo",
    Platform.INSTAGRAM: "pink",
    Platform.THREADS: "gray",
    Platform.BLUESKY: "sky",
    Platform.MASTODON: "purple",
}


@dataclass(frozen=True)
class PlatformRules:
    """Limits of one platform. ``None`` means the platform sets no such limit."""

    platform: str
    label: str
    limit: int
    unit: str  # what the counter counts, in the user's words
    max_bytes: int | None = None
    max_images: int | None = None
    max_hashtags: int | None = None
    max_mentions: int | None = None
    max_links: int | None = None
    image_required: bool = False
    # Characters shown in the feed before the platform folds the text behind "…see more".
    fold_at: int | None = None
    # Lines shown before folding (LinkedIn and Instagram fold on line count too).
    fold_lines: int | None = None


PLATFORM_RULES: dict[str, PlatformRules] = {
    "x": PlatformRules("x", "X", 280, "characters (weighted)", max_images=4),
    "bluesky": PlatformRules("bluesky", "Bluesky", 300, "graphemes", max_bytes=3000, max_images=4),
    "threads": PlatformRules("threads", "Threads", 500, "characters", max_links=5, max_images=20),
    "mastodon": PlatformRules("mastodon", "Mastodon", 500, "characters", max_images=4),
    "linkedin": PlatformRules(
        "linkedin", "LinkedIn", 3000, "characters", max_images=20, fold_at=210, fold_lines=3
    ),
    "instagram": PlatformRules(
        "instagram",
        "Instagram",
        2200,
        "characters",
        max_images=10,
        max_hashtags=30,
        max_mentions=20,
        image_required=True,
        fold_at=125,
        fold_lines=2,
    ),
    "facebook": PlatformRules(
        "facebook", "Facebook", 63206, "characters", max_images=10, fold_at=477, fold_lines=5
    ),
}

URL_WEIGHT = 23  # X and Mastodon count every link as 23 characters

# Hashtags: '#' not preceded by a word character, then letters/digits/underscore
# (any script), at least one of which is not a digit.
_HASHTAG_RE = regex.compile(r"(?<![\w#&/])#([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)")
# Mentions: @user, or @user@domain (fediverse).
_MENTION_RE = regex.compile(
    r"(?<![\w@/.])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?"
)
# Any @ a platform may turn into a mention: "@", full-width U+FF20 and small U+FE6B, not
# inside a word or an e-mail address (twitter-text's rule, widened to the fediverse's
# @user@instance and Bluesky's domain handles).
_ANY_MENTION_RE = regex.compile(
    r"(?<![A-Za-z0-9_])[@\uff20\ufe6b]([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)"
    r"(?:[@\uff20\ufe6b]([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+))?"
)
_SCHEME_URL_RE = regex.compile(r"(?<![\w@/])https?://[^\s<>\"']+", regex.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?)]}'\""
_EMOJI_RE = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}]")


@dataclass(frozen=True)
class Problem:
    """Something that stops (error) or weakens (warning) a post, in plain words."""

    code: str
    message: str
    severity: str = "error"  # "error" blocks scheduling; "warning" does not

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "severity": self.severity}


def _rules(platform: str) -> PlatformRules:
    try:
        return PLATFORM_RULES[platform]
    except KeyError:
        raise ValueError(f"Unknown platform {platform!r}") from None


def platform_limit(platform: str, *, instance_limit: int | None = None) -> int:
    """The length limit in the platform's own unit (Mastodon: the instance's when known)."""
    rules = _rules(platform)
    if platform == "mastodon" and instance_limit and instance_limit > 0:
        return int(instance_limit)
    return rules.limit


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def normalise_hashtag(tag: str) -> str:
    """'#Growth Tips ' -> 'GrowthTips'; returns '' when nothing usable is left."""
    tag = unicodedata.normalize("NFC", tag.strip().lstrip("#"))
    return "".join(ch for ch in tag if ch == "_" or ch.isalnum())


def extract_hashtags(text: str) -> list[str]:
    return [m.group(1) for m in _HASHTAG_RE.finditer(text)]


def extract_mentions(text: str) -> list[str]:
    return [m.group(0) for m in _MENTION_RE.finditer(text)]


@dataclass(frozen=True)
class Span:
    """A link or mention found in a text: ``text[start:end] == value``."""

    start: int
    end: int
    value: str


def find_links(text: str) -> list[Span]:
    """Links as the platforms auto-link them, with their positions.

    twitter-text's extractor is the reference: URLs with a scheme, and bare domains on
    any of the ~1,500 real top-level domains (``acme.marketing``, ``evil.top``), with
    trailing punctuation left out. A hand-written TLD list misses most of them.
    """
    return [
        Span(found["indices"][0], found["indices"][1], found["url"])
        for found in extract_urls_with_indices(text or "")
    ]


def find_mentions(text: str) -> list[Span]:
    """Every @handle (also full-width, ``.@handle``, ``@user@instance``) in ``text``;
    ``value`` is the handle normalised to a plain ``@``, lower case."""
    out = []
    for m in _ANY_MENTION_RE.finditer(text or ""):
        handle = "@" + m.group(1) + (f"@{m.group(2)}" if m.group(2) else "")
        out.append(Span(m.start(), m.end(), handle.lower()))
    return out


def extract_urls(text: str) -> list[str]:
    return [span.value for span in find_links(text)]


def compose_text(text: str, hashtags: Iterable[str] = ()) -> str:
    """The text as published: hashtags not already in the text go on a last line."""
    text = text.rstrip()
    present = {t.casefold() for t in extract_hashtags(text)}
    extra: list[str] = []
    for raw in hashtags:
        tag = normalise_hashtag(raw)
        if tag and tag.casefold() not in present:
            present.add(tag.casefold())
            extra.append("#" + tag)
    if not extra:
        return text
    return f"{text}\n\n{' '.join(extra)}" if text else " ".join(extra)


def _replace_scheme_urls(text: str, placeholder_len: int) -> str:
    """Mastodon counts only links with a scheme as 23; bare domains count as typed."""

    def sub(m: regex.Match[str]) -> str:
        raw = m.group(0)
        url = raw.rstrip(_TRAILING_PUNCT)
        return "x" * placeholder_len + str(raw[len(url) :])

    return str(_SCHEME_URL_RE.sub(sub, text))


def _threads_length(text: str) -> int:
    total = 0
    for cluster in grapheme.graphemes(text):
        if _EMOJI_RE.search(cluster):
            total += utf8_length(cluster)
        else:
            total += len(cluster)
    return total


def _mastodon_length(text: str) -> int:
    text = _replace_scheme_urls(text, URL_WEIGHT)
    # A remote mention counts only its local part.
    text = _MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    return int(grapheme.length(text))


def count_length(platform: str, text: str) -> int:
    """Length of ``text`` as ``platform`` counts it (compare with :func:`platform_limit`)."""
    _rules(platform)
    text = unicodedata.normalize("NFC", text or "")
    if platform == "x":
        return int(parse_tweet(text).weightedLength)
    if platform == "bluesky":
        return int(grapheme.length(text))
    if platform == "threads":
        return _threads_length(text)
    if platform == "mastodon":
        return _mastodon_length(text)
    return len(text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def validate_post(
    platform: str,
    text: str,
    *,
    hashtags: Sequence[str] = (),
    media_count: int = 0,
    instance_limit: int | None = None,
    alt_texts_missing: int = 0,
) -> list[Problem]:
    """Everything that would make ``platform`` refuse (or weaken) this post, in plain words.

    ``text`` is the body as edited; ``hashtags`` the separately stored tags, which are
    composed into the text before measuring. An empty list means the post is fine.
    """
    if platform not in PLATFORM_RULES:
        return [Problem("unknown_platform", f"“{platform}” is not a platform we publish to.")]
    rules = PLATFORM_RULES[platform]
    full = unicodedata.normalize("NFC", compose_text(text or "", hashtags))
    problems: list[Problem] = []

    if not full.strip():
        problems.append(Problem("empty", "The post has no text yet."))

    limit = platform_limit(platform, instance_limit=instance_limit)
    length = count_length(platform, full)
    if length > limit:
        over = length - limit
        problems.append(
            Problem(
                "too_long",
                f"Too long for {rules.label}: {length} of {limit} {rules.unit}, "
                f"{over} over. Shorten it by {_plural(over, 'character')}.",
            )
        )
    if rules.max_bytes is not None:
        size = utf8_length(full)
        if size > rules.max_bytes:
            problems.append(
                Problem(
                    "too_many_bytes",
                    f"Too long for {rules.label}: {size} of {rules.max_bytes} bytes "
                    f"({size - rules.max_bytes} over; emoji and accented letters use more).",
                )
            )

    tags, links = extract_hashtags(full), extract_urls(full)
    for code, noun, found, most in (
        ("too_many_hashtags", "hashtags", len(tags), rules.max_hashtags),
        ("too_many_mentions", "@mentions", len(extract_mentions(full)), rules.max_mentions),
        ("too_many_links", "links", len(links), rules.max_links),
    ):
        if most is not None and found > most:
            problems.append(
                Problem(
                    code,
                    f"{rules.label} allows at most {most} {noun}; this post has {found}. "
                    f"Remove {found - most}.",
                )
            )
    if rules.image_required and media_count < 1:
        problems.append(
            Problem(
                "image_required",
                f"{rules.label} posts need an image. Upload one and attach it to this post.",
            )
        )
    if rules.max_images is not None and media_count > rules.max_images:
        problems.append(
            Problem(
                "too_many_images",
                f"{rules.label} takes at most {_plural(rules.max_images, 'image')}; "
                f"{media_count} are attached. Detach {media_count - rules.max_images}.",
            )
        )
    if alt_texts_missing > 0:
        problems.append(
            Problem(
                "alt_text_missing",
                f"{_plural(alt_texts_missing, 'image')} without alt text: describe "
                "them so people using screen readers can follow.",
                "warning",
            )
        )
    if platform == "x" and links:
        problems.append(
            Problem(
                "x_link_cost",
                "Posts with a link cost more on X's pay-per-use API and often reach fewer people.",
                "warning",
            )
        )
    return problems


def blocking(problems: Iterable[Problem]) -> list[Problem]:
    """Only the problems that stop scheduling (errors, not warnings)."""
    return [p for p in problems if p.severity == "error"]
