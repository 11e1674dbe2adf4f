"""Request and response bodies of /api/v1 (Pydantic), kept apart from the tables.

Timestamps are ISO 8601 with an offset (UTC, ``Z``). Ids are UUIDs. Responses are
built from the rows by the ``*_out`` helpers, so a new column never leaks by accident.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aigrowth.ai.planning import MAX_BATCH, MIN_BATCH
from aigrowth.ai.schemas import PLATFORMS
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.strategy.models import Strategy

Platform = Literal["x", "linkedin", "facebook", "instagram", "threads", "bluesky", "mastodon"]
assert set(Platform.__args__) == set(PLATFORMS)  # type: ignore[attr-defined]
Status = Literal["draft", "scheduled", "publishing", "published", "failed", "needs_attention"]
assert set(Status.__args__) == {s.value for s in ContentStatus}  # type: ignore[attr-defined]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul(value: Any) -> Any:
    """NUL characters are refused everywhere (PostgreSQL text cannot store them)."""
    if _has_nul(value):
        raise ValueError("text may not contain NUL (\\u0000) characters")
    return value


def sane_instant(value: datetime | None) -> datetime | None:
    """Times between 1970 and 2200 (far-off years overflow time-zone conversions)."""
    if value is not None and not 1970 <= value.year <= 2200:
        raise ValueError("give a time between the years 1970 and 2200")
    return value


class In(BaseModel):
    """Request bodies refuse unknown fields (a typo is an error, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return refuse_nul(data)


# ----------------------------------------------------------------------------- me
class Me(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    timezone: str
    plan: str
    key_scope: Literal["read", "write"]


# ------------------------------------------------------------------------ businesses
class Goal(BaseModel):
    metric: str
    target: int
    by: str = Field("", description="YYYY-MM-DD or empty")


class BusinessOut(BaseModel):
    id: uuid.UUID
    name: str
    industry: str
    description: str
    website: str
    target_audience: str
    location: str
    pains: str
    goals: list[Goal]
    platforms: list[str]
    brand_voice: str
    created_at: datetime
    updated_at: datetime


class BusinessCreate(In):
    name: str = Field(max_length=200)
    industry: str = Field(max_length=120)
    description: str = Field(max_length=5000, description="At least 20 characters")
    website: str = Field("", max_length=500)
    target_audience: str | None = Field(None, max_length=2000)
    location: str | None = Field(None, max_length=120)
    pains: str | None = Field(None, max_length=2000)
    goals: list[Goal] | None = Field(None, max_length=5)
    platforms: list[Platform] | None = Field(None, max_length=7)
    tone: str | None = Field(None, max_length=40)
    brand_voice: str | None = Field(None, max_length=1000)


class BusinessUpdate(In):
    name: str | None = Field(None, max_length=200)
    industry: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=5000)
    website: str | None = Field(None, max_length=500)
    target_audience: str | None = Field(None, max_length=2000)
    location: str | None = Field(None, max_length=120)
    pains: str | None = Field(None, max_length=2000)
    goals: list[Goal] | None = Field(None, max_length=5)
    platforms: list[Platform] | None = Field(None, max_length=7)
    tone: str | None = Field(None, max_length=40)
    brand_voice: str | None = Field(None, max_length=1000)


def business_out(b: Business) -> BusinessOut:
    audience = b.audience or {}
    return BusinessOut(
        id=b.id,
        name=b.name,
        industry=b.industry,
        description=b.description,
        website=b.website,
        target_audience=b.target_audience,
        location=str(audience.get("location") or ""),
        pains=str(audience.get("pains") or ""),
        goals=[
            Goal(
                metric=str(g.get("metric", "")),
                target=int(g.get("target") or 0),
                by=g.get("by") or "",
            )
            for g in (b.goals or [])
            if isinstance(g, dict)
        ],
        platforms=list(b.platforms or []),
        brand_voice=b.brand_voice,
        created_at=b.created_at,
        updated_at=b.updated_at,
    )


# ------------------------------------------------------------------------ strategies
class StrategyVersion(BaseModel):
    id: uuid.UUID
    business_id: uuid.UUID
    version: int
    is_active: bool
    source: str
    model: str
    content: dict[str, Any]
    text: str
    created_at: datetime


def strategy_out(s: Strategy) -> StrategyVersion:
    return StrategyVersion(
        id=s.id,
        business_id=s.business_id,
        version=s.version,
        is_active=s.is_active,
        source=s.source,
        model=s.model,
        content=dict(s.content or {}),
        text=s.text,
        created_at=s.created_at,
    )


class Activate(In):
    version: int = Field(ge=1)


class BatchRequest(In):
    count: int = Field(ge=MIN_BATCH, le=MAX_BATCH, description="How many posts to draft")


# ----------------------------------------------------------------------------- jobs
class Job(BaseModel):
    id: str
    kind: Literal["strategy", "posts"]
    business_id: uuid.UUID
    state: Literal["queued", "running", "done", "error", "unknown"]
    done: int = 0
    total: int = 0
    message: str = ""
    error: str = ""
    result: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------------------- content
class MediaItem(BaseModel):
    media_id: str = ""
    url: str = ""
    alt: str = ""


class Post(BaseModel):
    id: uuid.UUID
    business_id: uuid.UUID
    platform: str
    status: Status
    text: str
    hashtags: list[str]
    pillar: str
    group_id: uuid.UUID | None
    social_account_id: uuid.UUID | None
    scheduled_for: datetime | None
    published_at: datetime | None
    remote_url: str | None
    last_error: str | None
    media: list[MediaItem]
    ai_generated: bool
    created_at: datetime
    updated_at: datetime


def post_out(c: Content | Any) -> Post:
    """From a Content row, or a Core row with its columns (list pages)."""
    return Post(
        id=c.id,
        business_id=c.business_id,
        platform=c.platform,
        status=c.status,  # type: ignore[arg-type]
        text=c.text,
        hashtags=[str(h) for h in c.hashtags or []],
        pillar=c.pillar,
        group_id=c.group_id,
        social_account_id=c.social_account_id,
        scheduled_for=c.scheduled_for,
        published_at=c.published_at,
        remote_url=c.remote_url,
        last_error=c.last_error,
        media=[
            MediaItem(
                media_id=str(m.get("media_id", "")),
                url=str(m.get("url", "")),
                alt=str(m.get("alt", "")),
            )
            for m in c.media or []
            if isinstance(m, dict)
        ],
        ai_generated=c.ai_generated,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


class PostPage(BaseModel):
    items: list[Post]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end"
    )


class PostCreate(In):
    business_id: uuid.UUID
    platform: Platform
    text: str = Field("", max_length=40000)
    pillar: str = Field("", max_length=120)
    hashtags: list[str] = Field(default_factory=list, max_length=30)


class PostUpdate(In):
    text: str | None = Field(None, max_length=40000)
    hashtags: list[str] | None = Field(None, max_length=30)
    pillar: str | None = Field(None, max_length=120)


class ScheduleRequest(In):
    at: datetime = Field(
        description="When to publish. With an offset (2026-12-01T09:00:00+01:00) it is that "
        "instant; without one it is a wall-clock time in `time_zone`, or in your profile's "
        "time zone when `time_zone` is omitted (DST-safe)."
    )
    time_zone: str | None = Field(None, max_length=64, description="IANA name, e.g. Europe/Paris")

    _at = field_validator("at")(sane_instant)
    account_id: uuid.UUID | None = Field(
        None, description="Which connected account publishes it (needed when you have several)"
    )


class PublishRequest(In):
    account_id: uuid.UUID | None = None


class ActionResult(BaseModel):
    message: str
    post: Post


# ----------------------------------------------------------------------------- social
class Account(BaseModel):
    id: uuid.UUID
    platform: str
    handle: str
    display_name: str
    instance_url: str
    account_type: str
    health: Literal["active", "expiring", "needs_reconnect"]
    reason: str
    last_published_at: datetime | None
    connected_at: datetime


class ConnectRequest(In):
    platform: Platform
    instance_url: str = Field("", max_length=500, description="Mastodon: your server")
    account_type: Literal["", "profile", "page"] = Field(
        "", description="LinkedIn: 'page' connects company pages"
    )

    @field_validator("instance_url")
    @classmethod
    def _host_name(cls, value: str) -> str:
        """A server address whose host is a valid (IDNA) domain name or an IP address."""
        if value.strip():
            try:
                host = httpx.URL(value if "://" in value else "https://" + value.strip()).host
            except (httpx.InvalidURL, UnicodeError, ValueError):
                raise ValueError("this is not a valid server address") from None
            if not host:
                raise ValueError("this is not a valid server address")
        return value


class ConnectStart(BaseModel):
    authorize_url: str = Field(
        description="Open it in a browser signed in to the app; the platform redirects back "
        "to the app, which stores the account."
    )


class Disconnected(BaseModel):
    revoked_at_platform: bool


# --------------------------------------------------------------------------- webhooks
Event = Literal[
    "post.published",
    "post.failed",
    "post.needs_attention",
    "account.needs_reconnect",
    "strategy.proposed",
]


class EndpointCreate(In):
    url: str = Field(max_length=2000, description="A public https URL")
    events: list[Event] = Field(min_length=1, max_length=5)
    description: str = Field("", max_length=200)


class Endpoint(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime


class EndpointCreated(Endpoint):
    secret: str = Field(description="Signing secret, shown once: keep it to verify deliveries")


class Attempt(BaseModel):
    at: datetime
    attempt: int
    status_code: int | None
    error: str
    response: str
    ms: int


class Delivery(BaseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: Literal["pending", "sending", "succeeded", "retrying", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    payload: dict[str, Any]
    log: list[Attempt]
    created_at: datetime
    delivered_at: datetime | None


# -------------------------------------------------------------------------- analytics
class FigureOut(BaseModel):
    value: float | None = Field(description="null when the platforms do not report it")
    previous: float | None = Field(description="The same-length period just before")
    change: float | None = Field(description="Relative change (0.1 = +10 %), or null")


class Headline(BaseModel):
    impressions: FigureOut
    engagements: FigureOut
    engagement_rate: FigureOut
    clicks: FigureOut
    followers_gained: FigureOut
    posts_published: FigureOut


class DayFigures(BaseModel):
    day: date
    impressions: int | None
    engagements: int | None
    clicks: int | None


class GroupFigures(BaseModel):
    key: str
    posts: int
    impressions: int | None
    engagements: int | None
    clicks: int | None
    engagement_rate: float | None


class RankedPost(BaseModel):
    id: uuid.UUID
    platform: str
    pillar: str
    format: str
    text: str
    remote_url: str
    published_at: datetime | None
    impressions: int | None
    engagements: int | None
    clicks: int | None
    engagement_rate: float | None


class Overview(BaseModel):
    start: date
    end: date
    headline: Headline
    daily: list[DayFigures]
    by_platform: list[GroupFigures]
    by_pillar: list[GroupFigures]
    by_format: list[GroupFigures]
    top_posts: list[RankedPost]
    published_total: int


class PostDay(BaseModel):
    day: date
    impressions: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    clicks: int | None
    saves: int | None
    engagement_rate: float | None
    fetched_at: datetime


class PostAnalytics(BaseModel):
    content_id: uuid.UUID
    days: list[PostDay] = Field(description="One row per day, oldest first; null = not reported")


# ---------------------------------------------------------------------------- billing
class Meter(BaseModel):
    name: str
    label: str
    used: int
    limit: int = Field(description="0 = unlimited")


class Subscription(BaseModel):
    billing_enabled: bool
    plan: str = Field(description="The plan whose limits apply now")
    subscribed_plan: str
    status: str
    period_end: datetime | None
    cancel_at: datetime | None
    past_due_since: datetime | None
    meters: list[Meter]
    for_sale: list[str]


class CheckoutRequest(In):
    plan: Literal["pro", "enterprise"]


class RedirectUrl(BaseModel):
    url: str = Field(description="Open it in a browser (Stripe's hosted page)")
