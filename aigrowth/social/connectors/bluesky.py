"""Bluesky (AT Protocol): handle + app password, kept sessions, client-chosen rkeys.

- A session (access + refresh JWT) is created once at connect and then refreshed;
  createSession is rate limited, so we never log in per post.
- The record key (a TID) is chosen by us and saved (`ctx.remember`) before
  createRecord, so after an unknown outcome `getRecord` says for certain whether the
  post exists (the PDS answers 500 for an rkey that already exists).
- Links, mentions and hashtags are sent as facets with UTF-8 *byte* offsets; the server
  does not detect them. Mentions are resolved handle → DID.
- Metrics come from the AppView (BLUESKY_APPVIEW_URL): likes, reposts, replies, quotes;
  no impressions or clicks (None).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import regex
from twitter_text.regexp.valid_cctld import valid_cctld
from twitter_text.regexp.valid_gtld import valid_gtld

from aigrowth.platforms import PLATFORM_LABELS
from aigrowth.social.connectors.base import (
    AccountMetrics,
    AccountRef,
    AuthError,
    ConnectedAccount,
    Connector,
    ConnectRequest,
    Media,
    Metrics,
    PermanentError,
    PublishContext,
    PublishResult,
    ReconnectRequired,
    RetryableError,
    TokenSet,
    as_int,
    raise_for_response,
    send,
)

POST = "app.bsky.feed.post"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_tid_lock = threading.Lock()
_last_tid = 0

# The reference rich-text rules of @atproto/api (`detectFacets`, packages/api/src/
# rich-text), on str; offsets are converted to UTF-8 bytes afterwards. Any http(s) URL is
# a link whatever its top-level domain; only bare domains and handles must end in a real
# TLD (twitter-text's IANA list stands in for the `tlds` package).
_MENTION = regex.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)\b")
_URL = regex.compile(
    r"(?:^|(?<=[\s(]))(?:(?P<scheme>https?://\S+)|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    regex.IGNORECASE,
)
_TAG = regex.compile(
    r"(?:^|(?<=\s))[#\uff03]((?!\ufe0f)[^\s\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2]*[^\d\s\p{P}\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2]+[^\s\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2]*)?"
)
_TRAILING_PUNCT = regex.compile(r"\p{P}+$")


def is_valid_domain(domain: str) -> bool:
    """True when ``domain`` ends in a real top-level domain (@atproto's isValidDomain)."""
    if "." not in domain:
        return False
    tld = domain.rsplit(".", 1)[1].lower()
    return bool(valid_gtld.fullmatch(tld) or valid_cctld.fullmatch(tld))


def make_tid(now_us: int | None = None) -> str:
    """A record key TID: 53-bit microsecond timestamp + 10-bit clock id, base32-sortable.

    Strictly increasing within this process, so two posts scheduled in the same
    microsecond still get different keys.
    """
    global _last_tid
    with _tid_lock:
        us = now_us if now_us is not None else int(time.time() * 1_000_000)
        value = (us << 10) | secrets.randbelow(1024)
        if value <= _last_tid:
            value = _last_tid + 1
        _last_tid = value
    out = ""
    for _ in range(13):
        out = _TID_ALPHABET[value & 31] + out
        value >>= 5
    return out


def _byte_span(text: str, start: int, end: int) -> tuple[int, int]:
    b_start = len(text[:start].encode("utf-8"))
    return b_start, b_start + len(text[start:end].encode("utf-8"))


def _facet(text: str, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    b_start, b_end = _byte_span(text, start, end)
    return {"index": {"byteStart": b_start, "byteEnd": b_end}, "features": [feature]}


def detect_facets(text: str, resolve_handle: Any = None) -> list[dict[str, Any]]:
    """Rich-text facets for links, mentions (resolved to DIDs) and hashtags.

    Follows @atproto/api's ``detectFacets``: a link is any ``http(s)://`` run of
    non-space characters, or a bare domain with a real TLD (published as https://...);
    one trailing ``.,;:!?`` is trimmed, and a trailing ``)`` when the URL has no ``(``.
    ``resolve_handle(handle) -> did | None``; unresolvable mentions stay plain text.
    """
    facets: list[dict[str, Any]] = []
    for m in _MENTION.finditer(text):
        handle = m.group(1)
        if not is_valid_domain(handle) and not handle.endswith(".test"):
            continue  # probably not a handle
        did = resolve_handle(handle.lower()) if resolve_handle else None
        if did:
            link = {"$type": "app.bsky.richtext.facet#mention", "did": did}
            facets.append(_facet(text, m.start(), m.end(), link))
    for m in _URL.finditer(text):
        uri = m.group(0)
        if not m.group("scheme"):
            if not is_valid_domain(m.group("domain")):
                continue
            uri = "https://" + uri
        end = m.end()
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        link = {"$type": "app.bsky.richtext.facet#link", "uri": uri}
        facets.append(_facet(text, m.start(), end, link))
    for m in _TAG.finditer(text):
        tag = _TRAILING_PUNCT.sub("", (m.group(1) or "").strip())
        if not tag or len(tag) > 64:
            continue
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
        facets.append(_facet(text, m.start(), m.start(1) + len(tag), feature))
    facets.sort(key=lambda f: f["index"]["byteStart"])
    return facets


def jwt_expiry(token: str) -> datetime | None:
    """`exp` of a JWT (unverified: we only use it to refresh in time)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        exp = json.loads(base64.urlsafe_b64decode(payload)).get("exp")
    except (IndexError, ValueError):
        return None
    return datetime.fromtimestamp(int(exp), UTC) if exp else None


def _raise(resp: httpx.Response, *, commit: bool = False, what: str) -> None:
    """Bluesky answers 400 for token problems: classify those as auth errors."""
    if resp.status_code == 400:
        try:
            error = resp.json().get("error", "")
        except ValueError:
            error = ""
        if error in ("ExpiredToken", "InvalidToken"):
            raise AuthError(f"{what}: {error}", status=400, code=error)
    raise_for_response(resp, commit=commit, what=what)


class BlueskyConnector(Connector):
    platform = "bluesky"
    label = PLATFORM_LABELS[platform]
    auth_kind = "password"
    uses_pkce = False
    required_settings = ()
    register_url = "https://bsky.app/settings/app-passwords"
    user_servers = True  # the PDS is the user's choice

    @property
    def appview(self) -> str:
        return self.settings.bluesky_appview_url.rstrip("/")

    def _call(
        self,
        http: httpx.Client,
        method: str,
        nsid: str,
        *,
        token: str = "",
        commit: bool = False,
        what: str = "",
        **kwargs: Any,
    ) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        resp = send(
            http,
            method,
            f"/xrpc/{nsid}",
            commit=commit,
            check=False,
            what=what or f"Bluesky {nsid}",
            headers=headers,
            **kwargs,
        )
        _raise(resp, commit=commit, what=what or f"Bluesky {nsid}")
        return resp

    # ------------------------------------------------------------------ connect
    def _tokens(self, session: dict[str, Any]) -> TokenSet:
        return TokenSet(
            access_token=session["accessJwt"],
            refresh_token=session["refreshJwt"],
            expires_at=jwt_expiry(session["accessJwt"]),
            refresh_expires_at=jwt_expiry(session["refreshJwt"]),
            scopes="app-password",
        )

    def complete_connect(self, req: ConnectRequest, *, code: str = "") -> list[ConnectedAccount]:
        pds = req.instance_url.rstrip("/")
        with self.client(pds) as http:
            resp = self._call(
                http,
                "POST",
                "com.atproto.server.createSession",
                json={"identifier": req.handle, "password": req.app_password},
                what="Bluesky sign-in",
            )
        session = resp.json()
        did, handle = session["did"], session.get("handle", req.handle)
        display, avatar = handle, ""
        try:
            with self.client(self.appview) as http:
                profile = self._call(
                    http, "GET", "app.bsky.actor.getProfile", params={"actor": did}
                ).json()
            display = profile.get("displayName") or handle
            avatar = profile.get("avatar", "")
        except (RetryableError, PermanentError):
            pass  # the profile is cosmetic; the session is what matters
        return [
            ConnectedAccount(
                account_id=did,
                handle=handle,
                display_name=display,
                avatar_url=avatar,
                instance_url=pds,
                tokens=self._tokens(session),
                meta={"did": did},
            )
        ]

    def refresh(self, account: AccountRef) -> TokenSet:
        if not account.refresh_token:
            raise ReconnectRequired("no Bluesky session to refresh")
        with self.client(account.instance_url) as http:
            try:
                resp = self._call(
                    http,
                    "POST",
                    "com.atproto.server.refreshSession",
                    token=account.refresh_token,
                    what="Bluesky session refresh",
                )
            except AuthError as exc:
                raise ReconnectRequired(exc.message, status=exc.status, code=exc.code) from exc
        return self._tokens(resp.json())

    def revoke(self, account: AccountRef) -> bool:
        if not account.refresh_token:
            return False
        with self.client(account.instance_url) as http:
            self._call(
                http,
                "POST",
                "com.atproto.server.deleteSession",
                token=account.refresh_token,
                what="Bluesky sign-out",
            )
        return True

    # ------------------------------------------------------------------ posts
    def _resolver(self, http: httpx.Client) -> Any:
        cache: dict[str, str | None] = {}

        def resolve(handle: str) -> str | None:
            if handle not in cache:
                try:
                    resp = self._call(
                        http, "GET", "com.atproto.identity.resolveHandle", params={"handle": handle}
                    )
                    cache[handle] = resp.json().get("did")
                except PermanentError:
                    cache[handle] = None
            return cache[handle]

        return resolve

    def _upload(self, http: httpx.Client, ctx: PublishContext, media: Media) -> dict[str, Any]:
        if media.path:
            data = Path(media.path).read_bytes()
            name = media.path
        else:
            with self.client() as dl:
                data = send(dl, "GET", media.url, what="download media").content
            name = media.url
        mime = media.mime_type or mimetypes.guess_type(name)[0] or "image/jpeg"
        resp = self._call(
            http,
            "POST",
            "com.atproto.repo.uploadBlob",
            token=ctx.account.access_token,
            content=data,
            headers={"Content-Type": mime},
            what="Bluesky image upload",
        )
        return dict(resp.json()["blob"])

    def _parts(self, ctx: PublishContext) -> list[str]:
        return [ctx.full_text, *ctx.thread]

    def _url(self, ctx: PublishContext, rkey: str) -> str:
        who = ctx.account.handle or ctx.account.account_id
        return f"https://bsky.app/profile/{who}/post/{rkey}"

    def _result(
        self, ctx: PublishContext, posted: list[dict[str, str]], rkeys: list[str]
    ) -> PublishResult:
        return PublishResult(
            remote_id=posted[0]["uri"],
            url=self._url(ctx, rkeys[0]),
            extra={"cid": posted[0]["cid"], "thread": posted},
        )

    def publish(self, ctx: PublishContext) -> PublishResult:
        parts = self._parts(ctx)
        did = ctx.account.account_id
        rkeys: list[str] = list(ctx.publish_state.get("rkeys") or [])
        if ctx.publish_state.get("rkey") and not rkeys:
            rkeys = [ctx.publish_state["rkey"]]  # chosen at scheduling
        while len(rkeys) < len(parts):
            rkeys.append(make_tid())
        posted: list[dict[str, str]] = list(ctx.publish_state.get("bsky_posted") or [])
        # Keys are stored before any createRecord: after a crash, getRecord decides.
        if rkeys != ctx.publish_state.get("rkeys"):
            ctx.remember(rkeys=rkeys, rkey=rkeys[0])
        with self.client(ctx.account.instance_url) as http:
            images: list[dict[str, Any]] = list(ctx.publish_state.get("bsky_images") or [])
            if ctx.media and not images and not posted:
                for m in ctx.media:
                    images.append({"alt": m.alt or "", "image": self._upload(http, ctx, m)})
                ctx.remember(bsky_images=images)
            resolve = self._resolver(http)
            for index in range(len(posted), len(parts)):
                text = parts[index]
                record: dict[str, Any] = {
                    "$type": POST,
                    "text": text,
                    "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    "langs": ctx.langs or ["en"],
                }
                facets = detect_facets(text, resolve)
                if facets:
                    record["facets"] = facets
                if index == 0 and images:
                    record["embed"] = {"$type": "app.bsky.embed.images", "images": images}
                if index > 0:
                    record["reply"] = {"root": posted[0], "parent": posted[-1]}
                ctx.before_create()
                resp = self._call(
                    http,
                    "POST",
                    "com.atproto.repo.createRecord",
                    token=ctx.account.access_token,
                    commit=True,
                    json={"repo": did, "collection": POST, "rkey": rkeys[index], "record": record},
                    what="Bluesky post" if index == 0 else f"Bluesky thread part {index + 1}",
                )
                body = resp.json()
                posted.append({"uri": body["uri"], "cid": body["cid"]})
                ctx.remember(bsky_posted=posted)
        return self._result(ctx, posted, rkeys)

    def lookup(self, ctx: PublishContext) -> PublishResult | None:
        rkeys: list[str] = list(ctx.publish_state.get("rkeys") or [])
        if not rkeys and ctx.publish_state.get("rkey"):
            rkeys = [ctx.publish_state["rkey"]]
        if not rkeys:
            return None  # no key was ever chosen, so nothing was ever sent
        parts = self._parts(ctx)
        posted: list[dict[str, str]] = list(ctx.publish_state.get("bsky_posted") or [])
        with self.client(ctx.account.instance_url) as http:
            for index in range(len(posted), min(len(rkeys), len(parts))):
                resp = send(
                    http,
                    "GET",
                    "/xrpc/com.atproto.repo.getRecord",
                    params={
                        "repo": ctx.account.account_id,
                        "collection": POST,
                        "rkey": rkeys[index],
                    },
                    check=False,
                    what="Bluesky getRecord",
                )
                if resp.status_code == 400 and resp.json().get("error") == "RecordNotFound":
                    break
                _raise(resp, what="Bluesky getRecord")
                body = resp.json()
                posted.append({"uri": body["uri"], "cid": body["cid"]})
        if posted != list(ctx.publish_state.get("bsky_posted") or []):
            ctx.remember(bsky_posted=posted)
        if len(posted) >= len(parts):
            return self._result(ctx, posted, rkeys)
        return None

    def fetch_account_metrics(self, account: AccountRef) -> AccountMetrics:
        """Followers/follows/posts from the AppView's public profile (no views on Bluesky)."""
        with self.client(self.appview) as http:
            profile = self._call(
                http,
                "GET",
                "app.bsky.actor.getProfile",
                params={"actor": account.account_id},
                what="Bluesky account metrics",
            ).json()
        return AccountMetrics(
            followers=as_int(profile.get("followersCount")),
            following=as_int(profile.get("followsCount")),
            posts=as_int(profile.get("postsCount")),
            raw={k: v for k, v in profile.items() if k.endswith("Count")},
        )

    def fetch_metrics(self, ctx: PublishContext, remote_id: str) -> Metrics:
        with self.client(self.appview) as http:
            resp = self._call(
                http,
                "GET",
                "app.bsky.feed.getPosts",
                params={"uris": [remote_id]},
                what="Bluesky metrics",
            )
        posts = resp.json().get("posts") or []
        if not posts:
            raise PermanentError(
                f"Bluesky post {remote_id} not found", status=404, code="not_found"
            )
        p = posts[0]
        return Metrics(
            impressions=None,
            clicks=None,
            likes=p.get("likeCount"),
            comments=p.get("replyCount"),
            shares=p.get("repostCount"),
            quotes=p.get("quoteCount"),
            raw={k: v for k, v in p.items() if k.endswith("Count")},
        )


CONNECTOR_CLASS = BlueskyConnector
