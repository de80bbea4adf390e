"""`paperlake report`: one self-contained HTML page of charts about a window of the lake.

Plotly, not Altair: Altair can inline its JavaScript only through vl-convert-python (a 30 MB
binary) and otherwise loads vega from a CDN, which a page opened offline cannot reach; plotly
ships plotly.js inside the wheel and `include_plotlyjs` inlines it, so the page needs no server
and no network. The page is about 5 MB, nearly all of it plotly.js, embedded once.

The numbers come from lake.report_frames (pure functions over LazyFrames); this module only draws.
Day-by-day charts over more than three months add their days up per week, over two years per month.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
from plotly.io.json import to_json_plotly
from plotly.offline import get_plotlyjs

from lake import queries
from lake.queries import Window
from lake.report_frames import by_period, period_for, report_frames
from lake.store import Lake

FEED_COLORS = {"hf_daily": "#f59e0b", "arxiv": "#b91c1c", "archive": "#2563eb"}
OTHER_COLORS = ["#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d"]
NEW_COLOR, RETURNING_COLOR = "#16a34a", "#94a3b8"
CHART_HEIGHT = 380
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


@dataclass(frozen=True)
class Chart:
    chart_id: str
    heading: str
    note: str
    figure: go.Figure


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, computed once from the lake."""

    window: Window
    per_day: pl.DataFrame
    new_returning: pl.DataFrame
    stays: pl.DataFrame
    top: pl.DataFrame
    upvotes: pl.DataFrame
    quarantine: pl.DataFrame
    sighting_count: int
    snapshot_dates: tuple  # first and last day with sightings in the window (None, None if none)


def collect(lake: Lake, window: Window, top_count: int) -> ReportData:
    papers = lake.scan("papers") if lake.has_table("papers") else None
    f = report_frames(lake.scan("sightings"), papers, window, top_count)
    quarantine = queries.quarantine_counts(lake.scan("quarantine"), window)
    return ReportData(window, f.per_day, f.new_returning, f.stays, f.top, f.upvotes, quarantine, f.sighting_count, f.snapshot_dates)


# --- charts -----------------------------------------------------------------------------------

def _short(title: str, width: int = 60) -> str:
    return title if len(title) <= width else title[: width - 1] + "…"


def _base_layout(figure: go.Figure, x_title: str, y_title: str, dates: bool = False) -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        height=CHART_HEIGHT,
        margin={"l": 70, "r": 20, "t": 20, "b": 60},
        legend={"orientation": "h", "y": -0.22},
        font={"family": "system-ui, sans-serif", "size": 13},
        hoverlabel={"namelength": -1},
    )
    figure.update_xaxes(title_text=x_title)
    figure.update_yaxes(title_text=y_title, rangemode="tozero")
    if dates:
        # Whole days, shown as dates: a bar per day, never hours on the axis.
        figure.update_xaxes(type="date", tickformat="%b %-d<br>%Y", hoverformat="%Y-%m-%d")
    return figure


DAY_MS = 86_400_000


def _day_ticks(figure: go.Figure, dates: list, pad_single_day: bool = False) -> go.Figure:
    """Over a short window plotly would tick every few hours and repeat each date: tick whole days.

    A line over one day gets a day either side (bars size themselves, and a forced range would
    shrink a lone bar to nothing)."""
    if dates and (max(dates) - min(dates)).days <= 14:
        figure.update_xaxes(dtick=DAY_MS, tick0=min(dates).isoformat())
        if pad_single_day and min(dates) == max(dates):
            figure.update_xaxes(range=[(min(dates) - timedelta(days=1)).isoformat(), (max(dates) + timedelta(days=1)).isoformat()])
    return figure


def _whole_counts(figure: go.Figure, counts: list[int], axis: str = "y") -> go.Figure:
    """Counts are whole numbers: no 0.5 ticks when the largest count is small."""
    if counts and max(counts) <= 10:
        (figure.update_yaxes if axis == "y" else figure.update_xaxes)(dtick=1, tick0=0)
    return figure


def _empty(figure: go.Figure, message: str) -> go.Figure:
    """A chart with nothing to show still draws, and says why it is empty."""
    figure.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font={"size": 18, "color": "#475569"})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def _feed_color(feed: str, index: int) -> str:
    return FEED_COLORS.get(feed, OTHER_COLORS[index % len(OTHER_COLORS)])


def papers_per_day_chart(per_day: pl.DataFrame, period: str = "day") -> go.Figure:
    figure = _base_layout(go.Figure(), "snapshot date", _listed(period), dates=True)
    shown = by_period(per_day, ["feed"], period)
    for index, feed in enumerate(sorted(shown["feed"].unique().to_list())):
        rows = shown.filter(pl.col("feed") == feed)
        figure.add_bar(
            x=rows["snapshot_date"].to_list(), y=rows["paper_count"].to_list(), name=feed,
            marker_color=_feed_color(feed, index), hovertemplate=_hover(period, "papers") + "<extra>" + feed + "</extra>",
        )
    figure.update_layout(barmode="stack", bargap=0.15)
    _day_ticks(figure, shown["snapshot_date"].to_list())
    _whole_counts(figure, shown.group_by("snapshot_date").agg(pl.col("paper_count").sum())["paper_count"].to_list())
    return figure if per_day.height else _empty(figure, "no sightings in this window")


