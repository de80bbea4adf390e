"""Great Expectations' import overlapped with Prefect's start-up, for commands that load.

Importing GX takes 3-4 s of CPU, and a loading command needs it only at its first validation;
before that it waits seconds for Prefect's temporary API server, which runs in another process.
A thread imports GX meanwhile, so the command's wall time pays the longer of the two, not both.
Python's import lock makes the validation's own import wait for this one, or find it done.
"""

from __future__ import annotations

import importlib
import threading

PRELOADED_MODULES = ("expectations.gx_runtime",)


def preload_in_background(modules: tuple[str, ...] = PRELOADED_MODULES) -> threading.Thread:
    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001  the validation's own import raises it where it belongs
                return

    thread = threading.Thread(target=load, name="paperlake-preload", daemon=True)
    thread.start()
    return thread
