"""The image pipeline: what an upload really is, without what it must not carry, and a
copy each platform accepts.

- `clean` reads the real format and size with Pillow (never trusting the name or the
  first bytes), applies the EXIF orientation to the pixels and re-encodes without EXIF,
  GPS, XMP or text chunks, so a photo's position is never published. Animated GIFs are
  kept as they are (they carry no EXIF).
- `fit_for` makes a copy within one platform's limits (format, bytes, pixels, aspect
  ratio): converts, downsizes and recompresses where that keeps the picture; refuses
  with a plain reason where it would not (an aspect ratio Instagram does not show).
- `problems_for` says, from the stored width/height/format alone, what `fit_for` could
  not fix, so the editor shows it before scheduling instead of failing at publish time.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MB = 1_000_000

# Pillow's format name -> MIME type.
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSION = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
# Refuse decompression bombs long before Pillow's own (much higher) warning.
MAX_UPLOAD_PIXELS = 50_000_000


@dataclass(frozen=True)
class ImageLimits:
    """What a platform accepts for one image (PLATFORMS.md and the platforms' docs)."""

    label: str
    max_bytes: int
    formats: frozenset[str]  # MIME types accepted as they are
    max_pixels: int = 36_000_000
    min_ratio: float | None = None  # width / height
    max_ratio: float | None = None


IMAGE_LIMITS: dict[str, ImageLimits] = {
    "x": ImageLimits(
        "X", 5 * MB, frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
    ),
    "bluesky": ImageLimits("Bluesky", 1 * MB, frozenset({"image/jpeg", "image/png", "image/webp"})),
    "instagram": ImageLimits(
        "Instagram", 8 * MB, frozenset({"image/jpeg"}), min_ratio=4 / 5, max_ratio=1.91
    ),
    "threads": ImageLimits("Threads", 8 * MB, frozenset({"image/jpeg", "image/png"})),
    "facebook": ImageLimits(
        "Facebook", 10 * MB, frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
    ),
    "linkedin": ImageLimits(
        "LinkedIn", 8 * MB, frozenset({"image/jpeg", "image/png", "image/gif"})
    ),
    "mastodon": ImageLimits(
        "Mastodon",
        16 * MB,
        frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
        max_pixels=16_777_216,
    ),
}


class ImageError(ValueError):
    """The file cannot be used; `str(exc)` is a plain-words reason for the user."""


@dataclass
class Picture:
    data: bytes
    mime: str
    width: int
    height: int
    changes: list[str] = field(default_factory=list)  # what was done, in plain words


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_UPLOAD_PIXELS:
            raise ImageError("That image is too large in pixels; resize it below 50 megapixels.")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageError(
            "That file is not an image we can publish. Upload a JPEG, PNG, GIF or WebP."
        ) from exc
    if image.format not in MIME:
        raise ImageError("Upload a JPEG, PNG, GIF or WebP image.")
    return image


def _encode(image: Image.Image, fmt: str, *, quality: int = 90) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = _flatten(image)
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=quality)
    else:
        image.save(out, fmt)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent pixels on white (JPEG has no alpha)."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def clean(data: bytes) -> Picture:
    """The upload without metadata, upright, in its own real format."""
    image = _open(data)
    fmt = str(image.format)
    if fmt == "GIF" and getattr(image, "is_animated", False):
        return Picture(data, MIME[fmt], image.width, image.height)
    upright = ImageOps.exif_transpose(image) or image
    keep = {k: v for k, v in upright.info.items() if k in ("icc_profile", "transparency")}
    upright.info = keep  # no EXIF, GPS, XMP, comments or text chunks; colours stay right
    out = io.BytesIO()
    options: dict[str, object] = dict(keep)
    if fmt == "JPEG":
        options.update(quality=95, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=95)
    upright.save(out, fmt, **options)
    pixels = upright
    return Picture(out.getvalue(), MIME[fmt], pixels.width, pixels.height)


