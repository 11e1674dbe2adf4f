"""Structured outputs of the LLM: a strategy, a batch of posts and a rewrite.

These Pydantic models are both the JSON schema sent to the provider (strict mode needs
every field required and no extra keys, which `openai`'s `to_strict_json_schema` builds)
and the validator for what comes back: nothing is saved unless it parses here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aigrowth.platforms import PLATFORMS as PLATFORMS  # re-exported
from aigrowth.platforms import PlatformName

ContentTypeName = Literal["post", "thread", "article"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlatformChoice(_Strict):
    platform: PlatformName
    why: str = Field(min_length=1, max_length=600)


class Pillar(_Strict):
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(max_length=600)
    # Target share of posts, in percent.
    share: int = Field(ge=1, le=100)


class Cadence(_Strict):
    platform: PlatformName
    posts_per_week: int = Field(ge=1, le=21)
    best_times: list[str] = Field(description="Local times of day, HH:MM, 24-hour clock")

    @field_validator("best_times")
    @classmethod
    def _times(cls, value: list[str]) -> list[str]:
        good = []
        for item in value:
            item = item.strip()
            parts = item.split(":")
            if (
                len(parts) == 2
                and parts[0].isdigit()
                and parts[1].isdigit()
                and 0 <= int(parts[0]) < 24
                and 0 <= int(parts[1]) < 60
            ):
                good.append(f"{int(parts[0]):02d}:{int(parts[1]):02d}")
        return good[:4]


class Tone(_Strict):
    voice: str = Field(min_length=1, max_length=600)
    do: list[str]
    dont: list[str]


class Kpi(_Strict):
    name: str = Field(min_length=1, max_length=120)
    target: str = Field(max_length=120)
    by: str = Field(max_length=40, description="Target date YYYY-MM-DD, or empty")
    goal: str = Field(max_length=200, description="Which business goal this measures")


class StrategyOut(_Strict):
    summary: str = Field(min_length=1, max_length=2000)
    platforms: list[PlatformChoice] = Field(min_length=1, max_length=7)
    pillars: list[Pillar] = Field(min_length=3, max_length=5)
    cadence: list[Cadence] = Field(min_length=1, max_length=7)
    tone: Tone
    kpis: list[Kpi] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _consistent(self) -> StrategyOut:
        chosen = [p.platform for p in self.platforms]
        if len(set(chosen)) != len(chosen):
            raise ValueError("each platform may appear once in platforms")
        cad = [c.platform for c in self.cadence]
        if len(set(cad)) != len(cad):
            raise ValueError("each platform may appear once in cadence")
        missing = set(chosen) - set(cad)
        if missing:
            raise ValueError(f"cadence missing for: {', '.join(sorted(missing))}")
        names = [p.name.strip().lower() for p in self.pillars]
        if len(set(names)) != len(names):
            raise ValueError("pillar names must be unique")
        total = sum(p.share for p in self.pillars)
        if not 95 <= total <= 105:
            raise ValueError(f"pillar shares must add up to 100 (got {total})")
        return self


class PostOut(_Strict):
    slot: int = Field(ge=1, description="The slot number this post fills")
    text: str = Field(min_length=1, description="The post, or the first part of a thread")
    hashtags: list[str] = Field(description="Without the # sign")
    thread_parts: list[str] = Field(description="Further parts of a thread; empty otherwise")


class PostBatchOut(_Strict):
    posts: list[PostOut] = Field(min_length=1, max_length=30)


class RewriteOut(_Strict):
    text: str = Field(min_length=1)
    hashtags: list[str]
    thread_parts: list[str]


class RepairedPost(_Strict):
    slot: int
    text: str = Field(min_length=1)
    hashtags: list[str]
    thread_parts: list[str]


class RepairBatchOut(_Strict):
    posts: list[RepairedPost]


ChangeArea = Literal["pillars", "cadence", "times", "formats", "platforms", "other"]


class StrategyChange(_Strict):
    area: ChangeArea
    item: str = Field(max_length=120, description="What changes: a pillar, platform or format")
    before: str = Field(max_length=200)
    after: str = Field(max_length=200)
    why: str = Field(min_length=1, max_length=600, description="The figures that justify it")


class ReplanOut(_Strict):
    """A re-plan from results: the next strategy version and what changed, with reasons."""

    summary: str = Field(min_length=1, max_length=1200)
    changes: list[StrategyChange] = Field(max_length=12)
    strategy: StrategyOut
