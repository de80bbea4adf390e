"""The options every `paperlake` command module shares, declared once so their flags and help agree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

LakeOption = Annotated[
    Optional[str],
    typer.Option("--lake", metavar="FOLDER|URI", help="Lake root: a folder or URI. Default: $PAPERLAKE_LAKE, else ./data/lake."),
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Also print Prefect's own logs: every task run, and the traceback of a failure.")
]
FeedsOption = Annotated[
    Optional[str], typer.Option("--feeds", metavar="FEED,FEED", help="Comma-separated live feeds. Default: hf_daily,arxiv.")
]
AsOfOption = Annotated[
    Optional[str],
    typer.Option("--as-of", metavar="VERSION|TIME", help="Read every table at this Delta version, or at this time (ISO 8601; no zone means UTC)."),
]
FormatOption = Annotated[
    Optional[str],
    typer.Option(
        "--format", "-f", metavar="table|csv|json|parquet",
        help="Output format. Default: the --out file's extension (.csv, .json, .parquet, .txt), else table.",
    ),
]
OutOption = Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", help="Write the result to this file instead of printing it.")]
SinceOption = Annotated[Optional[str], typer.Option("--since", metavar="YYYY-MM-DD", help="First day of the window, included.")]
UntilOption = Annotated[Optional[str], typer.Option("--until", metavar="YYYY-MM-DD", help="Last day of the window, included.")]
FeedOption = Annotated[Optional[str], typer.Option("--feed", metavar="FEED", help="Only sightings of this feed (archive, hf_daily, arxiv).")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1, help="At most this many rows.")]
