"""`paperlake show`: one paper's summary, sightings, versions and the history of its values.

Tables go through paperlake/output.py, so a terminal gets boxes as wide as it is and a pipe gets
whole rows; nothing here imports Prefect or GX.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from paperlake.output import print_frame


def print_paper(detail, console: Console) -> None:
    """The paper's summary, its sightings day by day, its versions, its values' history."""
    summary = detail.summary or {}
    console.print(f"[bold]{escape(summary.get('title') or detail.paper_id)}[/]", soft_wrap=True)
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
            console.print(f"  {label}: {escape(str(value))}", highlight=False, soft_wrap=True)
    if summary.get("abstract"):
        # Soft wrap when piped: the terminal (or the reader's pager) wraps, never a fixed 80 columns.
        console.print(f"\n{escape(summary['abstract'])}\n", highlight=False, soft_wrap=not console.is_terminal)
    # Each observation of each listing: how its upvotes and comments grew while the day settled.
    print_frame(console, detail.sightings.drop("title"), "observations: each listing as it was fetched")
    if detail.versions.height:
        print_frame(console, detail.versions, "arXiv versions")
    else:
        console.print("no arXiv version listed by any feed")
    print_frame(console, detail.values, "values, and when each first appeared")
