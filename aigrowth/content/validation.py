"""Whether a post as stored would be accepted by its platform.

Its own module so that publishing (which refuses to retry an invalid post) can use
it without importing the content service, which calls publishing.
"""

from __future__ import annotations

from PIL import Image
from sqlmodel import Session

from aigrowth.content.images import problems_for
from aigrowth.content.models import Content
from aigrowth.platforms import Problem, validate_post
from aigrowth.settings import get_settings
from aigrowth.social.models import SocialAccount


def post_problems(content: Content, *, session: Session) -> list[Problem]:
    instance_limit = None
    if content.platform == "mastodon" and content.social_account_id:
        account = session.get(SocialAccount, content.social_account_id)
        if account is not None:
            instance_limit = int_or_none((account.meta or {}).get("max_characters"))
    media = content.media or []
    problems = validate_post(
        content.platform,
        content.text,
        hashtags=content.hashtags or [],
        media_count=len(media),
        instance_limit=instance_limit,
        alt_texts_missing=sum(1 for m in media if not (m.get("alt") or "").strip()),
    )
    return problems + image_problems(content.platform, media)


def image_problems(platform: str, media: list[dict]) -> list[Problem]:
    """What the publisher's image fitting cannot fix (e.g. a ratio Instagram does not
    show), from each stored file's own header, so it shows before scheduling."""
    sizes = []
    for item in media:
        stored = str(item.get("stored_name") or "")
        if not stored:
            continue
        try:
            with Image.open(get_settings().media_dir / stored) as image:
                sizes.append({"width": image.width, "height": image.height})
        except (OSError, ValueError):
            continue  # a missing file is the upload's problem, reported there
    return [Problem("image_ratio", message) for message in problems_for(platform, sizes)]


def int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