def ratio_problem(platform: str, width: int, height: int) -> str | None:
    """An aspect ratio the platform does not show (we never crop without asking)."""
    limits = IMAGE_LIMITS.get(platform)
    if limits is None or not width or not height:
        return None
    ratio = width / height
    if limits.min_ratio is not None and ratio < limits.min_ratio - 0.005:
        return (
            f"{limits.label} shows images from 4:5 (portrait) to 1.91:1 (landscape); this "
            f"one is {width}x{height}. Crop it taller-than-wide to at most 4:5."
        )
    if limits.max_ratio is not None and ratio > limits.max_ratio + 0.005:
        return (
            f"{limits.label} shows images from 4:5 (portrait) to 1.91:1 (landscape); this "
            f"one is {width}x{height}. Crop it to at most 1.91:1."
        )
    return None


def problems_for(platform: str, images: list[dict[str, object]]) -> list[str]:
    """What no conversion can fix, from the stored size of each attached image."""
    out = []
    for image in images:
        width = _int(image.get("width"))
        height = _int(image.get("height"))
        problem = ratio_problem(platform, width, height)
        if problem:
            out.append(problem)
    return out


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def fit_for(platform: str, data: bytes, *, max_bytes: int | None = None) -> Picture:
    """A copy of a cleaned image that `platform` accepts, or ImageError with the reason.

    `max_bytes`: a tighter limit of the account's own server (Mastodon instances)."""
    limits = IMAGE_LIMITS[platform]
    cap = min(limits.max_bytes, max_bytes or limits.max_bytes)
    image = _open(data)
    fmt = str(image.format)
    mime = MIME[fmt]
    problem = ratio_problem(platform, image.width, image.height)
    if problem:
        raise ImageError(problem)
    changes: list[str] = []
    animated = fmt == "GIF" and getattr(image, "is_animated", False)
    if (
        mime in limits.formats
        and len(data) <= cap
        and image.width * image.height <= (limits.max_pixels)
    ):
        return Picture(data, mime, image.width, image.height)
    if animated:
        raise ImageError(
            f"{limits.label} does not take this animated GIF ({len(data) / MB:.1f} MB); "
            "use a smaller GIF or a video."
        )
    target = fmt if mime in limits.formats else "JPEG"
    if target != fmt:
        changes.append(f"converted to JPEG for {limits.label}")
    work = image
    if work.width * work.height > limits.max_pixels:
        scale = (limits.max_pixels / (work.width * work.height)) ** 0.5
        work = work.resize((int(work.width * scale), int(work.height * scale)), Image.LANCZOS)
        changes.append(f"resized to {work.width}x{work.height}")
    quality = 90
    encoded = _encode(work, target, quality=quality)
    while len(encoded) > cap:
        if target in ("JPEG", "WEBP") and quality > 60:
            quality -= 10
        else:
            if target == "PNG":  # lossless cannot shrink by quality: go JPEG
                target = "JPEG"
                changes.append(f"converted to JPEG for {limits.label}")
            work = work.resize(
                (max(1, int(work.width * 0.8)), max(1, int(work.height * 0.8))), Image.LANCZOS
            )
            quality = 85
        encoded = _encode(work, target, quality=quality)
    if len(encoded) < len(data) or target != fmt:
        changes.append(f"made {len(encoded) / MB:.2f} MB for {limits.label}")
    return Picture(encoded, MIME[target], work.width, work.height, changes)


def platform_copy(platform: str, source: Path, *, max_bytes: int | None = None) -> tuple[Path, str]:
    """The file to send to `platform` for `source`: cleaned of metadata whatever path
    the upload took, and within the platform's limits. Made once beside the source
    under a name derived from it (same shape as stored names, so it is served at
    /media/<name> for platforms that fetch by URL), then reused. Returns (path, MIME)."""
    if platform not in IMAGE_LIMITS:
        raise ImageError(f"Images cannot be published to {platform}.")
    key = f"{source.name}:{platform}:{max_bytes or ''}:v1"
    stem = hashlib.sha256(key.encode()).hexdigest()[:32]
    for mime, ext in EXTENSION.items():
        done = source.with_name(f"{stem}.{ext}")
        if done.is_file():
            return done, mime
    fitted = fit_for(platform, clean(source.read_bytes()).data, max_bytes=max_bytes)
    target = source.with_name(f"{stem}.{EXTENSION[fitted.mime]}")
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(fitted.data)
    partial.replace(target)
    return target, fitted.mime
