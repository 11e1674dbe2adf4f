"""Images of the content studio: checked uploads under DATA_DIR/media, the business's
media library, attaching/detaching images to a post and their alt text."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from aigrowth.content import images
from aigrowth.content.access import (
    CONTENT_TABLE,
    EDITABLE,
    C,
    ContentError,
    NotFound,
    get_owned,
    owned_business,
    owned_row,
    refuse_unless,
    status_values,
    write_if,
)
from aigrowth.content.models import Content, MediaAsset
from aigrowth.dbtypes import utcnow
from aigrowth.platforms import PLATFORM_RULES
from aigrowth.settings import get_settings

# 8 MB: Instagram's JPEG limit, the strictest platform we publish images to.
MEDIA_MAX_BYTES = 8 * 1024 * 1024
ALLOWED_IMAGE_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}


class MediaItem(TypedDict):
    """One image of the business's media library, as the editor lists it."""

    id: str
    url: str
    alt: str
    name: str


def media_url(stored_name: str) -> str:
    return f"{get_settings().effective_api_url}/media/{stored_name}"


def save_upload(
    business_id: uuid.UUID | str,
    filename: str,
    data: bytes,
    *,
    user_id: uuid.UUID,
    session: Session,
    max_bytes: int | None = None,
) -> MediaAsset:
    """Check and store an uploaded image under DATA_DIR/media; returns the asset row."""
    business = owned_business(business_id, user_id=user_id, session=session)
    settings = get_settings()
    limit = max_bytes or MEDIA_MAX_BYTES
    if not data:
        raise ContentError("That file is empty.")
    if len(data) > limit:
        raise ContentError(
            f"That image is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{limit / 1_048_576:.0f} MB. Make it smaller and try again."
        )
    try:  # the real format and size; upright; no EXIF/GPS kept, even at rest
        picture = images.clean(data)
    except images.ImageError as exc:
        raise ContentError(str(exc)) from exc
    stored = f"{secrets.token_hex(16)}.{ALLOWED_IMAGE_TYPES[picture.mime]}"
    media_dir = Path(settings.media_dir)
    media_dir.mkdir(parents=True, exist_ok=True)
    tmp = media_dir / (stored + ".part")
    tmp.write_bytes(picture.data)
    tmp.replace(media_dir / stored)
    asset = MediaAsset(
        business_id=business.id,
        filename=Path(filename or "image").name[:255],
        stored_name=stored,
        content_type=picture.mime,
        size_bytes=len(picture.data),
        width=picture.width,
        height=picture.height,
    )
    session.add(asset)
    session.commit()
    return asset


def _owned_asset(media_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session) -> MediaAsset:
    return owned_row(MediaAsset, media_id, user_id=user_id, session=session, what="image")


def list_media(
    business_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session, limit: int = 24
) -> list[MediaItem]:
    business = owned_business(business_id, user_id=user_id, session=session)
    assets = session.exec(
        select(MediaAsset)
        .where(MediaAsset.business_id == business.id)
        .order_by(col(MediaAsset.created_at).desc())
        .limit(limit)
    ).all()
    return [
        MediaItem(id=str(a.id), url=media_url(a.stored_name), alt=a.alt_text, name=a.filename)
        for a in assets
    ]


def attach_media(
    content_id: uuid.UUID | str, media_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> Content:
    content = get_owned(content_id, user_id=user_id, session=session)
    refuse_unless(content, EDITABLE, "change the images of")
    asset = _owned_asset(media_id, user_id=user_id, session=session)
    if asset.business_id != content.business_id:
        raise NotFound("That image was not found.")
    media = [dict(m) for m in content.media or []]
    if any(m.get("media_id") == str(asset.id) for m in media):
        raise ContentError("That image is already attached.")
    rules = PLATFORM_RULES.get(content.platform)
    if rules and rules.max_images is not None and len(media) >= rules.max_images:
        raise ContentError(
            f"{rules.label} takes at most {rules.max_images} images; detach one first."
        )
    media.append(
        {
            "media_id": str(asset.id),
            "url": media_url(asset.stored_name),
            "alt": asset.alt_text,
            "stored_name": asset.stored_name,
            "content_type": asset.content_type,
        }
    )
    return write_if(content, EDITABLE, "change the images of", session=session, media=media)


def detach_media(
    content_id: uuid.UUID | str, media_id: str, *, user_id: uuid.UUID, session: Session
) -> Content:
    content = get_owned(content_id, user_id=user_id, session=session)
    refuse_unless(content, EDITABLE, "change the images of")
    media = [dict(m) for m in content.media or [] if m.get("media_id") != str(media_id)]
    if len(media) == len(content.media or []):
        raise NotFound("That image is not attached to this post.")
    return write_if(content, EDITABLE, "change the images of", session=session, media=media)


def set_alt_text(
    media_id: uuid.UUID | str,
    alt: str,
    *,
    user_id: uuid.UUID,
    session: Session,
    content_id: uuid.UUID | str | None = None,
) -> MediaAsset:
    asset = _owned_asset(media_id, user_id=user_id, session=session)
    alt = alt.strip()
    if len(alt) > 1500:
        raise ContentError("Alt text is limited to 1500 characters.")
    asset.alt_text = alt
    session.add(asset)
    if content_id is not None:
        content = get_owned(content_id, user_id=user_id, session=session)
        if content.status in EDITABLE:
            media = [
                {**m, "alt": alt} if m.get("media_id") == str(asset.id) else dict(m)
                for m in content.media or []
            ]
            # The post's copy changes only while it is editable (a post claimed by the
            # publisher meanwhile keeps what it is being published with).
            session.execute(
                sa.update(CONTENT_TABLE)
                .where(C.id == content.id, C.status.in_(status_values(EDITABLE)))
                .values(media=media, updated_at=utcnow())
            )
            session.expire(content)
    session.commit()
    return asset
