"""Typed settings: the configuration contract of DESIGN.md §9.

Every process (web, workers, scheduler, CLI, Alembic, tests) reads the same object, so
one `.env` or environment configures them all. Secrets that are unset are generated
once into DATA_DIR and reused, so a fresh clone runs without any set-up.
"""

from __future__ import annotations

import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=PROJECT_ROOT / "data")
    database_url: str = ""
    redis_url: str = ""
    app_url: str = "http://localhost:3000"
    # Where the Reflex backend answers (HTTP routes such as /health, OAuth callbacks).
    # In production (single port) it is APP_URL; in `make run` dev mode it is :8000.
    api_url: str = ""
    secret_key: str = ""
    encryption_key: str = ""

    # AI
    openai_api_key: str = ""
    openrouter_api_key: str = ""
    llm_base_url: str = ""
    llm_model_strategy: str = "gpt-4o"
    llm_model_content: str = "gpt-4o-mini"
    # Seconds per LLM request (DESIGN §5: at most 60) and retries (at most 2).
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 2
    # "auto" tries strict JSON-schema output and falls back to validate + repair when the
    # provider refuses it; "json_schema" or "prompt" force one mode.
    llm_structured_output: str = "auto"
    # Monthly AI allowance per plan, in AI generations (a strategy, a post batch or a
    # rewrite that reached the provider; cache hits and offline drafts are free).
    # 0 means unlimited.
    ai_allowance_free: int = 40
    ai_allowance_pro: int = 1000
    ai_allowance_enterprise: int = 0

    # Billing
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_price_pro: str = ""
    stripe_price_enterprise: str = ""
    stripe_api_base: str = "https://api.stripe.com"
    default_plan: str = "free"
    # Per-plan limits over the defaults in aigrowth/billing/plans.py (0 = unlimited), as
    # JSON: PLAN_LIMITS='{"free": {"social_accounts": 5}, "pro": {"businesses": 10}}'.
    plan_limits: dict[str, dict[str, int]] = Field(default_factory=dict)
    # Days a past-due subscription keeps its plan before the free plan's limits apply.
    billing_grace_days: int = Field(default=7, ge=0, le=60)

    # Platforms
    x_client_id: str = ""
    x_client_secret: str = ""
    x_api_base: str = "https://api.x.com"
    x_auth_url: str = "https://x.com/i/oauth2/authorize"
    linkedin_client_id: str = ""
    linkedin_client_secret: str = ""
    linkedin_api_base: str = "https://api.linkedin.com"
    linkedin_auth_base: str = "https://www.linkedin.com"
    linkedin_version: str = "202511"
    # Scopes added to LinkedIn's member scopes once the app is approved for them, e.g.
    # "r_member_postAnalytics" (post metrics) or the organization (Page) scopes.
    linkedin_extra_scopes: str = ""
    meta_app_id: str = ""
    meta_app_secret: str = ""
    graph_api_base: str = "https://graph.facebook.com"
    graph_api_version: str = "v24.0"
    facebook_auth_base: str = "https://www.facebook.com"
    threads_app_id: str = ""
    threads_app_secret: str = ""
    threads_api_base: str = "https://graph.threads.net"
    threads_auth_base: str = "https://threads.net"
    bluesky_appview_url: str = "https://public.api.bsky.app"
    bluesky_default_pds: str = "https://bsky.social"
    allow_private_network: bool = False
    # Reverse proxies in front of the web process that append the visitor's address to
    # X-Forwarded-For (the documented Caddy set-up: 1). 0 ignores the header, which any
    # client can forge; throttles then key on the TCP peer.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)
    # Read timeout (s) of platform API calls; connect timeout is fixed at 5 s.
    social_http_timeout: float = 30.0

    # Sign in with Google / GitHub (offered only when id and secret are set). Endpoint
    # URLs are settings so tests point them at a local fake identity provider.
    google_client_id: str = ""
    google_client_secret: str = ""
    google_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_jwks_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    google_issuer: str = "https://accounts.google.com"
    github_client_id: str = ""
    github_client_secret: str = ""
    github_auth_base: str = "https://github.com"
    github_api_base: str = "https://api.github.com"

    # Mail, operators, observability
    smtp_url: str = ""
    mail_from: str = "AI Growth Manager <no-reply@localhost>"
    admin_emails: str = ""
    sentry_dsn: str = ""
    sentry_environment: str = "production"
    # Share of requests and jobs traced for Sentry performance (0 = errors only).
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    log_level: str = "INFO"
    # "text" (one readable line) or "json" (one object per line, with request/job ids).
    log_format: str = "text"
    # Bearer token that opens GET /metrics from anywhere; without it only a direct
    # loopback client (no proxy headers) may read it.
    metrics_token: str = ""
    # Public API (/api/v1): requests per key per minute, one window shared by every web
    # process (Redis).
    api_rate_limit_per_minute: int = Field(default=600, ge=1, le=1_000_000)

    @field_validator("data_dir", mode="after")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return (value if value.is_absolute() else PROJECT_ROOT / value).resolve()

    # ---- derived values -------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'aigrowth.db'}"

    @property
    def redis_is_embedded(self) -> bool:
        return not self.redis_url

    @property
    def embedded_redis_socket(self) -> Path:
        return self.data_dir / "redis" / "redis.sock"

    @property
    def effective_redis_url(self) -> str:
        """The Redis every process talks to; a unix socket in DATA_DIR when embedded.

        A socket cannot clash with a system Redis on 6379 or any other TCP port.
        """
        return self.redis_url or f"unix://{self.embedded_redis_socket}"

    @property
    def effective_api_url(self) -> str:
        return (self.api_url or self.app_url).rstrip("/")

    @property
    def cookie_secure(self) -> bool:
        return self.app_url.startswith("https://")

    @property
    def llm_api_key(self) -> str:
        return self.openai_api_key or self.openrouter_api_key

    @property
    def effective_llm_base_url(self) -> str | None:
        if self.llm_base_url:
            return self.llm_base_url
        if not self.openai_api_key and self.openrouter_api_key:
            return "https://openrouter.ai/api/v1"
        return None

    @property
    def ai_offline(self) -> bool:
        return not self.llm_api_key

    @property
    def billing_enabled(self) -> bool:
        return bool(self.stripe_secret_key)

    @property
    def admin_email_list(self) -> list[str]:
        return [e.strip().lower() for e in self.admin_emails.split(",") if e.strip()]

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def encryption_keys(self) -> list[str]:
        return [k.strip() for k in self.encryption_key.split(",") if k.strip()]


