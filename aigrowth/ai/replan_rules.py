"""Re-plan from results without an AI key: simple, explainable rules.

Input: the active strategy (StrategyOut shape) and the results digest of the period
(see aigrowth.strategy.replan.results_digest). Output: a ReplanOut whose changes each
cite the figures behind them, or None when the results support no change.

Rules (a group counts only with enough posts and a measured engagement rate):
- pillar shares move toward each pillar's rate relative to the overall rate, with a
  fifth of the posts kept equal across pillars for exploring;
- the clearly best platform gets one more post a week, a clearly weak one one less;
- posting times move to the best measured slots (local hours);
- a format that clearly outperforms is named in the tone's "do" list.
"""

from __future__ import annotations

import copy
from typing import Any

from aigrowth.ai.schemas import ReplanOut
from aigrowth.social.models import platform_label

MIN_POSTS = 10  # fewer published posts: too little data to learn from
MIN_GROUP_POSTS = 2
EXPLORE = 0.2  # share of posts spread equally over the pillars, whatever they scored
MIN_SHARE = 5
SHARE_STEP = 3  # smaller share moves are noise, not a change
BETTER, WORSE = 1.2, 0.6  # a group is clearly better / weaker than overall


def _pct(rate: float) -> str:
    return f"{rate:.1%}"


def _scored(groups: list[dict[str, Any]], min_posts: int = MIN_GROUP_POSTS) -> dict[str, Any]:
    return {
        g["key"]: g
        for g in groups
        if g.get("engagement_rate") is not None and int(g.get("posts") or 0) >= min_posts
    }


def _why(group: dict[str, Any], overall: float) -> str:
    return (
        f"{_pct(group['engagement_rate'])} engagement over {group['posts']} posts "
        f"vs {_pct(overall)} overall"
    )


def round_shares(weights: dict[str, float], total: int = 100) -> dict[str, int]:
    """Integer shares proportional to weights, each ≥ MIN_SHARE, summing to `total`."""
    keys = list(weights)
    free = total - MIN_SHARE * len(keys)
    mass = sum(weights.values()) or 1.0
    raw = {k: free * weights[k] / mass for k in keys}
    shares = {k: MIN_SHARE + int(raw[k]) for k in keys}
    rest = total - sum(shares.values())
    for k in sorted(keys, key=lambda k: raw[k] - int(raw[k]), reverse=True)[:rest]:
        shares[k] += 1
    return shares


def _pillar_changes(
    strategy: dict[str, Any], results: dict[str, Any], overall: float
) -> list[dict[str, str]]:
    pillars = strategy["pillars"]
    scored = _scored(results.get("pillars") or [])
    known = [p for p in pillars if p["name"] in scored]
    if len(known) < 2:
        return []
    weights = {}
    for p in pillars:
        factor = scored[p["name"]]["engagement_rate"] / overall if p["name"] in scored else 1.0
        weights[p["name"]] = p["share"] * max(factor, 0.1)
    mass = sum(weights.values())
    mixed = {name: (1 - EXPLORE) * w / mass + EXPLORE / len(pillars) for name, w in weights.items()}
    new = round_shares(mixed)
    changes = []
    for p in pillars:
        old, after = p["share"], new[p["name"]]
        if abs(after - old) < SHARE_STEP:
            continue
        group = scored.get(p["name"])
        why = _why(group, overall) if group else "no measured results yet; share rebalanced"
        changes.append(
            {
                "area": "pillars",
                "item": p["name"],
                "before": f"{old}%",
                "after": f"{after}%",
                "why": why,
            }
        )
    if changes:  # untouched pillars keep the rounding consistent (sum stays 100)
        for p in pillars:
            p["share"] = new[p["name"]]
    return changes


