"""Publishing: the post state machine of DESIGN.md §6, on time and exactly once.

    draft -> scheduled -claim-> publishing -2xx-> published
    publishing -- provably not landed --> scheduled (backoff) ... failed at the cap
    publishing -- definite failure -----> failed (the user presses Retry)
    publishing -- unknown outcome ------> lookup: found -> published,
                                          absent twice -> scheduled,
                                          cannot tell -> needs_attention

Read the modules in this order:

- `claim`      scheduled → publishing with one conditional UPDATE (never check-then-set).
- `dispatch`   finds due posts (database clock), claims them, enqueues batch jobs.
- `run`        a job: start each attempt, call the platform, settle; drains on SIGTERM.
- `fence`      the claim as a fencing token, lease renewal, the holder's heartbeat.
- `settle`     every outcome as one fenced write; lookups after unknown outcomes.
- `reconcile`  expired leases of dead workers, and needs-attention posts.
- `actions`    what the user does: publish now, Retry, "It's published".

Why a post is created at most once, even under crashes and slow platforms:

1. Only the process whose conditional UPDATE hit the row holds a claim; the claim is
   (id, attempt, status) and every later write of the holder is conditioned on it. A
   write that hits no row raises `ClaimLost` and the worker stops touching the post.
2. An attempt starts (attempt row, lease, idempotency key, prepared state) in one
   commit before any platform call; a duplicate job for the same attempt stops there.
3. Right before each create call the connector calls `before_create`, which
   re-checks the claim. So a worker whose claim was taken never creates.
4. The claim is taken from a worker only when its lease expired (database clock) AND
   its holder's heartbeat is gone. A live worker renews both while it holds posts,
   however slow the platform, so a live worker's claim is never taken.
5. A post whose create may have landed (timeout, 5xx, lost worker) is looked up before
   any new create. "Absent" needs two lookups `absent_recheck_s` apart (timelines
   lag); a platform's "duplicate" answer after such an outcome means "found".
6. Success stores remote id/url and `published` in one commit; a success after a lost
   claim is still recorded, which stops the new holder at its next check.
7. Prepared platform state (Mastodon key, Bluesky rkey, containers, media ids) is
   committed before the call that depends on it and is bound to a fingerprint of the
   content: after an edit it is dropped, never reused for different text or media.

What remains possible, in plain words: X, Facebook and LinkedIn take no idempotency
key. If a worker's create request reaches such a platform and then the worker, its
database and Redis all lose track of it (the process killed between the platform's
accept and our commit), and the platform's own timeline lookup still does not show the
post after the recheck delay, and the platform does not refuse the repeat as a
duplicate, the post can appear twice. Each of those steps is checked; only their
combination is not excluded.
"""

from __future__ import annotations

from aigrowth.publishing.actions import (
    PublishingError,
    mark_published_by_user,
    publish_now,
    retry_failed,
)
from aigrowth.publishing.claim import claim_due
from aigrowth.publishing.dispatch import (
    dispatch_due,
    enqueue_claimed,
    job_id_for,
    next_due_at,
    plan_batches,
)
from aigrowth.publishing.reconcile import reconcile
from aigrowth.publishing.run import publish_posts, request_drain
from aigrowth.publishing.settle import post_link

__all__ = [
    "PublishingError",
    "claim_due",
    "dispatch_due",
    "enqueue_claimed",
    "job_id_for",
    "mark_published_by_user",
    "next_due_at",
    "plan_batches",
    "post_link",
    "publish_now",
    "publish_posts",
    "reconcile",
    "request_drain",
    "retry_failed",
]