def new_vs_returning_chart(new_returning: pl.DataFrame, period: str = "day") -> go.Figure:
    figure = _base_layout(go.Figure(), "snapshot date", _listed(period), dates=True)
    shown = by_period(new_returning, ["kind"], period)
    for kind, color, label in (("new", NEW_COLOR, "new (first seen that day)"), ("returning", RETURNING_COLOR, "returning (seen before)")):
        rows = shown.filter(pl.col("kind") == kind)
        figure.add_bar(
            x=rows["snapshot_date"].to_list(), y=rows["paper_count"].to_list(), name=label, marker_color=color,
            hovertemplate=_hover(period, kind + " papers") + "<extra></extra>",
        )
    figure.update_layout(barmode="stack", bargap=0.15)
    _day_ticks(figure, shown["snapshot_date"].to_list())
    _whole_counts(figure, shown.group_by("snapshot_date").agg(pl.col("paper_count").sum())["paper_count"].to_list())
    return figure if new_returning.height else _empty(figure, "no sightings in this window")


def _listed(period: str) -> str:
    return "papers listed" if period == "day" else f"papers listed, days added up per {period}"


def _hover(period: str, what: str) -> str:
    when = {"day": "%{x}", "week": "week of %{x|%Y-%m-%d}", "month": "%{x|%B %Y}"}[period]
    return when + ": %{y} " + what


def stay_lengths_chart(stays: pl.DataFrame) -> go.Figure:
    figure = _base_layout(go.Figure(), "days on the list (distinct days seen in the window)", "papers")
    figure.add_bar(
        x=stays["days_seen"].to_list(), y=stays["paper_count"].to_list(), marker_color="#2563eb", name="papers",
        hovertemplate="%{y} papers seen on %{x} day(s)<extra></extra>",
    )
    figure.update_xaxes(dtick=1 if stays.height and stays["days_seen"].max() <= 31 else None, tick0=1)
    _whole_counts(figure, stays["paper_count"].to_list())
    return figure if stays.height else _empty(figure, "no sightings in this window")


def top_papers_chart(top: pl.DataFrame) -> go.Figure:
    figure = _base_layout(go.Figure(), "days on the list", "")
    labels = [_short(t, 55) for t in top["title"].to_list()]
    figure.add_bar(
        x=top["days_seen"].to_list(), y=labels, orientation="h", marker_color="#7c3aed", name="days on the list",
        customdata=list(zip(top["paper_id"].to_list(), top["title"].to_list(), top["upvotes"].to_list(), strict=True)),
        hovertemplate="%{customdata[1]}<br>%{customdata[0]}: %{x} days, upvotes %{customdata[2]}<extra></extra>",
    )
    figure.update_yaxes(autorange="reversed", automargin=True)  # the most recurring on top
    _whole_counts(figure, top["days_seen"].to_list(), axis="x")
    figure.update_layout(height=max(CHART_HEIGHT, 60 + 28 * top.height), margin={"l": 20})
    return figure if top.height else _empty(figure, "no papers in this window")


def upvotes_chart(upvotes: pl.DataFrame) -> go.Figure:
    figure = _base_layout(go.Figure(), "snapshot date", "upvotes", dates=True)
    for paper_id in upvotes["paper_id"].unique(maintain_order=True).to_list():
        rows = upvotes.filter(pl.col("paper_id") == paper_id).sort("snapshot_date")
        title = rows["title"][0]
        figure.add_scatter(
            x=rows["snapshot_date"].to_list(), y=rows["upvotes"].to_list(), mode="lines+markers", name=_short(title, 45),
            hovertemplate="%{x}: %{y} upvotes<extra>" + html.escape(_short(title, 45)) + "</extra>",
        )
    # Always a legend, even for one paper: the line must say whose upvotes it shows.
    figure.update_layout(legend={"orientation": "v", "y": 1, "x": 1.02}, margin={"r": 260}, showlegend=True)
    _day_ticks(figure, upvotes["snapshot_date"].to_list(), pad_single_day=True)
    return figure if upvotes.height else _empty(figure, "no upvotes in this window (only the hf_daily feed has them)")


def quarantine_chart(quarantine: pl.DataFrame) -> go.Figure:
    figure = _base_layout(go.Figure(), "quarantined rows", "")
    for index, table in enumerate(sorted(quarantine["table"].unique().to_list())):
        rows = quarantine.filter(pl.col("table") == table)
        figure.add_bar(
            x=rows["row_count"].to_list(), y=rows["rule"].to_list(), orientation="h", name=f"table {table}",
            marker_color=OTHER_COLORS[index % len(OTHER_COLORS)], hovertemplate="%{y}: %{x} rows<extra>" + table + "</extra>",
        )
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_layout(barmode="stack", showlegend=True, bargap=0.35)
    _whole_counts(figure, quarantine.group_by("rule").agg(pl.col("row_count").sum())["row_count"].to_list(), axis="x")
    return figure if quarantine.height else _empty(figure, "no quarantined rows")


