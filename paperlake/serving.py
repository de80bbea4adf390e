"""`paperlake serve`: Prefect's runner, stopped by Ctrl-C.

`prefect.serve` in Prefect 3.8.8 relies on asyncio cancelling its main task on SIGINT, and the
runner's polling loop absorbs that cancellation: the process keeps serving, and its deployments are
never paused. Here the event loop's own SIGINT handler asks the runner to stop; leaving the runner
then pauses every deployment it served (pause_on_shutdown), so no schedule fires with nobody to
run it. A second Ctrl-C, while that is under way, ends the process at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Sequence


def serve_until_interrupted(deployments: Sequence, announce=print) -> None:
    """Serve `deployments` (RunnerDeployments) from this process until SIGINT; then pause them and return."""
    from prefect.flows import _display_serve_start_message
    from prefect.runner import Runner

    runner = Runner(pause_on_shutdown=True)
    for deployment in deployments:
        runner.add_deployment(deployment)
    _display_serve_start_message(*deployments)
    asyncio.run(_run(runner, announce))


async def _stop(runner) -> None:
    while not runner.started:  # interrupted while the runner was still starting
        await asyncio.sleep(0.1)
    await runner.astop()


async def _run(runner, announce) -> None:
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task] = []

    def on_interrupt() -> None:
        if stopping:  # asked twice: do not wait for the pause
            announce("interrupted again: exiting without waiting")
            sys.stdout.flush()
            os._exit(130)
        announce("Ctrl-C: stopping the runner and pausing its deployments (Ctrl-C again to exit at once)")
        stopping.append(loop.create_task(_stop(runner)))

    loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        await runner.start()
        if stopping:
            await stopping[0]
    finally:
        loop.remove_signal_handler(signal.SIGINT)
