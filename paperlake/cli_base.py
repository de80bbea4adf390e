"""What every `paperlake` command shares: one-line errors instead of tracebacks, the checks made
before any work (is there a lake, a known feed, a usable output format), and help text that reads
like a person wrote it (no `<bool>`, `<str>` or `{paths}` from Typer's defaults).
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.exceptions import TyperException

try:  # plain values converted without importing Pydantic; it patches Typer's private converter, so a
    # Typer other than the one constraints.txt pins keeps its own (slower to start, same answers)
    from paperlake import cli_params  # noqa: F401
except (ImportError, AttributeError):
    pass

DEBUG_ENV = "PAPERLAKE_DEBUG"
err = Console(stderr=True, soft_wrap=True)
out = Console()
_debug = {"on": False}


def set_debug(on: bool) -> None:
    _debug["on"] = on


def debugging() -> bool:
    return _debug["on"] or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def one_line(error: BaseException) -> str:
    """The error's kind and the first line of its message: enough to act on, without the stack."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


# Typer's own signals (usage errors, Exit, Abort) and an interrupt are handled by Typer as usual.
_PASS_THROUGH = (TyperException, typer.Exit, typer.Abort, click.exceptions.ClickException, SystemExit, KeyboardInterrupt)


class OneLineErrors(TyperGroup):
    """An error a command did not expect prints one line and exits 1; `--debug` shows the traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except BaseException as error:  # also Rust panics from Polars, which are not Exceptions
            if debugging():
                raise
            err.print(f"[bold red]error:[/] {escape(one_line(error))} [dim](`paperlake --debug ...` shows the traceback)[/]", highlight=False)
            raise typer.Exit(1) from None


# --- what the commands check before any work -----------------------------------------------


def parse_date(value: str | None, flag: str):
    """A `YYYY-MM-DD` option as a date (None stays None); anything else is the option's error."""
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date of the form YYYY-MM-DD", param_hint=flag) from None


def emit(frame, fmt: str, out_file: Path | None = None, title: str | None = None) -> None:
    """A listing's rows in the chosen format, to stdout or --out (paperlake/output.py)."""
    from paperlake.output import emit as emit_frame

    emit_frame(frame, fmt, out, out_file, title)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def open_lake(lake: str | None):
    """The lake the user pointed at, after checking there is one (else exit 1 saying where we looked and why)."""
    from lake.locate import NoLakeError, check_lake, locate
    from lake.store import Lake

    location = locate(lake)
    try:
        check_lake(location)
    except NoLakeError as error:
        fail(str(error), code=1)
    return Lake(location.uri)


def print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"paperlake {version('paperlake')}")
        raise typer.Exit()


def check_out_of_lake(out_file: Path | None, lake_uri: str) -> None:
    """An output file inside the lake's folder could overwrite table data: refuse it."""
    if out_file is None or "://" in lake_uri:
        return
    root = Path(lake_uri).resolve()
    if out_file.resolve().is_relative_to(root):
        raise typer.BadParameter(f"{out_file} is inside the lake ({root}); write results elsewhere", param_hint="--out")


def output_format(format: str | None, out_file: Path | None, lake_uri: str) -> str:
    """The format to print or write (`--format`, else the --out file's extension), checked before any work."""
    from paperlake.output import OutputError, choose_format

    check_out_of_lake(out_file, lake_uri)
    try:
        return choose_format(format, out_file)
    except OutputError as error:
        raise typer.BadParameter(str(error), param_hint="--format") from None


def checked_feed(feed: str | None) -> str | None:
    """`--feed` names one of the feeds a lake holds; anything else would silently match nothing."""
    from feeds.registry import LIVE_FEEDS

    known = ("archive", *LIVE_FEEDS)
    if feed is not None and feed not in known:
        raise typer.BadParameter(f"unknown feed {feed!r}; the feeds are: {', '.join(known)}", param_hint="--feed")
    return feed


# --- help text: Typer 0.29 labels every option with its Python type; say it as a person would ---

_TYPE_WORDS = {"str": "TEXT", "int": "N", "float": "NUMBER", "path": "PATH", "int range": "N", "float range": "NUMBER"}


def _readable_type(param, ctx: click.Context) -> str | None:
    if param.metavar is not None:
        return param.metavar
    if getattr(param, "is_flag", False):
        return None  # a flag takes no value: nothing to show
    label = param.display_type(ctx).strip("<>")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    return _TYPE_WORDS.get(label, label.upper())


def _option_type(self, ctx: click.Context) -> str | None:
    word = _readable_type(self, ctx)
    return f"{word}..." if word and self.nargs not in (1, -1) and self.metavar is None else word


def _argument_usage(self) -> str:
    name = self.metavar or self.name.upper()
    name += "..." if self.nargs != 1 and not name.endswith("...") else ""
    return name if self.required else f"[{name}]"


def _argument_name(self) -> str:
    return self.metavar or self.name.upper() + ("..." if self.nargs != 1 else "")


TyperOption.display_type_rich = _option_type
TyperArgument.display_type_rich = lambda self, ctx: None  # the argument's name already says what it is
TyperArgument._usage_display_name = _argument_usage
TyperArgument._rich_display_name = _argument_name
