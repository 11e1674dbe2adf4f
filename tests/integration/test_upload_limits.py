"""Request size limits (issue 15 #13): the upload endpoint used to take any body.

The backend app exactly as Reflex receives it (`build_api()`, with Reflex's own app
mounted inside: here a stand-in that parses the multipart form the way Reflex's upload
endpoint does) must refuse an oversized body while it streams in, and the editor's
upload handler reads each file with a cap.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from reflex_base import constants
from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, Router
from starlette.testclient import TestClient

from aigrowth.content.routes import UPLOAD_MAX_REQUEST_BYTES, UPLOAD_PATH
from aigrowth.content.service import MEDIA_MAX_BYTES
from aigrowth.http.limits import DEFAULT_MAX_BODY_BYTES, read_capped
from aigrowth.http.routes import build_api
from aigrowth.settings import PROJECT_ROOT
from tests.asyncio_support import run_async
from tests.fakes.common import FakeServer

MB = 1024 * 1024


def _backend() -> tuple[TestClient, list[int]]:
    """build_api() with a stand-in for Reflex's upload endpoint mounted inside (as
    Reflex mounts its app); returns the client and the body sizes the endpoint saw."""
    seen: list[int] = []

    async def upload(request: Request) -> JSONResponse:
        form = await request.form(max_part_size=UPLOAD_MAX_REQUEST_BYTES)
        sizes = [len(await f.read()) for f in form.getlist("files")]
        seen.append(sum(sizes))
        return JSONResponse({"sizes": sizes})

    api = build_api()
    api.mount("", Router(routes=[Route(UPLOAD_PATH, upload, methods=["POST"])]))
    return TestClient(api, raise_server_exceptions=False), seen


def _multipart(total: int, boundary: str = "b0undary") -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        'filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    left = total
    while left > 0:
        n = min(MB, left)
        yield b"\0" * n
        left -= n
    yield f"\r\n--{boundary}--\r\n".encode()


HEADERS = {"content-type": "multipart/form-data; boundary=b0undary"}


def test_upload_path_is_reflexs_upload_endpoint():
    assert str(constants.Endpoint.UPLOAD) == UPLOAD_PATH


def test_an_oversized_streamed_upload_is_cut_off_at_the_limit():
    client, seen = _backend()
    body = _multipart(UPLOAD_MAX_REQUEST_BYTES + 5 * MB)  # chunked: no Content-Length
    resp = client.post(UPLOAD_PATH, content=body, headers=HEADERS)
    assert resp.status_code == 413
    assert "limit" in resp.text
    assert seen == []  # the endpoint never got a complete (oversized) form


def test_an_oversized_declared_length_is_refused_before_reading():
    client, seen = _backend()
    headers = {**HEADERS, "content-length": str(UPLOAD_MAX_REQUEST_BYTES + 1)}
    resp = client.post(UPLOAD_PATH, content=b"x" * 10, headers=headers)
    assert resp.status_code == 413 and seen == []
    # Everything else has a small limit.
    resp = client.post("/health", content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1))
    assert resp.status_code == 413


def test_a_normal_upload_goes_through():
    client, seen = _backend()
    resp = client.post(UPLOAD_PATH, content=_multipart(3 * MB), headers=HEADERS)
    assert resp.status_code == 200 and resp.json() == {"sizes": [3 * MB]}
    assert seen == [3 * MB]


def test_the_editor_reads_each_file_with_a_cap():
    def upload_file(size: int, declared: bool) -> UploadFile:
        buffer = io.BytesIO(b"\1" * size)
        return UploadFile(buffer, size=size if declared else None, headers=Headers())

    for declared in (True, False):
        big = upload_file(MEDIA_MAX_BYTES + 1, declared)
        assert run_async(read_capped(big, MEDIA_MAX_BYTES)) is None
        # Without a declared size it stops reading right after the limit.
        assert big.file.tell() <= MEDIA_MAX_BYTES + MB
        ok = upload_file(MEDIA_MAX_BYTES, declared)
        assert run_async(read_capped(ok, MEDIA_MAX_BYTES)) == b"\1" * MEDIA_MAX_BYTES


# ----------------------------------------------------- the reverse proxy in deploy/
class _Backend(FakeServer):
    """What Caddy proxies to: counts the body bytes it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[str, int]] = []

    def routes(self) -> list[Route]:
        async def take(request: Request) -> JSONResponse:
            body = await request.body()
            self.received.append((request.url.path, len(body)))
            return JSONResponse({"bytes": len(body)})

        return [Route("/{path:path}", take, methods=["POST"])]


@contextmanager
def _caddy(tmp_path: Path, backend: _Backend) -> Iterator[str]:
    """deploy/Caddyfile, served on a local port over http and proxying to `backend`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = (PROJECT_ROOT / "deploy" / "Caddyfile").read_text()
    assert "growth.example.com {" in config and "reverse_proxy 127.0.0.1:3000" in config
    config = config.replace("growth.example.com {", f"http://127.0.0.1:{port} {{")
    config = config.replace("127.0.0.1:3000", f"127.0.0.1:{backend.port}")
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text("{\n\tadmin off\n}\n" + config)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    proc = subprocess.Popen(
        ["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "caddy did not start"
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_caddy_config_enforces_the_same_limits(tmp_path):
    """The limits hold at the proxy too: no more than the limit ever reaches the app.
    (Caddy before 2.7 answers 502 instead of 413, caddyserver/caddy#5652, after passing
    on the body up to the limit; the app's own limit then sees a cut-off form.)"""
    refused = (413, 502)
    with _Backend() as backend, _caddy(tmp_path, backend) as url:
        small = httpx.post(f"{url}/_upload", content=b"\0" * (3 * MB), timeout=30)
        assert small.status_code == 200 and small.json() == {"bytes": 3 * MB}
        assert httpx.post(f"{url}/login", content=b"\0" * MB, timeout=30).status_code == 200
        too_big = httpx.post(f"{url}/login", content=b"\0" * (3 * MB), timeout=30)
        assert too_big.status_code in refused
        huge = httpx.post(
            f"{url}/_upload", content=b"\0" * (UPLOAD_MAX_REQUEST_BYTES + MB), timeout=60
        )
        assert huge.status_code in refused
    assert backend.received[:2] == [("/_upload", 3 * MB), ("/login", MB)]
    limits = {"/_upload": UPLOAD_MAX_REQUEST_BYTES, "/login": DEFAULT_MAX_BODY_BYTES}
    assert all(size <= limits[path] for path, size in backend.received)
