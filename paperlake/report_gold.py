"""The report's sections about people and topics (issue 15): top authors of the window, rising topics,
and one paper's upvotes at every observation the lake made of it.

Numbers come from the gold tables and transforms.gold; this module only reads and draws. A lake no
load has given gold tables yet still gets the sections, each saying why it is empty.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go
import polars as pl

from lake.gold import author_papers_in_window
from lake.queries import Window
from lake.store import Lake
from paperlake.report import _base_layout as _layout
from paperlake.report import _empty
from transforms.gold import ARXIV_CATEGORY, authors_in_window, ranked_authors, rising_topics, week_of

KIND_COLORS = {ARXIV_CATEGORY: "#b91c1c", "hf_keyword": "#f59e0b"}
RECENT_WEEKS, EARLIER_WEEKS = 2, 6


@dataclass(frozen=True)
class GoldData:
    authors: pl.DataFrame  # the window's top authors
    rising: pl.DataFrame  # rising topics through the window's last week
    through_week: date | None
    trajectory: pl.DataFrame  # observed_at, upvotes, feed of one paper
    trajectory_title: str | None


def collect_gold(lake: Lake, window: Window, top_count: int, paper_id: str | None = None) -> GoldData:
    authors = pl.DataFrame()
    whole = window.since_date is None and window.until_date is None
    if lake.has_table("authors") and whole:  # the table's own rows: ranked without reading them all into memory
        authors = ranked_authors(authors_in_window(lake.scan("authors"), None, None, None), "papers", top_count).collect()
    elif lake.has_table("authors"):
        entries = author_papers_in_window(lake, window.since_date, window.until_date)
        names = lake.scan("authors").select("author_key", "display_name").collect()  # all a window needs of them
        authors = ranked_authors(authors_in_window(names, entries, window.since_date, window.until_date), "papers", top_count)
    rising, through_week = pl.DataFrame(), None
    if lake.has_table("topics"):
        topics = lake.scan("topics").collect()
        if topics.height:
            through_week = pl.select(week_of(pl.lit(window.until_date))).item() if window.until_date else topics["week_start_date"].max()
            rising = rising_topics(topics, through_week, RECENT_WEEKS, EARLIER_WEEKS).head(top_count)
    # The whole lake's most upvoted sighting has at least the highest latest upvotes in `papers`: files
    # whose statistics say less are skipped.
    at_least = None
    if paper_id is None and whole and lake.has_table("papers"):
        at_least = lake.scan("papers").select(pl.col("upvotes").max()).collect().item()
    trajectory, title = upvote_observations(lake.scan("sightings"), window, paper_id, at_least)
    return GoldData(authors, rising, through_week, trajectory, title)


def upvote_observations(
    sightings: pl.LazyFrame, window: Window, paper_id: str | None, at_least: int | None = None
) -> tuple[pl.DataFrame, str | None]:
    """Every observation of one paper's upvotes (each fetch of a day that listed it), oldest first:
    the paper given, else the window's most upvoted (`at_least`: a count the most upvoted sighting
    is known to reach). Rows from before fetches were timed count at their day's midnight."""
    voted = sightings.filter(window.inside() & pl.col("upvotes").is_not_null())
    if paper_id is None:

        def most_upvoted(rows: pl.LazyFrame) -> pl.DataFrame:
            return rows.sort(["upvotes", "paper_id"], descending=[True, False]).select("paper_id").head(1).collect()

        best = pl.DataFrame() if at_least is None else most_upvoted(voted.filter(pl.col("upvotes") >= at_least))
        best = best if best.height else most_upvoted(voted)  # none reached it: `papers` said more than the sightings
        if best.is_empty():
            return pl.DataFrame(), None
        paper_id = best.item()
    rows = (
        sightings.filter((pl.col("paper_id") == paper_id) & pl.col("upvotes").is_not_null())
        .with_columns(pl.coalesce("fetched_at", pl.col("snapshot_date").cast(pl.Datetime("us", "UTC"))).alias("observed_at"))
        .sort("observed_at", "snapshot_id")
        .select("observed_at", "upvotes", "feed", "snapshot_date", "title")
        .unique(["observed_at", "upvotes"], keep="first", maintain_order=True)
        .collect()
    )
    return rows, (f"{rows['title'][-1]} ({paper_id})" if rows.height else None)


