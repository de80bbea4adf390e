"""The report's day-by-day charts over a long window: a bar a week or a month, adding up to the same
listings (no browser: the figures' own data; tests/test_report.py draws pages in Chromium)."""

from datetime import date, datetime, timezone

import polars as pl

from lake import report_frames
from lake.queries import Window
from paperlake.report import ReportData, charts, render_html
from tests.lake.test_report_frames import random_sightings
from transforms.papers import summarize_papers


def report_data(sightings: pl.DataFrame) -> ReportData:
    frames = report_frames.report_frames(sightings.lazy(), summarize_papers(sightings).lazy(), Window(), 10)
    quarantine = pl.DataFrame(schema={"rule": pl.String, "table": pl.String, "row_count": pl.Int32})
    return ReportData(Window(), frames.per_day, frames.new_returning, frames.stays, frames.top, frames.upvotes, quarantine,
                      frames.sighting_count, frames.snapshot_dates)


def bars(figure) -> list[tuple]:
    return [(x, y) for trace in figure.data for x, y in zip(trace.x, trace.y, strict=True)]


def test_sixteen_months_are_drawn_a_bar_a_week_adding_up_to_every_listing():
    data = report_data(random_sightings(7))
    by_id = {chart.chart_id: chart for chart in charts(data)}
    per_week = by_id["papers-per-day"]
    assert per_week.heading == "Papers per week, by feed" and "added up per week" in per_week.note
    drawn = bars(per_week.figure)
    assert {x.weekday() for x, _ in drawn} == {0}  # each bar dated by its week's Monday
    weeks = data.per_day.select(pl.col("snapshot_date").dt.truncate("1w"), "feed").unique().height
    assert len(drawn) == weeks < data.per_day.height
    assert sum(y for _, y in drawn) == data.sighting_count
    new_returning = bars(by_id["new-vs-returning"].figure)
    assert sum(y for _, y in new_returning) == data.new_returning["paper_count"].sum()
    assert per_week.figure.layout.yaxis.title.text == "papers listed, days added up per week"


def test_ten_years_are_a_bar_a_month_and_the_page_stays_small():
    days = pl.date_range(date(2016, 1, 1), date(2025, 12, 31), eager=True)
    per_day = pl.DataFrame({"snapshot_date": pl.concat([days, days]), "feed": ["arxiv"] * len(days) + ["hf_daily"] * len(days)}).with_columns(
        pl.lit(7, pl.Int32).alias("paper_count")
    ).sort("snapshot_date", "feed")
    new_returning = per_day.select("snapshot_date", pl.lit("new").alias("kind"), "paper_count")
    data = report_data(random_sightings(8, paper_count=20))
    data = ReportData(Window(), per_day, new_returning, data.stays, data.top, data.upvotes, data.quarantine,
                      int(per_day["paper_count"].sum()), (days[0], days[-1]))
    chart = charts(data)[0]
    assert chart.heading == "Papers per month, by feed" and len(bars(chart.figure)) == 240  # 120 months, two feeds
    assert sum(y for _, y in bars(chart.figure)) == 7 * 2 * len(days)
    page = render_html(data, "lake", datetime(2026, 1, 1, tzinfo=timezone.utc))
    charts_part = page.split("</script>", 1)[1]  # after plotly.js: the page's own markup and chart data
    assert len(charts_part) < 150_000
