"""Plotly figures of the analytics page, built from the query results (no database).

rx.plotly switches the plotly/plotly_dark template with the colour mode; figures keep
transparent backgrounds so they sit on the card in both, a compact margin and a legend
below the plot so they stay readable at phone width. Missing figures are gaps (None),
never zeros.
"""

from __future__ import annotations

from collections import defaultdict

import plotly.graph_objects as go

from aigrowth.analytics.queries import WEEKDAYS, DayPoint, FollowerPoint, Group, HeatCell
from aigrowth.social.models import platform_label

ACCENT = "#12a594"  # teal 9 (the app's accent)
SECOND = "#8e4ec6"  # purple 9
CONFIG = {"displayModeBar": False, "responsive": True}


def _layout(fig: go.Figure, *, height: int = 280, **extra: object) -> go.Figure:
    layout: dict[str, object] = {
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2, "x": 0},
        "font": {"size": 12},
        "hovermode": "x unified",
    }
    fig.update_layout(**{**layout, **extra})
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True, rangemode="tozero")
    return fig


def daily_figure(points: list[DayPoint]) -> go.Figure:
    days = [p.day.isoformat() for p in points]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=days,
            y=[p.impressions for p in points],
            name="Impressions",
            mode="lines+markers",
            line={"color": ACCENT},
            connectgaps=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=days,
            y=[p.engagements for p in points],
            name="Engagements",
            mode="lines+markers",
            line={"color": SECOND},
            yaxis="y2",
            connectgaps=False,
        )
    )
    return _layout(
        fig,
        yaxis={"title": {"text": "Impressions"}},
        yaxis2={"title": {"text": "Engagements"}, "overlaying": "y", "side": "right"},
    )


def followers_figure(points: list[FollowerPoint]) -> go.Figure:
    series: dict[str, list[FollowerPoint]] = defaultdict(list)
    for p in points:
        series[p.account].append(p)
    fig = go.Figure()
    for account, rows in series.items():
        fig.add_trace(
            go.Scatter(
                x=[r.day.isoformat() for r in rows],
                y=[r.followers for r in rows],
                name=account,
                mode="lines+markers",
            )
        )
    return _layout(fig)


def _key_label(by: str, key: str) -> str:
    if by == "platform":
        return platform_label(key)
    return key.capitalize() if by == "format" else key


def breakdown_figure(by: str, groups: list[Group]) -> go.Figure:
    """Engagement rate per group (horizontal bars), with the posts each rests on."""
    rated = [g for g in groups if g.engagement_rate is not None][::-1]
    fig = go.Figure(
        go.Bar(
            x=[round(100 * (g.engagement_rate or 0), 2) for g in rated],
            y=[_key_label(by, g.key) for g in rated],
            orientation="h",
            marker={"color": ACCENT},
            text=[f"{100 * (g.engagement_rate or 0):.1f}% · {g.posts} posts" for g in rated],
            textposition="auto",
            hovertemplate="%{y}: %{x:.2f}%<extra></extra>",
        )
    )
    return _layout(
        fig,
        height=max(160, 48 * len(rated) + 40),
        hovermode="closest",
        xaxis={"title": {"text": "Engagement rate (%)"}},
    )


def heatmap_figure(cells: list[HeatCell]) -> go.Figure:
    """Weekday-by-hour engagement rate; each cell says how many posts it rests on."""
    hours = sorted({c.hour for c in cells}) or list(range(24))
    grid: list[list[float | None]] = [[None] * len(hours) for _ in WEEKDAYS]
    text: list[list[str]] = [[""] * len(hours) for _ in WEEKDAYS]
    for c in cells:
        col = hours.index(c.hour)
        grid[c.weekday][col] = None if c.engagement_rate is None else 100 * c.engagement_rate
        rate = "no rate" if c.engagement_rate is None else f"{100 * c.engagement_rate:.1f}%"
        text[c.weekday][col] = f"{rate}, {c.posts} post{'s' * (c.posts != 1)}"
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=[f"{h:02d}:00" for h in hours],
            y=list(WEEKDAYS),
            text=text,
            texttemplate="%{text}" if len(hours) <= 6 else None,
            hovertemplate="%{y} %{x}: %{text}<extra></extra>",
            colorscale="Teal",
            hoverongaps=False,
            colorbar={"title": {"text": "%"}, "thickness": 10},
        )
    )
    return _layout(fig, height=300, hovermode="closest", yaxis={"autorange": "reversed"})
