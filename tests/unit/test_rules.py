"""Platform counting rules and post validation (aigrowth.content.rules)."""

from __future__ import annotations

import pytest

from aigrowth.platforms import (
    PLATFORM_RULES,
    blocking,
    compose_text,
    count_length,
    extract_hashtags,
    extract_urls,
    platform_limit,
    validate_post,
)

URL = "https://example.com/a/very/long/path/that/is/much/longer/than/twenty/three"


def codes(problems) -> set[str]:
    return {p.code for p in problems}


# --- X: weighted length ---------------------------------------------------------------


def test_x_plain_ascii_counts_one_each():
    assert count_length("x", "hello world") == 11


def test_x_url_counts_23_whatever_its_length():
    assert count_length("x", URL) == 23
    assert count_length("x", "see " + URL) == 4 + 23
    assert count_length("x", "https://t.co") == 23


def test_x_emoji_and_cjk_count_two():
    assert count_length("x", "😀") == 2
    assert count_length("x", "日本語") == 6
    # ZWJ family emoji is one emoji for X: weight 2.
    assert count_length("x", "👨‍👩‍👧") == 2


def test_x_nfc_normalises_combining_marks():
    decomposed = "e\u0301"  # e + combining acute
    assert count_length("x", decomposed) == count_length("x", "é") == 1


def test_x_limit_boundary():
    assert platform_limit("x") == 280
    assert validate_post("x", "a" * 280) == []
    problems = validate_post("x", "a" * 279 + "😀")
    assert codes(problems) == {"too_long"}
    assert "281 of 280" in problems[0].message and "1 over" in problems[0].message


def test_x_link_warning_is_not_blocking():
    problems = validate_post("x", "read " + URL)
    assert codes(problems) == {"x_link_cost"}
    assert blocking(problems) == []


# --- Bluesky: graphemes and bytes -----------------------------------------------------


def test_bluesky_counts_grapheme_clusters():
    assert count_length("bluesky", "👨‍👩‍👧") == 1  # 5 code points, one grapheme
    assert count_length("bluesky", "🇩🇪") == 1  # flag: two regional indicators
    assert count_length("bluesky", "e\u0301") == 1
    assert count_length("bluesky", URL) == len(URL)  # links are not shortened


def test_bluesky_300_graphemes():
    assert validate_post("bluesky", "👍" * 300) == []
    assert codes(validate_post("bluesky", "a" * 301)) == {"too_long"}


def test_bluesky_3000_bytes_even_under_300_graphemes():
    # 290 family emoji: 290 graphemes but 18 bytes each.
    text = "👨‍👩‍👧" * 290
    problems = validate_post("bluesky", text)
    assert codes(problems) == {"too_many_bytes"}
    assert "bytes" in problems[0].message


def test_bluesky_at_most_four_images():
    assert "too_many_images" in codes(validate_post("bluesky", "hi", media_count=5))
    assert validate_post("bluesky", "hi", media_count=4) == []


# --- Threads: emoji by UTF-8 bytes ----------------------------------------------------


def test_threads_emoji_counts_its_utf8_bytes():
    assert count_length("threads", "hello") == 5
    assert count_length("threads", "😀") == 4
    assert count_length("threads", "hi 👍🏽") == 3 + 8  # thumbs up + skin tone
    assert count_length("threads", "é") == 1  # non-emoji: one per character


def test_threads_limit_with_emoji():
    assert validate_post("threads", "a" * 496 + "😀") == []
    assert codes(validate_post("threads", "a" * 497 + "😀")) == {"too_long"}


def test_threads_at_most_five_links():
    text = " ".join(f"https://example.com/{i}" for i in range(6))
    assert "too_many_links" in codes(validate_post("threads", text))
    text5 = " ".join(f"https://example.com/{i}" for i in range(5))
    assert "too_many_links" not in codes(validate_post("threads", text5))


# --- Mastodon -------------------------------------------------------------------------


def test_mastodon_url_23_and_remote_mentions_local_part():
    assert count_length("mastodon", URL) == 23
    assert count_length("mastodon", "@alice@example.social hi") == len("@alice hi")


def test_mastodon_instance_limit():
    assert platform_limit("mastodon") == 500
    assert platform_limit("mastodon", instance_limit=5000) == 5000
    text = "a" * 600
    assert codes(validate_post("mastodon", text)) == {"too_long"}
    assert validate_post("mastodon", text, instance_limit=1000) == []


# --- Others ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "limit"), [("linkedin", 3000), ("instagram", 2200), ("facebook", 63206)]
)
def test_character_limits(platform, limit):
    assert platform_limit(platform) == limit
    media = 1 if platform == "instagram" else 0
    assert validate_post(platform, "a" * limit, media_count=media) == []
    assert codes(validate_post(platform, "a" * (limit + 1), media_count=media)) == {"too_long"}


def test_instagram_needs_image_and_limits_hashtags_and_mentions():
    problems = validate_post("instagram", "Lovely day")
    assert codes(problems) == {"image_required"}
    assert "image" in problems[0].message
    tags = [f"tag{i}" for i in range(31)]
    assert "too_many_hashtags" in codes(
        validate_post("instagram", "hi", hashtags=tags, media_count=1)
    )
    assert validate_post("instagram", "hi", hashtags=tags[:30], media_count=1) == []
    mentions = " ".join(f"@user{i}" for i in range(21))
    assert "too_many_mentions" in codes(validate_post("instagram", mentions, media_count=1))


def test_x_at_most_four_images():
    assert "too_many_images" in codes(validate_post("x", "hi", media_count=5))


def test_empty_and_unknown_platform():
    assert codes(validate_post("x", "   ")) == {"empty"}
    assert codes(validate_post("myspace", "hi")) == {"unknown_platform"}
    with pytest.raises(ValueError):
        count_length("myspace", "hi")


def test_hashtags_are_composed_into_the_measured_text():
    assert compose_text("Hello", ["growth", "#SaaS"]) == "Hello\n\n#growth #SaaS"
    # Already in the text: not repeated (case-insensitive).
    assert compose_text("Hello #Growth", ["growth", "tips"]) == "Hello #Growth\n\n#tips"
    # 270 chars + "\n\n#growth" = 279; +" #more" = 285 > 280
    assert validate_post("x", "a" * 270, hashtags=["growth"]) == []
    assert "too_long" in codes(validate_post("x", "a" * 270, hashtags=["growth", "more"]))


def test_extract_hashtags_ignores_anchors_and_numbers():
    assert extract_hashtags("#one and #2024 and a#b and #größe") == ["one", "größe"]


def test_every_platform_has_rules():
    assert set(PLATFORM_RULES) == {
        "x",
        "linkedin",
        "facebook",
        "instagram",
        "threads",
        "bluesky",
        "mastodon",
    }


def test_threads_link_cap_counts_bare_domains_on_any_tld():
    """Issue 15 #9: a hand-written TLD list missed most domains, so the cap was exceeded."""
    links = ["acme.shop", "acme.marketing/offer", "evil.top", "shop.store", "a.studio", "b.xyz"]
    problems = validate_post("threads", "Links: " + " ".join(links))
    assert "too_many_links" in codes(problems)
    assert extract_urls("Read acme.marketing/offer. And https://例え.jp/x!") == [
        "acme.marketing/offer",
        "https://例え.jp/x",
    ]
    assert extract_urls("mail hi@acme.shop, not a link") == []
