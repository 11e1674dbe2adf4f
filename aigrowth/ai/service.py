"""AI use cases: write a strategy, write a batch of posts, rewrite one post.

Plain functions taking `*, user_id, session`, called by the RQ jobs (workers/ai_jobs.py)
and by the content editor. Every function checks ownership first, checks the monthly
allowance before a real LLM call, records usage, filters the output (foreign URLs and
@handles removed), validates each post against its platform's rules and repairs it
before anything is saved. All rows of one run are committed together, or none.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from aigrowth.ai import fit, offline, prompts
from aigrowth.ai.client import LLMClient, LLMResult
from aigrowth.ai.errors import AIError, NotFoundError
from aigrowth.ai.planning import MAX_BATCH, MIN_BATCH, Slot, plan_batch
from aigrowth.ai.safety import OutputFilter, clean_hashtags
from aigrowth.ai.schemas import (
    PostBatchOut,
    PostOut,
    RepairBatchOut,
    RepairedPost,
    ReplanOut,
    RewriteOut,
    StrategyOut,
)
from aigrowth.ai.usage import OFFLINE_MODEL, check_allowance, record
from aigrowth.businesses.models import Business
from aigrowth.businesses.service import (
    business_profile,
    mark_onboarded,
    require_business,
    user_texts,
    user_timezone,
)
from aigrowth.content.models import Content, ContentStatus, ContentVersion
from aigrowth.dbtypes import utcnow
from aigrowth.settings import get_settings
from aigrowth.strategy.models import Strategy
from aigrowth.strategy.service import active_strategy, create_version

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

STRATEGY_MAX_TOKENS = 3000
REWRITE_MAX_TOKENS = 2000
# Output budget of one batch call; larger batches are split into as few calls as fit.
BATCH_MAX_TOKENS = 16000
REWRITABLE = {ContentStatus.DRAFT, ContentStatus.SCHEDULED, ContentStatus.FAILED}


def _noop(done: int, total: int, message: str) -> None:
    return None


def make_client() -> LLMClient | None:
    """The LLM client, or None when no key is configured (offline generator)."""
    settings = get_settings()
    if settings.ai_offline:
        return None
    return LLMClient(settings)


@dataclass(frozen=True)
class _Run:
    """Whom an AI run is for: its calls are billed and recorded against this user."""

    session: Session
    user_id: uuid.UUID
    business_id: uuid.UUID

    def record_offline(self, kind: str, quantity: int = 1) -> None:
        """Usage of the offline generator (no tokens, no allowance)."""
        record(
            session=self.session,
            user_id=self.user_id,
            business_id=self.business_id,
            kind=kind,
            model=OFFLINE_MODEL,
            quantity=quantity,
        )

    def ask(
        self,
        client: LLMClient,
        schema: type,
        system: str,
        user: str,
        *,
        kind: str,
        model: str,
        max_tokens: int,
        quantity: int = 1,
        check: Callable[[Any], None] | None = None,
        metered: bool = True,
    ) -> LLMResult:
        """One structured LLM call, recorded as usage.

        ``metered`` calls first check the user's monthly allowance (a repair of our own
        output is not metered). ``check`` rejects an answer so the client asks again.
        """
        result = client.structured(
            schema=schema,
            system=system,
            user=user,
            model=model,
            max_tokens=max_tokens,
            cache_scope=str(self.business_id),
            before_call=self._check_allowance if metered else None,
            check=check,
        )
        record(
            session=self.session,
            user_id=self.user_id,
            business_id=self.business_id,
            kind=kind,
            model=result.model,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            cache_hit=result.cache_hit,
            quantity=quantity,
            meta={"calls": result.calls, "repaired": result.repaired, "mode": result.mode},
        )
        return result

    def _check_allowance(self) -> None:
        check_allowance(self.user_id, session=self.session)


def _clean_post(
    post: PostOut | RepairedPost | RewriteOut, content_type: str, output_filter: OutputFilter
) -> tuple[str, list[str], list[str]]:
    """A model's post without foreign URLs/handles; thread parts only for threads."""
    parts = [output_filter.clean(p) for p in post.thread_parts] if content_type == "thread" else []
    return output_filter.clean(post.text), clean_hashtags(post.hashtags), [p for p in parts if p]


