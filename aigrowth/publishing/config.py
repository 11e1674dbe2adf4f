"""Publishing knobs (env vars PUBLISH_*), kept beside the state machine they tune.

The invariants between them matter more than the values:

  HTTP timeouts (connectors: 5 s connect, 30 s read)
    < one post's worst processing time (token refresh + prepare + create, ~2 min)
    < PUBLISH_LEASE_S (a started post's lease; the reconciler only looks at a post
      whose lease expired, i.e. whose worker is certainly dead or done)
  and PUBLISH_JOB_TIMEOUT_S bounds a whole batch job (RQ kills the work horse then; a
  post it was in the middle of is found by the reconciler after its lease).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from aigrowth.settings import PROJECT_ROOT


class PublishingSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PUBLISH_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    # Lease of a claimed/started post. Must exceed one post's processing time.
    lease_s: int = 600
    # RQ timeout of one publish job (a batch of posts processed by a thread pool).
    job_timeout_s: int = 1800
    # Automatic retries (provably-not-landed failures) before the post is `failed`.
    max_retries: int = 5
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 900.0
    # A Retry-After longer than this is not waited for: the post fails with the reason.
    max_wait_s: float = 6 * 3600.0
    # Posts per publish job (at most; a burst is split into about one job per worker)
    # and threads inside a job (platform waits dominate, so many posts per worker
    # process run at once; posts of one account run in order).
    batch_size: int = 500
    threads: int = 32
    # How many due posts one dispatcher run claims at most.
    dispatch_limit: int = 2000
    # After an unknown outcome a lookup that finds nothing is repeated after this long
    # before the post counts as absent (X and LinkedIn timelines lag behind creates).
    absent_recheck_s: float = 20.0
    # Refresh a token on demand before publishing when it expires within this.
    refresh_margin_s: int = 600


@lru_cache(maxsize=1)
def get_publishing_settings() -> PublishingSettings:
    return PublishingSettings()


def reset_publishing_settings_cache() -> None:
    get_publishing_settings.cache_clear()
