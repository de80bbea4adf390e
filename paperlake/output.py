"""How the listing commands print or write their frames: table, CSV, JSON or Parquet.

A terminal gets a boxed table as wide as the terminal, wrapped at word boundaries; anything else
(a pipe into `head` or `grep`, a file) gets whole rows, one line per row, in aligned columns, so a
title is never cut or split across lines. Nothing here imports Prefect or Great Expectations.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

FORMATS = ("table", "csv", "json", "parquet")
# `--out FILE` without `--format`: the file's extension says what to write.
TEXT_MIN_WIDTH = 10  # narrower than this, a title column reads as a list of words
EXTENSION_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".txt": "table", ".text": "table"}


class OutputError(ValueError):
    """A format and output file that do not go together; the message says why and what to give."""


def choose_format(fmt: str | None, out_path: Path | None) -> str:
    """The format to write: `--format` if given (checked against the file's extension), else the extension's."""
    if fmt is not None and fmt not in FORMATS:
        raise OutputError(f"{fmt!r} is not one of {', '.join(FORMATS)}")
    implied = EXTENSION_FORMATS.get(out_path.suffix.lower()) if out_path is not None else None
    if fmt is None:
        if out_path is None or implied is not None:
            return implied or "table"
        raise OutputError(
            f"cannot tell the format of {out_path} from its extension: give --format {'|'.join(FORMATS)}, "
            f"or name the file .csv, .json, .parquet or .txt"
        )
    if implied is not None and implied != fmt:
        raise OutputError(f"--format {fmt} does not match {out_path} (a {implied} file name): give --format {implied}, or rename the file")
    if fmt == "parquet" and out_path is None:
        raise OutputError("parquet is binary: give --out FILE.parquet")
    return fmt


# --- cells ------------------------------------------------------------------------------------


def _json_cell(value) -> str | None:
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False)


def _is_nested(dtype: pl.DataType) -> bool:
    return isinstance(dtype, (pl.List, pl.Array, pl.Struct)) or type(dtype).__name__ == "Map"


def _is_string_list(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List) and dtype.inner == pl.String


def portable(frame: pl.DataFrame) -> pl.DataFrame:
    """Binary values as hex (no text format holds raw bytes; Polars' JSON writer cannot)."""
    return frame.with_columns(pl.col(name).bin.encode("hex") for name, dtype in frame.schema.items() if dtype == pl.Binary)


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no lists or records: nested values become JSON text (`["a", "b"]`, `{"k": 1}`)."""
    frame = portable(frame)
    nested = [name for name, dtype in frame.schema.items() if _is_nested(dtype)]
    return frame.with_columns(pl.Series(name, [_json_cell(v) for v in frame[name].to_list()], dtype=pl.String) for name in nested)


def text_cells(frame: pl.DataFrame) -> list[list[str]]:
    """Every value as the text a person reads: lists of words joined with ', ', other nested values as
    JSON, times in ISO 8601 UTC, nothing as ''; line breaks become spaces so each row stays one line."""
    frame = portable(frame).with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
    columns = []
    for name, dtype in frame.schema.items():
        if _is_string_list(dtype):
            values = [None if v is None else ", ".join("" if x is None else x for x in v) for v in frame[name].to_list()]
        elif _is_nested(dtype):
            values = [_json_cell(v) for v in frame[name].to_list()]
        else:
            values = frame[name].to_list()
        columns.append(["" if v is None else " ".join(str(v).split()) if isinstance(v, str) else str(v) for v in values])
    return [list(row) for row in zip(*columns)] if columns else []


def encode(frame: pl.DataFrame, fmt: str) -> bytes:
    """The frame as csv, json (a list of objects), parquet, or whole-row text bytes."""
    if fmt == "csv":
        return csv_ready(frame).write_csv().encode()
    if fmt == "json":
        return (portable(frame).write_json() + "\n").encode()
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    if fmt == "table":
        return plain_rows(frame).encode()
    raise OutputError(f"{fmt!r} is not one of {', '.join(FORMATS)}")


# --- tables -----------------------------------------------------------------------------------


def plain_rows(frame: pl.DataFrame, title: str | None = None) -> str:
    """A header and one line per row, columns aligned by spaces, nothing cut (the last column is not padded)."""
    rows = [list(frame.columns), *text_cells(frame)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(frame.columns))]
    lines = [f"# {title}"] if title else []
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths)] + row[-1:]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines) + "\n"


def _keeps_whole(name: str) -> bool:
    """Ids, dates and times are copied into the next command: never wrapped or cut."""
    return name.endswith(("_id", "_date", "_at")) or name in ("version", "feed", "table")


def rich_table(frame: pl.DataFrame, title: str | None = None, width: int | None = None) -> Table:
    """A table for a terminal `width` columns wide: long text wraps between words.

    Ids, dates, times and short values keep their whole width (they are copied into the next
    command; a long header folds instead); text columns share what is left. No vertical rules: on an
    80-column terminal the text needs those columns more than a frame does.
    """
    cells = text_cells(frame)
    widths = column_widths(list(frame.columns), cells, width) if width else None
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False)
    for i, name in enumerate(frame.columns):
        table.add_column(name, overflow="fold", width=widths[i] if widths else None)
    for row in cells:
        table.add_row(*(escape(cell) for cell in row))
    return table


def _is_fixed(name: str, longest: int) -> bool:
    return _keeps_whole(name) or longest <= 8


def column_widths(names: list[str], cells: list[list[str]], width: int) -> list[int] | None:
    """Widths that fit `width`, or None when every column fits as it is.

    Raises OutputError when even the fixed columns and TEXT_MIN_WIDTH per text column do not fit.
    """
    longest = [max([1, *(len(row[i]) for row in cells)]) for i in range(len(names))]
    natural = [max(len(name), n) for name, n in zip(names, longest)]
    available = width - 3 * len(names)  # between two columns: a space of padding each side and the rule's place
    if sum(natural) <= available:
        return None
    widths = [max(n, 4) if _is_fixed(name, n) else 0 for name, n in zip(names, longest)]
    text = [i for i, w in enumerate(widths) if w == 0]
    left = available - sum(widths)
    floors = {i: min(longest[i], TEXT_MIN_WIDTH) for i in text}
    if left < sum(floors.values()):
        raise OutputError(f"a terminal {width} columns wide is too narrow for this table")
    wanted = sum(natural[i] for i in text) or 1
    for i in text:
        widths[i] = max(floors[i], min(natural[i], left * natural[i] // wanted))
    return widths


def print_frame(console: Console, frame: pl.DataFrame, title: str | None = None, listing: bool = False) -> None:
    """A frame on the console: a boxed table in a terminal, whole rows elsewhere.

    A listing (one frame per command) prints its row count in a terminal; piped, its title goes to
    stderr, so `| wc -l` and `| sort` see only the header and rows.
    """
    if console.is_terminal:
        try:
            console.print(rich_table(frame, title, console.width))
        except OutputError:  # too narrow for columns side by side: one record after another
            print_records(console, frame, title)
        if listing:
            console.print(f"({frame.height} row{'s' if frame.height != 1 else ''})")
        return
    if listing and title:
        Console(stderr=True, soft_wrap=True).print(f"# {escape(title)}", highlight=False)
    console.file.write(plain_rows(frame, None if listing else title))
    console.file.flush()


def print_rows(console: Console, columns: list[str], rows: list[list], title: str | None = None) -> None:
    """A small report table (a command's summary), printed as print_frame prints frames."""
    frame = pl.DataFrame([[None if v is None else str(v) for v in row] for row in rows], schema=columns, orient="row")
    print_frame(console, frame, title)


def print_records(console: Console, frame: pl.DataFrame, title: str | None = None) -> None:
    """Each row as `column: value` lines, a blank line between rows; the console wraps between words."""
    if title:
        console.print(f"[bold]{escape(title)}[/]")
    for row in text_cells(frame):
        for name, value in zip(frame.columns, row):
            console.print(f"[bold]{escape(name)}:[/] {escape(value)}", highlight=False)
        console.print()


def emit(frame: pl.DataFrame, fmt: str, console: Console, out_path: Path | None = None, title: str | None = None) -> None:
    """Print `frame` in `fmt`, or write it to `out_path` and say so."""
    if out_path is not None:
        out_path.write_bytes(encode(frame, fmt))
        console.print(f"wrote {frame.height} row{'s' if frame.height != 1 else ''} to {escape(str(out_path))}", highlight=False)
    elif fmt == "table":
        print_frame(console, frame, title, listing=True)
    elif fmt == "parquet":
        raise OutputError("parquet is binary: give --out FILE.parquet")
    else:
        console.file.write(encode(frame, fmt).decode())
        console.file.flush()