# ------------------------------------------------------------------ strategy
def generate_strategy(
    business_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID,
    session: Session,
    progress: Progress = _noop,
    client: LLMClient | None = None,
    today: date | None = None,
) -> Strategy:
    """Write a strategy for the business and store it as the new active version."""
    business = require_business(business_id, user_id=user_id, session=session)
    today = today or utcnow().date()
    profile = business_profile(business)
    client = client if client is not None else make_client()
    run = _Run(session, user_id, business.id)
    progress(0, 3, "Reading your business profile")
    if client is None:
        progress(1, 3, "Writing your strategy (offline generator)")
        parsed = offline.offline_strategy(profile, today)
        source, model = "offline", OFFLINE_MODEL
        run.record_offline("ai_strategy")
    else:
        progress(1, 3, "Writing your strategy with AI")
        system, user = prompts.strategy_messages(profile, today)
        wanted = set(business.platforms or [])

        def check(data: StrategyOut) -> None:
            chosen = {p.platform for p in data.platforms}
            if wanted and not chosen <= wanted:
                extra = ", ".join(sorted(chosen - wanted))
                raise ValueError(
                    f"platforms must be chosen from the platforms of interest ({extra} is not)"
                )

        result = run.ask(
            client,
            StrategyOut,
            system,
            user,
            kind="ai_strategy",
            model=get_settings().llm_model_strategy,
            max_tokens=STRATEGY_MAX_TOKENS,
            check=check,
        )
        parsed = result.data  # type: ignore[assignment]
        source, model = "ai", result.model
    progress(2, 3, "Saving the strategy")
    content = _clean_strategy(parsed, OutputFilter(user_texts(business)))
    row = create_version(business.id, content, source=source, model=model, session=session)
    mark_onboarded(business, session=session)
    session.commit()
    session.refresh(row)
    progress(3, 3, f"Strategy version {row.version} is ready")
    return row


def _clean_strategy(parsed: StrategyOut, output_filter: OutputFilter) -> dict[str, Any]:
    """Strip foreign URLs/handles from every text field of the strategy."""

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return output_filter.clean(node)
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, dict):
            return {k: (v if k in ("platform", "by") else walk(v)) for k, v in node.items()}
        return node

    data = walk(parsed.model_dump())
    # Normalise shares to exactly 100 (the schema allows 95-105 for model rounding).
    pillars = data["pillars"]
    total = sum(p["share"] for p in pillars) or 1
    shares = [max(1, round(p["share"] * 100 / total)) for p in pillars]
    shares[shares.index(max(shares))] += 100 - sum(shares)
    for pillar, share in zip(pillars, shares, strict=True):
        pillar["share"] = share
    return data


# ------------------------------------------------------------------ posts
def _slot_tokens(slot: Slot) -> int:
    _low, high = prompts.PLATFORM_STYLE[slot.platform]["target"]
    chars = high * (3 if slot.content_type == "thread" else 1)
    if slot.content_type == "article":
        chars = 2500
    return 80 + chars // 3


def _batch_max_tokens(slots: list[Slot]) -> int:
    return min(BATCH_MAX_TOKENS, 500 + sum(_slot_tokens(s) for s in slots))


def _chunks(slots: list[Slot]) -> list[list[Slot]]:
    """As few calls as the output budget allows (one call for 30 short posts)."""
    chunks: list[list[Slot]] = [[]]
    budget = 0
    for slot in slots:
        cost = _slot_tokens(slot)
        if chunks[-1] and budget + cost > BATCH_MAX_TOKENS - 500:
            chunks.append([])
            budget = 0
        chunks[-1].append(slot)
        budget += cost
    return chunks


def _expect_slots(numbers: list[int]) -> Callable[[PostBatchOut], None]:
    def check(data: PostBatchOut) -> None:
        got = [p.slot for p in data.posts]
        missing = sorted(set(numbers) - set(got))
        extra = sorted(set(got) - set(numbers))
        if missing or extra or len(got) != len(set(got)):
            raise ValueError(
                f"write exactly one post for each slot {numbers}; missing {missing}, "
                f"unexpected {extra}"
            )

    return check


def _tidy(
    slot: Slot, post: PostOut, output_filter: OutputFilter, profile: dict[str, Any]
) -> tuple[str, list[str], list[str], bool]:
    """Filter one model post; fall back to an offline post if nothing usable is left."""
    text, tags, parts = _clean_post(post, slot.content_type, output_filter)
    if not text:
        fallback = offline.offline_post(profile, slot)
        return fallback.text, fallback.hashtags, fallback.thread_parts, True
    return text, tags, parts, False


