"""What a flow-running command shows while the flow runs: a spinner and one line per HTTP retry.

Prefect logs every task's start and end (about 160 INFO lines for the demo, and a traceback per
failed task and flow), which drowns the command's own summary. Those logs still reach the Prefect
API, so the UI shows them all; only the terminal is spared, unless `--verbose` asks for them.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from typing import Iterator

from rich.console import Console
from rich.markup import escape

SILENT = logging.CRITICAL + 1


class _RetryLines(logging.Handler):
    """A feed's retry warnings (feeds.http) as one short line each, above the spinner."""

    def __init__(self, console: Console):
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(f"[yellow]retry:[/] {escape(record.getMessage())}", highlight=False, soft_wrap=True)


def prefect_console_handlers() -> list[logging.Handler]:
    """Prefect's console handlers, set up now if they were not yet (so the first log line is covered)."""
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
    return list({id(h): h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)}.values())


def quiet_prefect_console() -> None:
    """Prefect prints nothing to the terminal from now on (its logs still go to the API and the UI).

    Not undone at the end of the command: Prefect's temporary server logs its stop at exit.
    """
    for handler in prefect_console_handlers():
        handler.setLevel(SILENT)


@contextmanager
def flow_console(console: Console, activity: str, verbose: bool = False) -> Iterator[None]:
    """Run a flow under this: Prefect's console logs only with `verbose`; else a spinner (in a terminal)
    naming `activity`, and HTTP retries one line each."""
    if verbose:
        yield
        return
    quiet_prefect_console()
    retries = _RetryLines(console)
    http_log = logging.getLogger("feeds.http")
    http_log.addHandler(retries)  # still propagates: Prefect sends it to the run's logs in the UI
    spinner = console.status(escape(activity)) if console.is_terminal else nullcontext()
    try:
        with spinner:
            yield
    finally:
        http_log.removeHandler(retries)
