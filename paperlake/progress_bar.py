"""The terminal's progress bar for `paperlake backfill`, fed by the flow's in-process progress listener."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn


@contextmanager
def backfill_progress_bar(title: str, console: Console) -> Iterator[Callable]:
    """A bar on `console` while the block runs; yields the listener to register with flows.backfill_progress.progress_listener."""
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), TextColumn("{task.fields[step]}"))
    with Progress(*columns, console=console) as progress, prefect_logs_through(progress.console):
        # Until the flow starts, Prefect is starting its embedded server (several seconds).
        task_id = progress.add_task(escape(title), total=100.0, step="starting Prefect")

        def listen(state) -> None:
            step = f"{state.finished_count}/{state.total_count} feed-days · {state.last_step}"
            progress.update(task_id, completed=state.percent, step=escape(step))

        yield listen


@contextmanager
def prefect_logs_through(console: Console) -> Iterator[None]:
    """While the block runs, Prefect's console logging prints warnings and errors only, through `console`.

    Prefect's handler writes to the stream it was given at start-up, which would draw over a live
    bar; printing through the bar's console puts each line above it instead.
    """
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
    handlers = list({id(h): h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)}.values())
    saved = [(handler, handler.console, handler.level) for handler in handlers]
    for handler in handlers:
        handler.console = console
        handler.setLevel(max(handler.level, logging.WARNING))
    try:
        yield
    finally:
        for handler, old_console, level in saved:
            handler.console = old_console
            handler.setLevel(level)