def top_authors_chart(authors: pl.DataFrame) -> go.Figure:
    figure = _layout(go.Figure(), "papers listed in the window", "")
    if authors.is_empty():
        return _empty(figure, "no authors in this window (hf_daily and arxiv list them; page copies do not)")
    figure.add_bar(
        x=authors["paper_count"].to_list(), y=authors["display_name"].to_list(), orientation="h", marker_color="#0891b2", name="papers",
        customdata=list(zip(authors["listing_count"].to_list(), authors["upvote_count"].to_list(), strict=True)),
        hovertemplate="%{y}: %{x} papers, %{customdata[0]} listings, %{customdata[1]} upvotes<extra></extra>",
    )
    figure.update_yaxes(autorange="reversed", automargin=True)
    if authors["paper_count"].max() <= 10:
        figure.update_xaxes(dtick=1, tick0=0)
    figure.update_layout(height=max(380, 60 + 28 * authors.height), margin={"l": 20})
    return figure


def rising_topics_chart(rising: pl.DataFrame) -> go.Figure:
    figure = _layout(go.Figure(), "growth: (papers a week, last 2 weeks + 1) / (papers a week, 6 weeks before + 1)", "")
    if rising.is_empty():
        return _empty(figure, "no topics yet (hf_daily keywords and arxiv categories make them)")
    for kind in sorted(rising["kind"].unique().to_list()):
        rows = rising.filter(pl.col("kind") == kind)
        figure.add_bar(
            x=rows["growth"].to_list(), y=[f"{t} " for t in rows["topic"].to_list()], orientation="h", name=kind,
            marker_color=KIND_COLORS.get(kind, "#7c3aed"),
            customdata=list(zip(rows["recent_papers_per_week"].to_list(), rows["earlier_papers_per_week"].to_list(), strict=True)),
            hovertemplate="%{y}: ×%{x} (%{customdata[0]} papers a week lately, %{customdata[1]} before)<extra>" + kind + "</extra>",
        )
    figure.update_yaxes(autorange="reversed", automargin=True, categoryorder="array", categoryarray=[f"{t} " for t in rising["topic"].to_list()])
    figure.update_layout(height=max(380, 60 + 28 * rising.height), margin={"l": 20}, showlegend=True)
    return figure


def trajectory_chart(trajectory: pl.DataFrame, title: str | None) -> go.Figure:
    figure = _layout(go.Figure(), "observed at (UTC)", "upvotes")
    if trajectory.is_empty():
        return _empty(figure, "no upvotes observed in this window (only the hf_daily feed has them)")
    figure.add_scatter(
        x=trajectory["observed_at"].to_list(), y=trajectory["upvotes"].to_list(), mode="lines+markers", line_shape="hv",
        name=html.escape(title or ""), hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y} upvotes<extra></extra>",
    )
    figure.update_xaxes(type="date", hoverformat="%Y-%m-%d %H:%M")
    return figure


def gold_charts(data: GoldData, chart_type):
    """The three sections as `chart_type` (report.Chart) records, in page order."""
    weeks = f"through the week of {data.through_week}" if data.through_week else "no weeks yet"
    return [
        chart_type("top-authors", "Top authors of the window", "Authors by papers listed in this window (an author is a name: accents and case ignored); hover for days and upvotes.", top_authors_chart(data.authors)),
        chart_type("rising-topics", "Rising topics", f"arXiv categories and Hugging Face keywords growing fastest, {weeks}: the last 2 weeks against the 6 before.", rising_topics_chart(data.rising)),
        chart_type("upvote-trajectory", "One paper's upvotes, observation by observation", f"{data.trajectory_title or 'No paper with upvotes'}: every fetch that listed it, in the order fetched.", trajectory_chart(data.trajectory, data.trajectory_title)),
    ]