def charts(data: ReportData) -> list[Chart]:
    period = period_for(*data.snapshot_dates)
    summed = "." if period == "day" else f", added up per {period} (a paper listed on three days counts three times)."
    return [
        Chart("papers-per-day", f"Papers per {period}, by feed", "Distinct papers each feed listed each day" + summed, papers_per_day_chart(data.per_day, period)),
        Chart("new-vs-returning", "New versus returning papers", "A paper is new on the first day the lake ever saw it" + summed, new_vs_returning_chart(data.new_returning, period)),
        Chart("days-on-list", "How long papers stay on the list", "Papers by the number of distinct days they were listed in this window.", stay_lengths_chart(data.stays)),
        Chart("top-papers", "Top recurring papers", "Most days on the list in this window; ties broken by upvotes, then best rank.", top_papers_chart(data.top)),
        Chart("upvotes", "Upvote trajectories of the top papers", "Upvotes each day, for the top recurring papers that have them.", upvotes_chart(data.upvotes)),
        Chart("quarantine", "Quarantined rows per rule", "Rows the validation gate held back in this window, by the rule they broke.", quarantine_chart(data.quarantine)),
    ]


# --- page -------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f8fafc; color: #0f172a; }
header { background: #0f172a; color: #f8fafc; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: #cbd5e1; }
main { max-width: 1150px; margin: 0 auto; padding: 16px 24px 40px; }
.figures { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0 16px; }
.figure { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.figure b { display: block; font-size: 22px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; margin: 16px 0; padding: 12px 16px; }
section h2 { margin: 0; font-size: 18px; }
section p { margin: 2px 0 4px; color: #475569; font-size: 14px; }
.chart { min-height: 300px; }
"""


def _figures_html(data: ReportData) -> str:
    figures = {
        "papers": data.stays["paper_count"].sum() if data.stays.height else 0,
        "sightings": data.sighting_count,
        "days with sightings": data.per_day["snapshot_date"].n_unique(),
        "new papers": data.new_returning.filter(pl.col("kind") == "new")["paper_count"].sum(),
        "quarantined rows": data.quarantine["row_count"].sum() if data.quarantine.height else 0,
    }
    return "".join(f'<div class="figure"><b>{value}</b>{html.escape(label)}</div>' for label, value in figures.items())


def _window_text(data: ReportData) -> str:
    first, last = data.snapshot_dates
    asked = f"{data.window.since_date or 'the start'} to {data.window.until_date or 'the latest snapshot'}"
    return f"snapshots of {first} to {last}" if first else f"no snapshots from {asked}"


# One chart at a time, the page painted between two: the first shows once drawn, not after all nine.
DRAW = """(function draw(charts, i) {
  if (i < charts.length) Plotly.newPlot(charts[i][0], charts[i][1], charts[i][2], CONFIG).then(() => setTimeout(() => draw(charts, i + 1), 0));
})(CHARTS, 0);"""


def render_html(data: ReportData, lake_uri: str, generated_at: datetime, extra: list[Chart] = ()) -> str:
    sections, calls = [], []
    for chart in [*charts(data), *extra]:
        figure = chart.figure.to_dict()
        height = figure["layout"].get("height", CHART_HEIGHT)
        calls.append(f'["{chart.chart_id}", {to_json_plotly(figure["data"])}, {to_json_plotly(figure["layout"])}]')
        sections.append(
            f'<section><h2>{html.escape(chart.heading)}</h2><p>{html.escape(chart.note)}</p><div class="chart-box" data-chart="{chart.chart_id}">'
            f'<div id="{chart.chart_id}" class="plotly-graph-div" style="height:{height}px; width:100%;"></div></div></section>'
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>paperlake report: {html.escape(_window_text(data))}</title>
<style>{STYLE}</style>
<script>{get_plotlyjs()}</script>
</head><body>
<header><h1>paperlake report</h1>
<p>{html.escape(_window_text(data))} &middot; lake {html.escape(lake_uri)} &middot; generated {generated_at:%Y-%m-%d %H:%M} UTC</p></header>
<main><div class="figures">{_figures_html(data)}</div>
{''.join(sections)}
</main><script>{DRAW.replace("CONFIG", json.dumps(PLOT_CONFIG)).replace("CHARTS", "[" + ",".join(calls) + "]")}</script></body></html>
"""


def write_report(lake: Lake, out_path: Path, window: Window, top_count: int, generated_at: datetime, paper_id: str | None = None) -> str:
    """Write the page; return a one-line summary of what it shows. `paper_id`: whose upvote trajectory
    to draw (default: the window's most upvoted paper)."""
    from paperlake.report_gold import collect_gold, gold_charts

    data = collect(lake, window, top_count)
    extra = gold_charts(collect_gold(lake, window, top_count, paper_id), Chart)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(render_html(data, lake.uri, generated_at, extra), encoding="utf-8")
    return f"{_window_text(data)}, {data.sighting_count} sightings"