def _load_or_create_secret(data_dir: Path, name: str, make: callable) -> str:
    """Read DATA_DIR/<name>, creating it (mode 0600) on first use."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: when two processes start at once, exactly one creates the file.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    log.warning("Generated %s into %s (kept for later runs; back it up).", name, path)
    return value


def secure_data_dir(data_dir: Path) -> None:
    """DATA_DIR holds the database, reset links in the outbox, Redis files and the keys:
    only the service user may enter it (0700), and every file our processes create is
    0600 (umask 077, inherited by the embedded redis-server and SQLite)."""
    os.umask(0o077)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if data_dir.stat().st_mode & 0o077:
            data_dir.chmod(0o700)  # an install from before this rule, or a shared mount
    except OSError as exc:
        log.warning("Could not make %s private (chmod 700): %s", data_dir, exc)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    secure_data_dir(settings.data_dir)
    if not settings.secret_key:
        settings.secret_key = _load_or_create_secret(
            settings.data_dir, "secret_key", lambda: secrets.token_urlsafe(48)
        )
    if not settings.encryption_key:
        settings.encryption_key = _load_or_create_secret(
            settings.data_dir, "encryption_key", lambda: Fernet.generate_key().decode()
        )
    return settings


def reset_settings_cache() -> None:
    """Tests change the environment and need a fresh Settings."""
    get_settings.cache_clear()
