"""paperlake's deployments, declared once: `paperlake serve` builds them here, deploy/prefect.yaml
spells the same ones out for `prefect deploy --all` (a test keeps the two in step).

Both need a running Prefect server (`prefect server start`): the embedded server a plain flow
call starts has no scheduler, so a schedule registered with it would never fire.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

DAILY_CRON = "0 6 * * *"  # 06:00 UTC: the Hugging Face list of the day before is complete by then
# Sundays 05:00 UTC, an hour before that day's daily run: compaction fails if another writer
# rewrites files at the same time, and a quiet hour keeps them apart.
MAINTAIN_CRON = "0 5 * * 0"
SCHEDULE_TIMEZONE = "UTC"
DAILY_CRON_ENV = "PAPERLAKE_DAILY_CRON"
MAINTAIN_CRON_ENV = "PAPERLAKE_MAINTAIN_CRON"
WORK_POOL = "paperlake"  # the process work pool deploy/prefect.yaml targets
SERVER_HINT = (
    "start one with `.venv/bin/prefect server start` (its UI is then at http://127.0.0.1:4200) and point "
    "paperlake at it: export PREFECT_API_URL=http://127.0.0.1:4200/api"
)


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment: which flow (`module:function`, relative to the repository root), when, with what."""

    name: str
    entrypoint: str
    description: str
    cron: str | None = None  # None: runs only when asked (UI, `prefect deployment run`)
    tags: tuple[str, ...] = ()
    parameters: dict = field(default_factory=dict)

    @property
    def module_name(self) -> str:
        return self.entrypoint.split(":")[0].removesuffix(".py").replace("/", ".")

    @property
    def flow_function(self) -> str:
        return self.entrypoint.split(":")[1]

    def load_flow(self):
        return getattr(importlib.import_module(self.module_name), self.flow_function)


# A deployment's tags go on each of its runs: the feed tags name the feeds a run fetches by default.
DAILY = DeploymentSpec(
    "daily", "flows/daily.py:daily", "Every configured feed for one day (default: today, UTC), then the lake.",
    cron=DAILY_CRON, tags=("paperlake", "hf_daily", "arxiv"),
)
MAINTAIN = DeploymentSpec(
    "maintain", "flows/maintain.py:maintain", "Compact, vacuum (time travel kept 7 days) and checkpoint every table.",
    cron=MAINTAIN_CRON, tags=("paperlake", "maintenance"),
)
BACKFILL = DeploymentSpec(
    "backfill", "flows/backfill.py:backfill", "A date range of every configured feed as one resumable run; give its dates.",
    tags=("paperlake", "hf_daily", "arxiv"),
)
DEPLOYMENTS = (DAILY, MAINTAIN, BACKFILL)


def runner_deployments(daily_cron: str = DAILY_CRON, maintain_cron: str = MAINTAIN_CRON, lake_uri: str | None = None) -> list:
    """The deployments as Prefect RunnerDeployments, for `prefect.serve` (no work pool).

    Without `lake_uri` each run finds the lake as a flow call does: $PAPERLAKE_LAKE, else ./data/lake
    in the serving process's working directory.
    """
    crons = {DAILY.name: daily_cron, MAINTAIN.name: maintain_cron}
    lake_parameters = {"lake_uri": lake_uri} if lake_uri else {}
    return [_to_deployment(spec, crons.get(spec.name, spec.cron), lake_parameters) for spec in DEPLOYMENTS]


def _to_deployment(spec: DeploymentSpec, cron: str | None, extra_parameters: dict):
    from prefect.types.entrypoint import EntrypointType
    from prefect.schedules import Cron

    return spec.load_flow().to_deployment(
        name=spec.name,
        schedules=[Cron(cron, timezone=SCHEDULE_TIMEZONE)] if cron else None,
        description=spec.description,
        tags=list(spec.tags),
        parameters={**spec.parameters, **extra_parameters} or None,
        # A module path, not a file path: the installed package runs from any working directory.
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def check_cron(cron: str) -> str:
    """The cron string if Prefect accepts it; ValueError naming the problem otherwise."""
    from prefect.schedules import Cron

    Cron(cron, timezone=SCHEDULE_TIMEZONE)
    return cron


def server_problem(timeout_seconds: float = 5.0) -> str | None:
    """Why no Prefect server can take deployments, or None when one answers at PREFECT_API_URL."""
    import httpx
    from prefect.settings import get_current_settings

    api_url = get_current_settings().api.url
    if not api_url:
        return f"PREFECT_API_URL is not set, so there is no Prefect server to serve deployments to: {SERVER_HINT}"
    try:
        httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout_seconds).raise_for_status()
    except httpx.HTTPError as error:
        return f"no Prefect server answers at PREFECT_API_URL={api_url} ({type(error).__name__}: {error}): {SERVER_HINT}"
    return None


def serve(daily_cron: str = DAILY_CRON, maintain_cron: str = MAINTAIN_CRON, lake_uri: str | None = None) -> None:
    """Register the deployments and run their flow runs from this process until Ctrl-C, which pauses them."""
    from paperlake.serving import serve_until_interrupted

    serve_until_interrupted(runner_deployments(daily_cron, maintain_cron, lake_uri))
