"""`python -m paperlake.server_child ARGS`: uvicorn (Prefect's temporary API server) that follows its parent.

Prefect starts its temporary server as a child process and stops it at exit; a SIGKILLed command
never reaches its exit, so the server (about 210 MB) lived on, parented to init. Here a thread
watches the parent and stops the server once the parent is gone, however it ended.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

PARENT_PID_ENV = "PAPERLAKE_SERVER_PARENT_PID"
POLL_SECONDS = 0.5
# uvicorn shuts down gracefully on SIGTERM; this is how long it gets before the process just ends.
GRACE_SECONDS = 5.0


def parent_alive(parent_pid: int) -> bool:
    # Once the parent dies this process is re-parented (to init or a subreaper): getppid() changes.
    return os.getppid() == parent_pid


def watch_parent(parent_pid: int) -> None:
    while parent_alive(parent_pid):
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os._exit(0)


def main() -> None:
    parent_pid = int(os.environ.get(PARENT_PID_ENV) or os.getppid())
    threading.Thread(target=watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()
    sys.argv = ["uvicorn", *sys.argv[1:]]
    runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