def generate_posts(
    business_id: uuid.UUID | str,
    count: int,
    *,
    user_id: uuid.UUID,
    session: Session,
    progress: Progress = _noop,
    client: LLMClient | None = None,
    now: datetime | None = None,
    summary: dict[str, str] | None = None,
) -> list[Content]:
    """Write `count` (7-30) drafts following the active strategy, leaning toward the
    pillars and formats that perform (`summary["weighting"]` says how, when it did)."""
    if not MIN_BATCH <= int(count) <= MAX_BATCH:
        raise AIError(f"Choose between {MIN_BATCH} and {MAX_BATCH} posts.")
    business = require_business(business_id, user_id=user_id, session=session)
    strategy = active_strategy(business.id, user_id=user_id, session=session)
    if strategy is None:
        raise AIError("Create a strategy first: posts follow its pillars and cadence.")
    pillar_factors, thread_factor, note = results_weighting(
        business.id,
        strategy.content,
        user_id=user_id,
        session=session,
        today=(now or utcnow()).date(),
    )
    slots = plan_batch(
        strategy.content,
        int(count),
        timezone=user_timezone(user_id, session=session),
        now=now,
        pillar_factors=pillar_factors,
        thread_factor=thread_factor,
    )
    if summary is not None and note:
        summary["weighting"] = note
    return _write_slots(
        business,
        strategy,
        slots,
        user_id=user_id,
        session=session,
        progress=progress,
        client=client,
    )


def generate_for_slots(
    business_id: uuid.UUID | str,
    slots: list[dict[str, Any]],
    *,
    user_id: uuid.UUID,
    session: Session,
    client: LLMClient | None = None,
) -> list[Content]:
    """Drafts for given slots ({platform, when: ISO UTC, pillar}), e.g. calendar gaps.

    Same pipeline as a batch (one LLM call, filter, validate, repair) but the caller
    chose platform, time and pillar. At most MAX_BATCH slots per call.
    """
    from aigrowth.ai.planning import safe_zone

    business = require_business(business_id, user_id=user_id, session=session)
    strategy = active_strategy(business.id, user_id=user_id, session=session)
    zone = safe_zone(user_timezone(user_id, session=session))
    planned: list[Slot] = []
    for number, raw in enumerate(slots[:MAX_BATCH], start=1):
        platform = str(raw.get("platform", ""))
        if platform not in fit.ALLOWED_TYPES:
            raise AIError(f"Unknown platform {platform!r}.")
        when = raw.get("when")
        when = when if isinstance(when, datetime) else datetime.fromisoformat(str(when))
        if when.tzinfo is None:
            raise AIError("Slot times must be time-zone aware.")
        planned.append(
            Slot(
                number,
                platform,
                str(raw.get("pillar") or "Updates")[:120],
                "post",
                number,
                when,
                when.astimezone(zone).strftime("%a %Y-%m-%d %H:%M"),
            )
        )
    if not planned:
        return []
    return _write_slots(
        business, strategy, planned, user_id=user_id, session=session, client=client
    )


