"""What a run leaves in the Prefect UI: artifacts under stable keys.

A key names one kind of artifact of one flow (`daily-summary`, `daily-new-papers`, ...), the same
in every run, so the UI's Artifacts page shows that artifact's history across runs, and a test or
a script finds it by key. Rendering (markdown text, table rows) is kept apart from publishing so it
can be checked without a Prefect server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import polars as pl
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.reports import LoadReport
from transforms.feed_days import DayChange
from lake.schemas import PAPERS
from lake.store import Lake

if TYPE_CHECKING:  # only a type here: loading flows need not import the maintenance code
    from lake.maintenance import TableMaintenance

# A table artifact is stored as one JSON document in the Prefect database; a backfill can find
# tens of thousands of new papers, and the UI pages through a few hundred at best.
NEW_PAPER_ROW_LIMIT = 500
NEW_PAPER_COLUMNS = ["paper_id", "title", "first_seen_date", "feeds", "arxiv_id"]


@dataclass(frozen=True)
class ArtifactKeys:
    """The stable keys of one flow's artifacts (lowercase letters, digits and dashes, as Prefect requires)."""

    summary: str
    new_papers: str
    data_docs: str
    progress: str  # the backfill's progress artifact

    @classmethod
    def of(cls, flow_name: str) -> ArtifactKeys:
        return cls(f"{flow_name}-summary", f"{flow_name}-new-papers", f"{flow_name}-data-docs", f"{flow_name}-progress")


# ---- loads (daily, backfill, ingest) ----


def publish_load_artifacts(
    flow_name: str,
    title: str,
    reports: dict[str, LoadReport],
    lake: Lake,
    failures: dict[str, str] | None = None,
    docs_index: str | Path | None = None,
    day_changes: list[DayChange] | None = None,
    notes: list[str] | None = None,
    new_paper_count: int | None = None,
) -> ArtifactKeys:
    """The summary, the new papers and the Data Docs link of a load, one report per feed.

    Call it before raising for failed feeds, so a partly failed run still shows what landed.
    `new_paper_count`: how many new papers the run found, when its reports keep only the first ones' ids.
    """
    keys = ArtifactKeys.of(flow_name)
    summary = summary_markdown(title, reports, failures or {})
    if day_changes is not None:
        summary += "\n\n" + feed_days_markdown(day_changes, notes or [])
    create_markdown_artifact(summary, key=keys.summary, description=f"{title}: what each feed loaded")
    # Dicts only for the rows shown: a long backfill finds millions of new papers
    papers, feed_of = new_papers_of(lake, reports)
    found_count = papers.height if new_paper_count is None else new_paper_count
    shown = paper_rows(papers.head(NEW_PAPER_ROW_LIMIT), feed_of)
    create_table_artifact(
        shown or {column: [] for column in ["feed", *NEW_PAPER_COLUMNS]},  # no rows, but the UI still shows the header
        key=keys.new_papers,
        description=f"{title}: {found_count} new paper(s)" + (f", the first {len(shown)} shown" if len(shown) < found_count else ""),
    )
    docs = docs_index or _first_docs_index(reports.values())
    if docs:
        from expectations.docs import summaries_markdown

        # The summary itself, readable in the UI; the Data Docs are a local file a browser will not open from it.
        summaries = [s for report in reports.values() for s in getattr(report, "validation", [])]
        create_markdown_artifact(
            f"# {title}: validation\n\n" + summaries_markdown(summaries, docs), key=keys.data_docs,
            description=f"{title}: rows in, passed, quarantined and rejected per table and feed-day",
        )
    return keys


