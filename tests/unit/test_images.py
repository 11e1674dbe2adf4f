"""The image pipeline on real files made here (Pillow encodes them as cameras do)."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from aigrowth.content.images import IMAGE_LIMITS, ImageError, clean, fit_for, problems_for

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _jpeg_with_gps(size: tuple[int, int] = (400, 300), orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, "JPEG", exif=exif.tobytes(), comment=b"me")
    return out.getvalue()


def _noise_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG")
    return out.getvalue()


def test_a_jpeg_with_gps_comes_out_upright_and_without_any_metadata():
    data = _jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the input has a position
    cleaned = clean(data)
    image = Image.open(io.BytesIO(cleaned.data))
    assert cleaned.mime == "image/jpeg" and image.format == "JPEG"
    assert (cleaned.width, cleaned.height) == (300, 400) == image.size  # rotated as shot
    assert dict(image.getexif()) == {}
    assert b"48.0" not in cleaned.data and "comment" not in image.info
    assert b"GPS" not in cleaned.data and b"Exif" not in cleaned.data


def test_png_text_chunks_are_dropped_and_transparency_kept():
    info = PngInfo()
    info.add_text("Author", "Ada at 48.85N 2.29E")
    out = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 0, 0)).save(out, "PNG", pnginfo=info)
    cleaned = clean(out.getvalue())
    image = Image.open(io.BytesIO(cleaned.data))
    assert cleaned.mime == "image/png" and image.mode == "RGBA"
    assert b"Ada at" not in cleaned.data and not getattr(image, "text", {})


def test_a_3_mb_png_comes_out_under_1_mb_for_bluesky():
    data = _noise_png(1000, 1000)
    assert len(data) > 3_000_000
    fitted = fit_for("bluesky", clean(data).data)
    assert len(fitted.data) <= 1_000_000
    assert fitted.mime in IMAGE_LIMITS["bluesky"].formats
    assert Image.open(io.BytesIO(fitted.data)).format == "JPEG"
    assert any("Bluesky" in change for change in fitted.changes)


def test_instagram_gets_jpeg_and_a_ratio_it_shows():
    fitted = fit_for("instagram", clean(_noise_png(300, 300)).data)
    assert fitted.mime == "image/jpeg"
    with pytest.raises(ImageError, match=r"1\.91:1"):
        fit_for("instagram", clean(_noise_png(600, 200)).data)
    with pytest.raises(ImageError, match="4:5"):
        fit_for("instagram", clean(_noise_png(200, 600)).data)
    assert problems_for("instagram", [{"width": 600, "height": 200}])
    assert problems_for("x", [{"width": 600, "height": 200}]) == []


def test_an_image_already_within_limits_is_sent_as_it_is():
    data = clean(_jpeg_with_gps(orientation=1)).data
    fitted = fit_for("x", data)
    assert fitted.data == data and fitted.changes == []


def test_what_is_not_an_image_is_refused_with_a_plain_reason():
    with pytest.raises(ImageError, match="not an image"):
        clean(b"GIF89a" + b"\x00" * 40)
    with pytest.raises(ImageError, match="not an image"):
        clean(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