def _write_slots(
    business: Business,
    strategy: Strategy | None,
    slots: list[Slot],
    *,
    user_id: uuid.UUID,
    session: Session,
    progress: Progress = _noop,
    client: LLMClient | None = None,
) -> list[Content]:
    """Write, filter, validate/repair and save one draft per slot (one commit)."""
    total = len(slots)
    strategy_content = strategy.content if strategy is not None else {}
    profile = business_profile(business)
    output_filter = OutputFilter(user_texts(business))
    client = client if client is not None else make_client()
    run = _Run(session, user_id, business.id)
    progress(0, total, f"Planned {total} posts across your pillars and platforms")

    drafts: dict[int, tuple[str, list[str], list[str]]] = {}
    offline_slots: set[int] = set()
    if client is None:
        for slot in slots:
            post = offline.offline_post(profile, slot)
            drafts[slot.slot] = (post.text, post.hashtags, post.thread_parts)
            offline_slots.add(slot.slot)
        run.record_offline("ai_posts", quantity=total)
    else:
        for chunk in _chunks(slots):
            progress(len(drafts), total, f"Writing posts with AI ({len(drafts)} of {total})")
            system, user = prompts.posts_messages(
                profile, strategy_content, [s.prompt_view() for s in chunk]
            )
            result = run.ask(
                client,
                PostBatchOut,
                system,
                user,
                kind="ai_posts",
                model=get_settings().llm_model_content,
                max_tokens=_batch_max_tokens(chunk),
                quantity=len(chunk),
                check=_expect_slots([s.slot for s in chunk]),
            )
            by_slot = {p.slot: p for p in result.data.posts}  # type: ignore[attr-defined]
            for slot in chunk:
                text, tags, parts, fell_back = _tidy(
                    slot, by_slot[slot.slot], output_filter, profile
                )
                drafts[slot.slot] = (text, tags, parts)
                if fell_back:
                    offline_slots.add(slot.slot)

    progress(total, total, "Checking every post against its platform's rules")
    slot_by_no = {s.slot: s for s in slots}
    invalid = [
        n for n, (t, h, p) in drafts.items() if not fit.is_valid(slot_by_no[n].platform, t, h, p)
    ]
    if invalid and client is not None:
        drafts.update(
            _repair_batch([slot_by_no[n] for n in invalid], drafts, client, output_filter, run)
        )
    rows: list[Content] = []
    groups: dict[int, uuid.UUID] = {}
    idea_sizes: dict[int, int] = {}
    for slot in slots:
        idea_sizes[slot.idea] = idea_sizes.get(slot.idea, 0) + 1
    for slot in slots:
        text, tags, parts = drafts[slot.slot]
        if not fit.is_valid(slot.platform, text, tags, parts):
            text, tags, parts = fit.force_fit(slot.platform, text, tags, parts)
        assert fit.is_valid(slot.platform, text, tags, parts), "force_fit must produce a valid post"
        group_id = None
        if idea_sizes[slot.idea] > 1:
            group_id = groups.setdefault(slot.idea, uuid.uuid4())
        row = Content(
            business_id=business.id,
            strategy_id=strategy.id if strategy is not None else None,
            group_id=group_id,
            platform=slot.platform,
            pillar=slot.pillar[:120],
            content_type=slot.content_type,
            text=text,
            hashtags=tags,
            thread_parts=parts,
            status=ContentStatus.DRAFT,
            scheduled_for=slot.scheduled_for,
            ai_generated=True,
            offline_draft=slot.slot in offline_slots,
        )
        session.add(row)
        rows.append(row)
    session.commit()
    progress(total, total, f"{total} drafts are ready in Content")
    return rows


def _repair_batch(
    slots: list[Slot],
    drafts: dict[int, tuple[str, list[str], list[str]]],
    client: LLMClient,
    output_filter: OutputFilter,
    run: _Run,
) -> dict[int, tuple[str, list[str], list[str]]]:
    """One LLM call to shorten every post that breaks its platform's rules."""
    payload = []
    for slot in slots:
        text, tags, parts = drafts[slot.slot]
        payload.append(
            {
                "slot": slot.slot,
                "platform": slot.platform,
                "text": text,
                "hashtags": tags,
                "thread_parts": parts,
                "problems": fit.text_problems(slot.platform, text, tags, parts),
            }
        )
    system, user = prompts.repair_messages(payload)
    try:
        result = run.ask(
            client,
            RepairBatchOut,
            system,
            user,
            kind="ai_repair",
            model=get_settings().llm_model_content,
            max_tokens=_batch_max_tokens(slots),
            metered=False,
        )
    except AIError as err:
        log.warning("Repair call failed (%s); trimming posts locally", err.kind)
        return {}
    fixed: dict[int, tuple[str, list[str], list[str]]] = {}
    wanted = {s.slot: s for s in slots}
    for post in result.data.posts:  # type: ignore[attr-defined]
        slot = wanted.get(post.slot)
        if slot is None:
            continue
        text, tags, parts = _clean_post(post, slot.content_type, output_filter)
        if text:
            fixed[slot.slot] = (text, tags, parts)
    return fixed


# ------------------------------------------------------------------ rewrite
def _owned_content(
    content_id: uuid.UUID | str, *, user_id: uuid.UUID, session: Session
) -> tuple[Content, Business]:
    try:
        cid = content_id if isinstance(content_id, uuid.UUID) else uuid.UUID(str(content_id))
    except ValueError:
        raise NotFoundError("That post was not found.") from None
    found = session.exec(
        select(Content, Business)
        .join(Business, Business.id == Content.business_id)  # type: ignore[arg-type]
        .where(Content.id == cid, Business.user_id == user_id)
    ).first()
    if found is None:
        raise NotFoundError("That post was not found.")
    return found[0], found[1]


