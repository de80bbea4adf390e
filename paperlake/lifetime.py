"""How long a command and what it started live: signals, and Prefect's temporary API server.

- Ctrl-C and SIGTERM (to the process or its whole group: a terminal, `timeout`, systemd) stop a
  flow-running command within seconds with one line and exit 130/143. Delta commits are atomic,
  so the lake is at a committed version, and every command is idempotent: the same command carries
  on. Prefect's own reaction (a "Crash detected" wall per run and task) is silenced, since the one
  line says it all.
- The temporary Prefect API server runs as `paperlake.server_child`, which watches this process
  and stops when it is gone (also after SIGKILL), and in its own session, so a signal to our group
  does not take it away mid-run (Prefect then retried it for minutes).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import types
from dataclasses import dataclass
from typing import Iterator

from paperlake.server_child import PARENT_PID_ENV

SERVER_APP = "prefect.server.api.server:create_app"
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
# After a signal the command unwinds (atexit stops the server); if it is stuck, it ends anyway.
HARD_STOP_SECONDS = 8.0


class CommandInterrupted(SystemExit):
    """Raised in the main thread by a signal: unwinds the command and exits with 130 or 143."""


@dataclass
class Signalled:
    signum: int | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 130)


def command_line() -> str:
    return "paperlake " + shlex.join(sys.argv[1:])


def install_for_flows() -> None:
    """Called by commands that run flows, before Prefect starts its server."""
    follow_this_process()
    # A test process keeps its own Ctrl-C (tests run the command in a child); `serve` stops its own
    # way (it pauses its deployments), and "run the same command again" is no advice for it.
    if "pytest" not in sys.modules and sys.argv[1:2] != ["serve"]:
        stop_on_signals()


def stop_on_signals() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    signalled = Signalled()

    def handle(signum, frame) -> None:
        if signalled.signum is not None:  # a second Ctrl-C: no more waiting
            os._exit(EXIT_CODES.get(signum, 130))
        signalled.signum = signum
        logging.disable(logging.CRITICAL)  # Prefect's crash reports for every run and task
        name = signal.Signals(signum).name
        write_stderr(
            f"interrupted by {name}: `{command_line()}` stopped; the lake is at its last committed version, "
            "run the same command again to carry on\n"
        )
        threading.Thread(target=_hard_stop, args=(signalled.exit_code,), daemon=True).start()
        raise CommandInterrupted(signalled.exit_code)

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    write_stderr = _silence_output_after(signalled)


def _silence_output_after(signalled: Signalled):
    """Once interrupted, whatever the unwinding prints (Prefect's states, the CLI's summary) is noise.

    Returns a writer to stderr that still works, for the one line that says what happened.
    """
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a captured stream in tests
        stderr_fd = 2
    for stream_name in ("stdout", "stderr"):
        stream = getattr(sys, stream_name)
        original_write = stream.write

        def write(text, _original=original_write):
            return len(text) if signalled.signum is not None else _original(text)

        with contextlib.suppress(AttributeError, TypeError):
            stream.write = write

    def write_stderr(text: str) -> None:
        with contextlib.suppress(OSError):
            os.write(stderr_fd, text.encode("utf-8", errors="replace"))

    return write_stderr


def _hard_stop(exit_code: int) -> None:
    time.sleep(HARD_STOP_SECONDS)
    os._exit(exit_code)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[Signalled]:
    """For read-only commands: SIGTERM raises KeyboardInterrupt like Ctrl-C does; which one came is recorded."""
    signalled = Signalled()
    if threading.current_thread() is not threading.main_thread():
        yield signalled
        return

    def handle(signum, frame) -> None:
        signalled.signum = signum
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield signalled
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def follow_this_process() -> None:
    """Start Prefect's temporary server as a child that watches us (see paperlake/server_child.py)."""
    from prefect.server.api import server

    if isinstance(server.subprocess, types.SimpleNamespace):
        return
    shim = types.SimpleNamespace(**{name: getattr(subprocess, name) for name in dir(subprocess) if not name.startswith("__")})
    shim.Popen = _watched_popen
    server.subprocess = shim


def _watched_popen(args, **kwargs):
    args = list(args)
    if SERVER_APP in args and "uvicorn" in args:
        args[args.index("uvicorn")] = "paperlake.server_child"
        kwargs["env"] = {**(kwargs.get("env") or os.environ), PARENT_PID_ENV: str(os.getpid())}
        kwargs["start_new_session"] = True
    return subprocess.Popen(args, **kwargs)


def one_line_for_lake_errors() -> None:
    """A table that cannot be read (damaged, vacuumed) ends any command with one line and exit 1, not a traceback."""
    previous = sys.excepthook
    if getattr(previous, "paperlake_one_line", False):
        return

    def hook(kind, error, trace) -> None:
        from lake.store import DamagedTableError, TimeTravelError

        cause = error
        while cause is not None and not isinstance(cause, (DamagedTableError, TimeTravelError)):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            return previous(kind, error, trace)
        sys.stderr.write(f"error: {cause}\n")
        sys.stderr.flush()

    hook.paperlake_one_line = True
    sys.excepthook = hook