def _cadence_changes(
    strategy: dict[str, Any], results: dict[str, Any], overall: float
) -> list[dict[str, str]]:
    scored = _scored(results.get("platforms") or [], min_posts=3)
    changes = []
    for cad in strategy["cadence"]:
        group = scored.get(cad["platform"])
        if group is None:
            continue
        rate, old = group["engagement_rate"], cad["posts_per_week"]
        after = old
        if rate >= BETTER * overall and old < 21:
            after = old + 1
        elif rate <= WORSE * overall and old > 1:
            after = old - 1
        if after != old:
            cad["posts_per_week"] = after
            changes.append(
                {
                    "area": "cadence",
                    "item": platform_label(cad["platform"]),
                    "before": f"{old} posts/week",
                    "after": f"{after} posts/week",
                    "why": _why(group, overall),
                }
            )
    return changes


def _time_changes(
    strategy: dict[str, Any], results: dict[str, Any], overall: float
) -> list[dict[str, str]]:
    slots = [
        s
        for s in results.get("slots") or []
        if s.get("engagement_rate") is not None
        and int(s.get("posts") or 0) >= MIN_GROUP_POSTS
        and s["engagement_rate"] >= BETTER * overall
    ]
    slots.sort(key=lambda s: s["engagement_rate"], reverse=True)
    hours: list[str] = []
    for s in slots:
        label = f"{int(s['hour']):02d}:00"
        if label not in hours:
            hours.append(label)
    hours = hours[:2]
    if not hours:
        return []
    best = slots[0]
    why = (
        f"{best['weekday']} {int(best['hour']):02d}:00 posts averaged "
        f"{_pct(best['engagement_rate'])} over {best['posts']} posts vs {_pct(overall)} overall"
    )
    changes = []
    for cad in strategy["cadence"]:
        old = list(cad.get("best_times") or [])
        if sorted(old) == sorted(hours):
            continue
        cad["best_times"] = sorted(hours)
        changes.append(
            {
                "area": "times",
                "item": platform_label(cad["platform"]),
                "before": ", ".join(old) or "—",
                "after": ", ".join(sorted(hours)),
                "why": why,
            }
        )
    return changes


def _format_changes(
    strategy: dict[str, Any], results: dict[str, Any], overall: float
) -> list[dict[str, str]]:
    scored = _scored(results.get("formats") or [])
    if len(scored) < 2:
        return []
    best = max(scored.values(), key=lambda g: g["engagement_rate"])
    if best["engagement_rate"] < BETTER * overall:
        return []
    advice = f"Use more {best['key']} posts: they perform best"
    do = strategy["tone"]["do"]
    if any(item.startswith(f"Use more {best['key']} posts") for item in do):
        return []
    strategy["tone"]["do"] = [*do, advice][-6:]
    return [
        {
            "area": "formats",
            "item": best["key"],
            "before": "no format preference",
            "after": f"more {best['key']} posts",
            "why": _why(best, overall),
        }
    ]


def offline_replan(strategy: dict[str, Any], results: dict[str, Any]) -> ReplanOut | None:
    """The next strategy version by the rules above; None when nothing should change.

    Raises ValueError when the results are too thin to learn from."""
    published = int(results.get("published_posts") or 0)
    overall = (results.get("overall") or {}).get("engagement_rate")
    if published < MIN_POSTS:
        raise ValueError(
            f"Only {published} post{'s' if published != 1 else ''} published in the last "
            f"{results.get('period_days', 90)} days: at least {MIN_POSTS} are needed to "
            "learn from results. Keep publishing and ask again."
        )
    if not overall:
        raise ValueError(
            "No engagement rate could be measured yet (the platforms reported no "
            "impressions). Ask again once figures have come in."
        )
    proposed = copy.deepcopy(strategy)
    changes = [
        *_pillar_changes(proposed, results, overall),
        *_cadence_changes(proposed, results, overall),
        *_time_changes(proposed, results, overall),
        *_format_changes(proposed, results, overall),
    ]
    if not changes:
        return None
    top = max(changes, key=lambda c: c["area"] == "pillars")
    summary = (
        f"From {published} posts ({_pct(overall)} average engagement): "
        f"{len(changes)} change{'s' if len(changes) != 1 else ''}, led by "
        f"{top['item']} ({top['before']} → {top['after']})."
    )
    return ReplanOut.model_validate(
        {"summary": summary, "changes": changes[:12], "strategy": proposed}
    )
