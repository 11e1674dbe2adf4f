"""True-to-platform preview: styled segments and the "…see more" fold."""

from __future__ import annotations

from aigrowth.content.preview import build_preview, fold, segments


def test_segments_style_links_hashtags_and_mentions():
    segs = segments("Hi @ada, see https://example.com/a. #launch", "x")
    kinds = [(s["kind"], s["text"]) for s in segs]
    assert ("mention", "@ada") in kinds
    assert ("link", "example.com/a") in kinds  # X shows the URL without the scheme
    assert ("tag", "#launch") in kinds
    assert ("text", ".") in kinds  # trailing punctuation is not part of the link
    assert "".join(s["text"] for s in segments("plain text", "x")) == "plain text"


def test_linkedin_shows_the_full_url():
    assert segments("https://example.com/a", "linkedin")[0]["text"] == "https://example.com/a"


def test_linkedin_folds_after_three_lines_or_210_chars():
    text = "one\ntwo\nthree\nfour"
    shown, folded = fold(text, "linkedin")
    assert folded and shown == "one\ntwo\nthree"
    long = "word " * 100
    shown, folded = fold(long, "linkedin")
    assert folded and len(shown) <= 210 and not shown.endswith(" ")
    assert fold("short", "linkedin") == ("short", False)


def test_x_never_folds_and_expanded_shows_everything():
    assert fold("a\nb\nc\nd\ne\nf", "x") == ("a\nb\nc\nd\ne\nf", False)
    lines, folded = build_preview("instagram", "a\nb\nc", [], expanded=True)
    assert not folded and len(lines) == 3


def test_preview_keeps_blank_lines_and_adds_hashtags():
    lines, folded = build_preview("x", "Hello\n\nWorld", ["growth"])
    assert not folded
    assert ["".join(s["text"] for s in line) for line in lines] == [
        "Hello",
        "\u00a0",
        "World",
        "\u00a0",
        "#growth",
    ]
