"""The offline generator: a sensible strategy and posts with no LLM at all.

Used when no API key is configured (and as a fallback for a slot the model left empty),
so the product works end to end on its embedded defaults. It is template-based but
industry-aware (pillars per industry family), platform-aware (formats, lengths and
hashtag counts from prompts.PLATFORM_STYLE), and deterministic for a given business, so
tests and demos are repeatable. Everything it writes is labelled as an offline draft.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from typing import Any

from aigrowth.ai.planning import DEFAULT_TIMES, Slot
from aigrowth.ai.schemas import PLATFORMS, PostOut, StrategyOut
from aigrowth.social.models import platform_label

# Industry family -> (keywords, pillars[(name, description, share)], best platforms).
INDUSTRIES: dict[str, tuple[tuple[str, ...], list[tuple[str, str, int]], list[str]]] = {
    "software": (
        ("saas", "software", "app", "tech", "developer", "api", "platform", "ai", "startup"),
        [
            ("Product tips", "Short how-tos that get more out of the product", 30),
            ("Customer problems", "The pains the audience feels and how to solve them", 25),
            ("Behind the build", "What the team is shipping and why", 20),
            ("Industry insights", "Trends and opinions on the field", 25),
        ],
        ["linkedin", "x", "bluesky"],
    ),
    # Makers and producers (roasters, bakeries, breweries...): the craft and the product.
    "food_maker": (
        (
            "roast",
            "bakery",
            "baker",
            "brewery",
            "brewing",
            "winery",
            "distill",
            "chocolate",
            "small-batch",
            "small batch",
            "artisan",
            "producer",
            "jam",
            "cheese",
            "farm",
            "beans",
            "tea blend",
        ),
        [
            ("How it's made", "Sourcing, ingredients and the craft, step by step", 30),
            ("Tasting and tips", "How to enjoy, prepare and pair what we make", 30),
            ("Where to find us", "Stockists, markets, events and the local community", 20),
            ("Behind the scenes", "The people and the daily routine", 20),
        ],
        ["instagram", "facebook", "threads"],
    ),
    # Places that serve food and drink: the menu, the room, the neighbourhood.
    "food": (
        (
            "restaurant",
            "cafe",
            "café",
            "coffee shop",
            "bistro",
            "bar",
            "pub",
            "catering",
            "kitchen",
            "menu",
            "chef",
            "diner",
            "food truck",
        ),
        [
            ("From the kitchen", "Dishes, recipes and how they are made", 35),
            ("Local community", "Neighbours, suppliers and events", 25),
            ("Behind the scenes", "The people and the daily routine", 20),
            ("Offers and events", "What is on this week", 20),
        ],
        ["instagram", "facebook", "threads"],
    ),
    "retail": (
        ("shop", "store", "ecommerce", "e-commerce", "fashion", "retail", "boutique", "brand"),
        [
            ("Product spotlight", "One product, why it is worth it", 30),
            ("Style and use ideas", "How customers use and combine products", 25),
            ("Customer stories", "Reviews, photos and stories from buyers", 25),
            ("Brand values", "How and why the products are made", 20),
        ],
        ["instagram", "facebook", "threads"],
    ),
    "services": (
        ("agency", "consult", "coach", "law", "account", "freelance", "studio", "marketing"),
        [
            ("Expert advice", "Practical advice from the founder's expertise", 35),
            ("Client results", "Before/after stories and lessons from projects", 25),
            ("Process", "How the work is done, step by step", 20),
            ("Opinions", "A clear point of view on the industry", 20),
        ],
        ["linkedin", "x", "facebook"],
    ),
    "health": (
        ("fitness", "gym", "health", "wellness", "yoga", "clinic", "nutrition", "therapy"),
        [
            ("Education", "Myths, facts and simple explanations", 35),
            ("Motivation", "Small wins and encouragement", 25),
            ("Member stories", "Progress stories of real people", 20),
            ("Routines", "Workouts, habits and checklists", 20),
        ],
        ["instagram", "facebook", "threads"],
    ),
    "education": (
        ("course", "school", "education", "tutor", "learning", "training", "academy"),
        [
            ("Lessons", "Bite-sized lessons from the curriculum", 35),
            ("Learner wins", "Stories of students who made progress", 25),
            ("Study tips", "How to learn faster and stay on track", 25),
            ("Behind the course", "How the material is made", 15),
        ],
        ["linkedin", "instagram", "x"],
    ),
    "general": (
        (),
        [
            ("Tips and how-tos", "Practical, useful advice for the audience", 35),
            ("Behind the scenes", "The people and the work behind the business", 20),
            ("Customer stories", "Results and feedback from customers", 25),
            ("Offers and news", "What is new and how to get it", 20),
        ],
        ["linkedin", "instagram", "facebook"],
    ),
}

CADENCE = {
    "x": 7,
    "bluesky": 5,
    "threads": 5,
    "mastodon": 4,
    "linkedin": 3,
    "instagram": 4,
    "facebook": 3,
}
WHY = {
    "x": "Fast conversations with a tech-savvy crowd; good for short tips and threads.",
    "bluesky": "A growing, engaged community that rewards genuine, conversational posts.",
    "threads": "Casual reach for visual and lifestyle brands, close to the Instagram audience.",
    "mastodon": "Community-minded audience that values transparency and useful content.",
    "linkedin": "Decision makers and professionals; long-form insight builds authority.",
    "instagram": "Visual storytelling and community for consumer brands.",
    "facebook": "Local communities, groups and an older, loyal audience.",
}


# The pillar name is only ever a label ("From the kitchen: ..."), never a noun inside a
# sentence, so any pillar name reads correctly ("how do you get started with from the
# kitchen?" was the old failure).
HOOKS = [
    "{pillar}: here is something most people get wrong.",
    "{pillar}: one small change that makes a big difference.",
    "{pillar}: a question we hear every week, and our answer.",
    "{pillar}: 3 things we learned this month.",
    "{pillar}: what nobody tells you.",
    "{pillar}: if you try only one thing this week, make it this.",
    "{pillar}: a look at how we work at {name}.",
    "{pillar}: myth and reality.",
]
BODIES = [
    "At {name}, we keep it simple for {audience}: start small, see what works, and keep "
    "what gets results.",
    "{name} is here for {audience}. Pick one idea from this, try it for a week, then decide.",
    "The best results we see at {name} come from small steps repeated every week, not "
    "from big launches.",
    "We started {name} for {audience}. The lesson that keeps coming back: focus on the "
    "one problem people feel today.",
]
CTAS = [
    "What would you add?",
    "Have you tried this? Tell us how it went.",
    "Save this for later.",
    "Share it with someone who needs it.",
    "Questions? Ask away below.",
]


def _seed(*parts: Any) -> int:
    return int(hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:8], 16)


def industry_family(industry: str, description: str = "") -> str:
    """The family whose keywords the business matches most; the founder's own
    description counts twice the broad industry label ("Food & drink" fits a roaster
    and a restaurant alike)."""
    best, hits = "general", 0
    for family, (keywords, _pillars, _platforms) in INDUSTRIES.items():
        count = sum(
            weight
            for text, weight in ((industry.lower(), 1), (description.lower(), 2))
            for k in keywords
            if re.search(rf"\b{re.escape(k)}", text)
        )
        if count > hits:
            best, hits = family, count
    return best


def _short(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") or text[:limit]


def _audience(profile: dict[str, Any]) -> str:
    audience = profile.get("target_audience") or profile.get("audience", {}).get("who") or ""
    audience = _short(audience, 60).rstrip(".")
    if len(audience) > 1 and audience[1].islower():  # "Freelance designers" mid-sentence
        audience = audience[0].lower() + audience[1:]
    return audience or "our customers"


def offline_strategy(profile: dict[str, Any], today: date) -> StrategyOut:
    """A complete strategy from the profile alone."""
    family = industry_family(profile.get("industry", ""), profile.get("description", ""))
    _keywords, pillars, preferred = INDUSTRIES[family]
    wanted = [p for p in profile.get("platforms") or [] if p in PLATFORMS]
    platforms = [p for p in preferred if not wanted or p in wanted]
    for extra in wanted:
        if extra not in platforms and len(platforms) < 4:
            platforms.append(extra)
    platforms = platforms[:4] or preferred[:3]
    voice = profile.get("brand_voice") or "friendly, clear and helpful"
    kpis = []
    for goal in profile.get("goals") or []:
        metric = goal.get("metric") or "goal"
        target = goal.get("target")
        kpis.append(
            {
                "name": metric.replace("_", " ").capitalize(),
                "target": f"{target:,}" if isinstance(target, int) else str(target or ""),
                "by": goal.get("by") or "",
                "goal": goal.get("label") or metric,
            }
        )
    if not kpis:
        kpis = [
            {"name": "Engagement rate", "target": "3%", "by": "", "goal": "Build an audience"},
            {
                "name": "Followers",
                "target": "+10% per month",
                "by": (today + timedelta(days=90)).isoformat(),
                "goal": "Build an audience",
            },
        ]
    name = profile.get("name") or "the business"
    return StrategyOut.model_validate(
        {
            "summary": (
                f"{name} will build trust with {_audience(profile)} by sharing useful, "
                f"consistent content on {', '.join(platform_label(p) for p in platforms)}. "
                "Each week mixes practical advice, behind-the-scenes stories and proof "
                "from customers, with one clear call to action per post."
            ),
            "platforms": [{"platform": p, "why": WHY[p]} for p in platforms],
            "pillars": [{"name": n, "description": d, "share": s} for n, d, s in pillars],
            "cadence": [
                {
                    "platform": p,
                    "posts_per_week": CADENCE[p],
                    "best_times": DEFAULT_TIMES[p][:2],
                }
                for p in platforms
            ],
            "tone": {
                "voice": f"{voice[:1].upper()}{voice[1:]}; speak to the reader as 'you'.",
                "do": ["Lead with the reader's problem", "Be specific", "End with one ask"],
                "dont": ["Jargon", "Hard selling in every post", "Walls of hashtags"],
            },
            "kpis": kpis[:8],
        }
    )


def _hashtags(profile: dict[str, Any], pillar: str, platform: str, count: int) -> list[str]:
    from aigrowth.ai.prompts import PLATFORM_STYLE

    low, high = PLATFORM_STYLE[platform]["hashtags"]
    count = max(low, min(high, count))
    words = [profile.get("industry", ""), pillar, *(profile.get("topics") or [])]
    words += ["smallbusiness", "growth", "tips", "community", "founder", "marketing"]
    words += ["learning", "howto", "behindthescenes", "local", "inspiration", "startup"]
    tags: list[str] = []
    for word in words:
        tag = "".join(part.capitalize() for part in re.split(r"[^\w]+", str(word)) if part)
        if tag and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    return tags[:count]


def offline_post(profile: dict[str, Any], slot: Slot) -> PostOut:
    """One platform-appropriate post for a slot."""
    from aigrowth.ai.prompts import PLATFORM_STYLE

    seed = _seed(profile.get("name"), slot.slot, slot.platform, slot.pillar, slot.idea)
    name = profile.get("name") or "our team"
    pillar = " ".join(slot.pillar.split()) or "Updates"
    fill = {"pillar": pillar, "name": name, "audience": _audience(profile)}
    hook = HOOKS[seed % len(HOOKS)].format(**fill)
    body = BODIES[(seed // 7) % len(BODIES)].format(**fill)
    cta = CTAS[(seed // 31) % len(CTAS)]
    website = profile.get("website") or ""
    _low, high = PLATFORM_STYLE[slot.platform]["target"]
    platform = slot.platform
    parts: list[str] = []
    if platform in ("x", "bluesky"):
        text = _short(hook, 200)
        if slot.content_type == "thread":
            parts = [_short(body, 220), _short(f"{cta} ({name})", 200)]
        else:
            text = _short(f"{hook} {cta}", min(high, 230))
    elif platform in ("threads", "mastodon"):
        text = _short(f"{hook}\n\n{body}\n\n{cta}", high)
        if slot.content_type == "thread":
            parts = [_short(f"{cta} More from {name} soon.", 300)]
    elif platform == "linkedin":
        lines = [
            hook,
            "",
            body,
            "",
            "Three things that help:",
            "1. Start with the problem your customer feels today.",
            "2. Show, don't tell: one concrete example beats ten claims.",
            "3. Measure one number and review it every week.",
            "",
        ]
        if slot.content_type == "article":
            lines += [
                f"Why this matters for {fill['audience']}: small, steady improvements "
                "compound. The teams that win are rarely the loudest; they are the ones "
                "that keep showing up with something useful.",
                "",
                "How we put it into practice: we pick one theme per week, write down what "
                "we expect to happen, and compare it with what actually happened. The gap "
                "is where the learning is.",
                "",
            ]
        lines.append(cta)
        if website:
            lines.append(f"Learn more: {website}")
        text = "\n".join(lines)
    elif platform == "instagram":
        text = "\n".join(
            [hook, "", body, "", cta, "Link in bio." if website else "Follow for more."]
        )
    else:  # facebook
        text = "\n\n".join([hook, body, cta] + ([website] if website else []))
    hashtags = _hashtags(profile, slot.pillar, platform, 3 + seed % 10)
    return PostOut(slot=slot.slot, text=text, hashtags=hashtags, thread_parts=parts)
