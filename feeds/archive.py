"""Snapshot files a person saved: page copies (the `archive` feed) and saved answers of the live feeds.

A saved Hugging Face or arXiv API answer is filed under its own feed (`hf_daily`, `arxiv`) and the
list's date, so importing an archive of answers gives the same tables as fetching those days. The
date comes from the file name (`daily_papers_2024-03-12.json`) or `--date`, never from the items
(a list filed under D often holds papers published days before D) and never from the file's
modification time; a file that gives neither is refused by name.

A saved HF answer is stored in the compact form the live fetch stores (feeds.json_lists): a
re-indented copy then has the live fetch's bytes and content hash, so the same day imported and
fetched is one snapshot. Only whitespace between tokens and string escapes change, which carry
nothing a parser reads; the file itself, named in the snapshot's `source`, keeps its own layout.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from feeds import formats, text_page
from feeds.base import Payload
from transforms.dates import date_in_name, resolve_listing_date, resolve_snapshot_date

NAME = "archive"


class SnapshotFileError(FileNotFoundError):
    pass


class SnapshotDateError(ValueError):
    """A saved API answer whose list date neither its name nor --date gives (or they disagree)."""


def list_snapshot_files(paths: list[Path]) -> list[Path]:
    """Files as given, and every visible file below each folder, in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p.relative_to(path)))
        elif path.is_file():
            files.append(path)
        else:
            raise SnapshotFileError(f"{path}: no such file or folder")
    return files


def read_payload(path: Path, *, snapshot_date: date | None, fetched_at: datetime) -> Payload:
    content = path.read_bytes()
    payload_format = formats.detect(content)
    if payload_format.saved_feed is None:  # a page copy: --date, its date line, or the day it was saved
        saved_on = datetime.fromtimestamp(path.stat().st_mtime).date()
        listed_on = resolve_snapshot_date(snapshot_date, text_page.page_month_day(content), saved_on)
        return Payload(NAME, str(path), payload_format.name, content, listed_on, fetched_at)
    listed_on = saved_answer_date(path, payload_format.saved_feed, snapshot_date)
    stored = payload_format.canonical(content) if payload_format.canonical else content
    return Payload(payload_format.saved_feed, str(path), payload_format.name, stored, listed_on, fetched_at)


def saved_answer_date(path: Path, feed: str, snapshot_date: date | None) -> date:
    """The list date of a saved `feed` answer at `path`, or SnapshotDateError naming the file and the rule."""
    rule = "a saved API answer is filed under the date in its name (YYYY-MM-DD) or --date, never its items' dates"
    try:
        listed_on = resolve_listing_date(snapshot_date, date_in_name(path.name))
    except ValueError as err:
        raise SnapshotDateError(f"{path}: saved {feed} answer: {err}; {rule}") from None
    if listed_on is None:
        raise SnapshotDateError(f"{path}: saved {feed} answer with no date in its name and no --date; {rule}")
    return listed_on


def feed_of(payloads: list[Payload]) -> str | None:
    """The one feed a batch of payloads belongs to (for commit metadata); None if they are of several."""
    feeds = {p.feed for p in payloads}
    return feeds.pop() if len(feeds) == 1 else None


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)
