"""How the read-only commands print their frames: a terminal table, CSV, JSON or Parquet.

Kept out of cli.py so the command bodies stay short; nothing here imports Prefect or GX.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

OUTPUT_FORMATS = ("table", "csv", "json", "parquet")
TITLE_WIDTH = 70


def flat(frame: pl.DataFrame) -> pl.DataFrame:
    """List columns joined with ', ' (CSV has no lists; a terminal reads them better so)."""
    return frame.with_columns(pl.col(name).list.join(", ") for name, dtype in frame.schema.items() if isinstance(dtype, pl.List))


def shortened(frame: pl.DataFrame, column: str = "title", width: int = TITLE_WIDTH) -> pl.DataFrame:
    if column not in frame.columns:
        return frame
    long = pl.col(column).str.len_chars() > width
    return frame.with_columns(pl.when(long).then(pl.col(column).str.slice(0, width - 1) + "…").otherwise(pl.col(column)).alias(column))


def _keeps_whole(name: str) -> bool:
    """Ids, dates and times are copied into the next command: fold them, never cut them short."""
    return name.endswith(("_id", "_date", "_at"))


def rich_table(frame: pl.DataFrame, title: str | None = None) -> Table:
    cells = flat(frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")))
    table = Table(title=title)
    for name in cells.columns:
        if _keeps_whole(name):
            table.add_column(name, overflow="fold", min_width=10 if name.endswith("_date") else None)
        else:
            table.add_column(name, overflow="fold")
    for row in cells.iter_rows():
        table.add_row(*("" if v is None else escape(str(v)) for v in row))
    return table


def emit(frame: pl.DataFrame, fmt: str, console: Console, out_path: Path | None = None, title: str | None = None) -> None:
    """Print `frame` in `fmt`, or write it to `out_path` (then say so on the console)."""
    from lake.sql import encode

    if fmt == "table":
        if out_path is None:
            console.print(rich_table(shortened(frame), title))
            console.print(f"({frame.height} row{'s' if frame.height != 1 else ''})")
        else:
            with out_path.open("w", encoding="utf-8") as handle:
                Console(file=handle, width=250, no_color=True).print(rich_table(frame, title))
        _say_written(console, frame, out_path)
        return
    payload = encode(flat(frame) if fmt == "csv" else frame, fmt)
    if out_path is None:
        typer.echo(payload.decode(), nl=False)
    else:
        out_path.write_bytes(payload)
        _say_written(console, frame, out_path)


def _say_written(console: Console, frame: pl.DataFrame, out_path: Path | None) -> None:
    if out_path is not None:
        console.print(f"wrote {frame.height} row{'s' if frame.height != 1 else ''} to {escape(str(out_path))}")


def print_paper(detail, console: Console) -> None:
    """`paperlake show`: the paper's summary, its sightings day by day, its versions, its values' history."""
    summary = detail.summary or {}
    console.print(f"[bold]{escape(summary.get('title') or detail.paper_id)}[/]")
    facts = {
        "paper_id": detail.paper_id,
        "arxiv_id": summary.get("arxiv_id"),
        "first seen": summary.get("first_seen_date"),
        "last seen": summary.get("last_seen_date"),
        "days seen": summary.get("days_seen"),
        "listings": summary.get("sighting_count"),
        "feeds": ", ".join(summary.get("feeds") or []),
        "latest version": summary.get("latest_version"),
        "upvotes": summary.get("upvotes"),
        "comments": summary.get("comment_count"),
        "counts as of": summary.get("counts_observed_at"),
    }
    for label, value in facts.items():
        if value not in (None, ""):
            console.print(f"  {label}: {escape(str(value))}", highlight=False)
    if summary.get("abstract"):
        console.print(f"\n{escape(summary['abstract'])}\n", highlight=False)
    # Each observation of each listing: how its upvotes and comments grew while the day settled.
    console.print(rich_table(detail.sightings.drop("title"), title="observations: each listing as it was fetched"))
    if detail.versions.height:
        console.print(rich_table(detail.versions, title="arXiv versions"))
    else:
        console.print("no arXiv version listed by any feed")
    console.print(rich_table(shortened(detail.values, "value", 90), title="values, and when each first appeared"))
