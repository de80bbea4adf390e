"""The archive feed: snapshot files a person saved (text page copies, and saved payloads of other feeds)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from feeds import text_page
from feeds.base import Payload
from feeds.formats import detect_format
from transforms.dates import resolve_snapshot_date

NAME = "archive"


class SnapshotFileError(FileNotFoundError):
    pass


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
    format = detect_format(content)
    saved_on = datetime.fromtimestamp(path.stat().st_mtime).date()
    month_day = text_page.page_month_day(content) if format == text_page.FORMAT else None
    return Payload(
        feed=NAME,
        source=str(path),
        format=format,
        content=content,
        snapshot_date=resolve_snapshot_date(snapshot_date, month_day, saved_on),
        fetched_at=fetched_at,
    )


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)