def rewrite_post(
    content_id: uuid.UUID | str,
    feedback: str,
    *,
    user_id: uuid.UUID,
    session: Session,
    client: LLMClient | None = None,
) -> Content:
    """Rewrite one post from the founder's feedback; the old text becomes a version.

    Raises AIError (with a message for the user) on bad input, allowance, provider
    errors; nothing is changed in that case.
    """
    feedback = (feedback or "").strip()
    if not feedback:
        raise AIError("Tell the AI what to change, e.g. “shorter, with a question at the end”.")
    if len(feedback) > 1000:
        raise AIError("Keep the feedback under 1,000 characters.")
    content, business = _owned_content(content_id, user_id=user_id, session=session)
    if content.status not in REWRITABLE:
        raise AIError("This post is publishing or published; it can no longer be rewritten.")
    profile = business_profile(business)
    post_view = {
        "platform": content.platform,
        "content_type": content.content_type,
        "pillar": content.pillar,
        "text": content.text,
        "hashtags": list(content.hashtags or []),
        "thread_parts": list(content.thread_parts or []),
    }
    output_filter = OutputFilter(
        [*user_texts(business), content.text, " ".join(content.thread_parts or []), feedback]
    )
    client = client if client is not None else make_client()
    run = _Run(session, user_id, business.id)
    if client is None:
        text, tags, parts = _offline_rewrite(content, feedback)
        run.record_offline("ai_rewrite")
        offline_draft = True
    else:
        system, user = prompts.rewrite_messages(profile, post_view, feedback)
        result = run.ask(
            client,
            RewriteOut,
            system,
            user,
            kind="ai_rewrite",
            model=get_settings().llm_model_content,
            max_tokens=REWRITE_MAX_TOKENS,
        )
        out: RewriteOut = result.data  # type: ignore[assignment]
        text, tags, parts = _clean_post(out, content.content_type, output_filter)
        if not text:
            raise AIError("The AI returned an empty post; nothing was changed. Try other feedback.")
        offline_draft = False
    if not fit.is_valid(content.platform, text, tags, parts):
        text, tags, parts = fit.force_fit(content.platform, text, tags, parts)
    # The call happened and counts against the allowance whatever comes next: keep its
    # usage row. Then one conditional UPDATE: the publisher may have claimed the post
    # while the model was writing; then nothing is changed (no read-then-write).
    session.commit()
    table = Content.__table__
    hit = session.execute(
        sa.update(table)
        .where(table.c.id == content.id, table.c.status.in_([str(s) for s in REWRITABLE]))
        .values(
            text=text,
            hashtags=tags,
            thread_parts=parts,
            ai_generated=True,
            offline_draft=offline_draft,
            updated_at=utcnow(),
        )
    ).rowcount
    if hit != 1:
        session.rollback()
        raise AIError("This post just started publishing: you cannot rewrite it now.")
    session.add(
        ContentVersion(
            content_id=content.id,
            text=content.text,
            hashtags=list(content.hashtags or []),
            reason="ai_rewrite",
        )
    )
    session.commit()
    session.refresh(content)
    return content


def _offline_rewrite(content: Content, feedback: str) -> tuple[str, list[str], list[str]]:
    """Rule-based rewrite: understands shorter / longer / question / fewer hashtags."""
    wish = feedback.lower()
    text = content.text.strip()
    tags = list(content.hashtags or [])
    parts = list(content.thread_parts or [])
    if any(w in wish for w in ("short", "concise", "brief", "trim")):
        sentences = [s for s in text.replace("\n", " ").split(". ") if s.strip()]
        keep = max(1, math.ceil(len(sentences) / 2))
        text = ". ".join(sentences[:keep]).rstrip(".") + "."
    if any(w in wish for w in ("question", "ask", "engag")) and not text.rstrip().endswith("?"):
        text = text.rstrip() + "\n\nWhat do you think?"
    if "hashtag" in wish and any(w in wish for w in ("fewer", "less", "no ", "remove", "drop")):
        tags = tags[:1] if "fewer" in wish or "less" in wish else []
    if any(w in wish for w in ("emoji",)) and "no emoji" not in wish:
        text = "✨ " + text
    if text == content.text.strip():
        text = text.rstrip() + "\n\n" + "Tell us what you think."
    return text, tags, parts


# ------------------------------------------------------------------ re-plan
REPLAN_MAX_TOKENS = 4000


