"""Public media URLs: GET /media/{stored_name}.

Instagram (and the other platforms' media fetchers) download images from a public URL,
so media are served without a session. Stored names are 128-bit random, so a URL cannot
be guessed; only names of that exact shape are served, from DATA_DIR/media only.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from aigrowth.content.media import MEDIA_MAX_BYTES
from aigrowth.settings import get_settings

# Image uploads go through Reflex's upload endpoint (EditorState.upload). One request
# carries at most UPLOAD_MAX_FILES images of MEDIA_MAX_BYTES each; the backend
# (aigrowth.http.limits) and deploy/Caddyfile refuse bigger request bodies.
UPLOAD_PATH = "/_upload"
UPLOAD_MAX_FILES = 10
UPLOAD_MAX_REQUEST_BYTES = UPLOAD_MAX_FILES * MEDIA_MAX_BYTES + 1024 * 1024  # + form framing

_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|gif|webp)$")
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


async def serve_media(request: Request) -> Response:
    name = request.path_params["stored_name"]
    match = _NAME.match(name)
    if not match:
        return PlainTextResponse("Not found", status_code=404)
    path = Path(get_settings().media_dir) / name
    if not path.is_file():
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(
        path,
        media_type=_TYPES[match.group(1)],
        headers={
            # The name never points to other bytes: cache for a year.
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES: list[BaseRoute] = [
    Route("/media/{stored_name}", serve_media, methods=["GET", "HEAD"]),
]
