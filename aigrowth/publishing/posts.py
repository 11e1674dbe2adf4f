"""A post as the publisher holds it: a plain snapshot of the row it claimed.

`held_status` is the status under which this worker holds the row (`publishing` for a
publish attempt, `needs_attention` while the reconciler re-checks such a post): every
write of the worker is conditioned on (id, attempt, held_status), the fencing token.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aigrowth.content.models import Content, ContentStatus

C = Content.__table__.c

# publish_state keys the publisher owns (the rest is the connectors' prepared state).
FOR_KEY = "for"  # fingerprint of the content the prepared state belongs to
UNKNOWN_KEY = "unknown_outcome"  # a create may have landed: look up before any create
HAD_UNKNOWN_KEY = "had_unknown"  # some attempt had an unknown outcome (duplicate = found)


@dataclass
class Post:
    id: uuid.UUID
    attempt: int
    platform: str
    text: str
    hashtags: list[str]
    media: list[dict[str, Any]]
    thread: list[str]
    idempotency_key: str
    publish_state: dict[str, Any]
    account_id: uuid.UUID | None
    user_id: uuid.UUID
    title: str
    retries_so_far: int = 0
    held_status: str = ContentStatus.PUBLISHING.value
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unknown_outcome(self) -> bool:
        return bool(self.publish_state.get(UNKNOWN_KEY))


def post_from_row(
    content: Any, user_id: uuid.UUID, *, retries: int = 0, held_status: str | None = None
) -> Post:
    """`content`: a Content row mapping (a Core row's `_mapping`)."""
    return Post(
        id=content["id"],
        attempt=int(content["attempts"]),
        platform=content["platform"],
        text=content["text"] or "",
        hashtags=list(content["hashtags"] or []),
        media=list(content["media"] or []),
        thread=list(content["thread_parts"] or []),
        idempotency_key=content["idempotency_key"] or "",
        publish_state=dict(content["publish_state"] or {}),
        account_id=content["social_account_id"],
        user_id=user_id,
        title=(content["title"] or content["text"] or "")[:60],
        retries_so_far=retries,
        held_status=held_status or ContentStatus.PUBLISHING.value,
    )


def fingerprint(post: Post) -> str:
    """What the platform would receive: prepared state (containers, uploaded media ids,
    idempotency keys) is valid only for the content it was prepared from."""
    media = [
        [str(m.get(k) or "") for k in ("url", "path", "alt")]
        for m in post.media
        if isinstance(m, dict)
    ]
    blob = json.dumps(
        [post.platform, str(post.account_id), post.text, post.hashtags, post.thread, media],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]