def replan_strategy(
    business_id: uuid.UUID | str,
    strategy: dict[str, Any],
    results: dict[str, Any],
    *,
    user_id: uuid.UUID,
    session: Session,
    client: LLMClient | None = None,
    today: date | None = None,
) -> tuple[ReplanOut | None, str, str]:
    """The next strategy version from the period's results, as (proposal, source, model).

    The proposal is None when the results support no change. Raises ValueError (a plain
    message) with too little data: under replan_rules.MIN_POSTS published posts, or no
    measured engagement. With no key the offline rules decide; otherwise the strategy
    model does (metered like a strategy), and its texts are cleaned like a strategy's.
    """
    from aigrowth.ai.replan_rules import MIN_POSTS, offline_replan

    business = require_business(business_id, user_id=user_id, session=session)
    client = client if client is not None else make_client()
    run = _Run(session, user_id, business.id)
    if client is None:
        proposal = offline_replan(strategy, results)
        run.record_offline("ai_strategy")
        return proposal, "offline", OFFLINE_MODEL
    published = int(results.get("published_posts") or 0)
    if published < MIN_POSTS:
        offline_replan(strategy, results)  # raises the same plain message
    system, user = prompts.replan_messages(
        business_profile(business), strategy, results, today or utcnow().date()
    )
    allowed = {p["platform"] for p in strategy.get("platforms") or []} | set(
        business.platforms or []
    )

    def check(data: ReplanOut) -> None:
        extra = {p.platform for p in data.strategy.platforms} - allowed
        if extra:
            raise ValueError(f"platforms must stay within {', '.join(sorted(allowed))}")

    result = run.ask(
        client,
        ReplanOut,
        system,
        user,
        kind="ai_strategy",
        model=get_settings().llm_model_strategy,
        max_tokens=REPLAN_MAX_TOKENS,
        check=check,
    )
    parsed: ReplanOut = result.data  # type: ignore[assignment]
    output_filter = OutputFilter(user_texts(business))
    cleaned = ReplanOut.model_validate(
        {
            "summary": output_filter.clean(parsed.summary),
            "changes": [
                {**c.model_dump(), "why": output_filter.clean(c.why)} for c in parsed.changes
            ],
            "strategy": _clean_strategy(parsed.strategy, output_filter),
        }
    )
    return (cleaned if cleaned.changes else None), "ai", result.model


# ------------------------------------------------------------------ results weighting
WEIGHTING_DAYS = 90
MIN_PROVEN_POSTS = 3


def results_weighting(
    business_id: uuid.UUID,
    strategy: dict[str, Any],
    *,
    user_id: uuid.UUID,
    session: Session,
    today: date | None = None,
) -> tuple[dict[str, float], float, str]:
    """(pillar factors, thread factor, note) from the last 90 days' results.

    A pillar or format counts as proven with MIN_PROVEN_POSTS posts and a measured
    engagement rate; its factor is its rate ÷ the average rate. No results: no tilt.
    """
    from aigrowth.analytics import queries as q

    today = today or utcnow().date()
    f = q.Filters(today - timedelta(days=WEIGHTING_DAYS - 1), today)
    kw: dict[str, Any] = {"user_id": user_id, "session": session}
    pillars = q.breakdown(business_id, f, "pillar", **kw)
    measured = [g for g in pillars if g.impressions and g.engagements_with_impressions is not None]
    impressions = sum(g.impressions or 0 for g in measured)
    if not impressions:
        return {}, 1.0, ""
    average = sum(g.engagements_with_impressions or 0 for g in measured) / impressions
    if not average:
        return {}, 1.0, ""
    names = {p["name"] for p in strategy.get("pillars") or []}
    factors = {
        g.key: g.engagement_rate / average
        for g in pillars
        if g.key in names and g.posts >= MIN_PROVEN_POSTS and g.engagement_rate is not None
    }
    formats = {g.key: g for g in q.breakdown(business_id, f, "format", **kw)}
    thread = formats.get("thread")
    thread_factor = (
        thread.engagement_rate / average
        if thread and thread.posts >= MIN_PROVEN_POSTS and thread.engagement_rate is not None
        else 1.0
    )
    parts = []
    if factors:
        best = max(factors, key=lambda n: factors[n])
        parts.append(
            f"more {best} ({factors[best] * average:.1%} engagement vs {average:.1%} average)"
        )
    if thread_factor > 1.2:
        parts.append("more threads")
    elif thread_factor < 0.8:
        parts.append("fewer threads")
    note = (
        "Weighted by results: " + ", ".join(parts) + "; a quarter of the posts keep exploring."
        if parts
        else ""
    )
    return factors, thread_factor, note