def summary_markdown(title: str, reports: dict[str, LoadReport], failures: dict[str, str]) -> str:
    """Per feed: fetched, new and returning papers, quarantined rows; then the Delta version each table reached."""
    lines = [
        f"# {title}",
        "",
        "| feed | status | fetched | already ingested | rows read | new papers | returning papers | quarantined rows |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for feed, report in reports.items():
        status = "rejected: " + "; ".join(report.rejections) if report.rejections else "ok"
        rows_read = sum(s.row_count for s in report.snapshots)
        lines.append(
            f"| {feed} | {_cell(status)} | {len(report.snapshots)} | {len(report.skipped)} | {rows_read} "
            f"| {report.new_paper_count} | {report.updated_paper_count} | {report.quarantined_count} |"
        )
    for feed, message in failures.items():
        lines.append(f"| {feed} | {_cell('failed: ' + message)} | - | - | - | - | - | - |")
    lines += ["", *versions_markdown(reports)]
    return "\n".join(lines)


def feed_days_markdown(changes: list[DayChange], notes: list[str]) -> str:
    """Which feed-days the run fetched, which changed, which became final, and what it skipped and why."""
    lines = ["## Feed-days", ""]
    if changes:
        lines += ["| feed | day | fetch | rows now | status after | became final | problem |", "|---|---|---|---:|---|---|---|"]
        for c in changes:
            rows = "-" if c.row_count is None else str(c.row_count)
            lines.append(
                f"| {c.feed} | {c.snapshot_date} | {c.outcome} | {rows} | {c.status} | {'yes' if c.became_final else ''} | {_cell(c.error or '')} |"
            )
    else:
        lines.append("No feed-day was due: every day up to the newest one that can have content is final.")
    for note in notes:
        lines += ["", f"Skipped: {_cell(note)}"]
    return "\n".join(lines)


def versions_markdown(reports: dict[str, LoadReport]) -> list[str]:
    """Which Delta version each table had after each feed's load: `paperlake history TABLE` leads on from there."""
    tables = sorted({name for r in reports.values() for name in r.table_versions})
    if not tables:
        return ["No table was written."]
    lines = ["## Delta versions", "", "| feed | " + " | ".join(tables) + " |", "|---|" + "---:|" * len(tables)]
    for feed, report in reports.items():
        lines.append(f"| {feed} | " + " | ".join(str(report.table_versions.get(t, "-")) for t in tables) + " |")
    return lines


def new_paper_rows(lake: Lake, reports: dict[str, LoadReport], limit: int | None = None) -> list[dict]:
    """The papers each feed saw first (the first `limit` of them), with titles from the lake, in JSON-ready values."""
    papers, feed_of = new_papers_of(lake, reports)
    return paper_rows(papers if limit is None else papers.head(limit), feed_of)


def new_papers_of(lake: Lake, reports: dict[str, LoadReport]) -> tuple[pl.DataFrame, dict[str, str]]:
    """The lake's rows of the reports' new papers, earliest first seen first; and each one's feed."""
    feed_of = {pid: feed for feed, r in reports.items() for pid in r.new_paper_ids}
    if not feed_of:
        return pl.DataFrame(schema=NEW_PAPER_COLUMNS), feed_of
    papers = (
        lake.scan(PAPERS.name)
        .filter(pl.col("paper_id").is_in(list(feed_of)))
        .select(NEW_PAPER_COLUMNS)
        .sort("first_seen_date", "paper_id")
        .collect()
    )
    return papers, feed_of


def paper_rows(papers: pl.DataFrame, feed_of: dict[str, str]) -> list[dict]:
    return [{"feed": feed_of[row["paper_id"]], **{k: _json_value(v) for k, v in row.items()}} for row in papers.iter_rows(named=True)]


def docs_link(docs_index: str | Path) -> str:
    text = str(docs_index)
    return text if "://" in text else Path(text).resolve().as_uri()


def _first_docs_index(reports: Iterable[LoadReport]) -> str | None:
    # LoadReport.docs_index: where the load's validation pages were built, if they were.
    return next((r.docs_index for r in reports if getattr(r, "docs_index", None)), None)


def _json_value(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


# ---- maintenance ----


def publish_maintenance_summary(results: list[TableMaintenance], retention_days: int) -> str:
    key = ArtifactKeys.of("maintain").summary
    create_markdown_artifact(
        maintenance_markdown(results, retention_days), key=key, description="maintain: files and bytes before and after"
    )
    return key


def maintenance_markdown(results: list[TableMaintenance], retention_days: int) -> str:
    rows = maintenance_rows(results)
    columns = list(rows[0]) if rows else ["table"]
    lines = [
        f"# maintain (time travel kept for {retention_days} day(s))",
        "",
        "| " + " | ".join(columns) + " |",
        "|---|" + "---:|" * (len(columns) - 1),
        *("| " + " | ".join(row.values()) + " |" for row in rows),
        "",
        "Live: the files of the current version. Stored: every data file on disk, older versions' too (n/a on object stores).",
    ]
    return "\n".join(lines)


def maintenance_rows(results: list[TableMaintenance]) -> list[dict[str, str]]:
    """One row per table, before → after; the artifact and the terminal show the same cells."""
    return [
        {
            "table": r.table,
            "live files": f"{r.before.live_file_count} → {r.after.live_file_count}",
            "live bytes": f"{_bytes(r.before.live_byte_count)} → {_bytes(r.after.live_byte_count)}",
            "stored files": f"{_maybe(r.before.stored_file_count)} → {_maybe(r.after.stored_file_count)}",
            "stored bytes": f"{_bytes(r.before.stored_byte_count)} → {_bytes(r.after.stored_byte_count)}",
            "vacuumed files": str(r.vacuumed_file_count),
            "version": f"{r.version_before} → {r.version_after}",
        }
        for r in results
    ]


def _maybe(value: int | None) -> str:
    return "n/a" if value is None else str(value)


def _bytes(count: int | None) -> str:
    if count is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"
