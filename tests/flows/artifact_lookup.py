"""Read back the artifacts a flow run left, keyed by their stable keys (inside the test harness)."""

from __future__ import annotations

from uuid import UUID


def artifacts_of_run(flow_run_id: UUID) -> dict:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a for a in found if a.key}


def run_id_of(state) -> UUID:
    return state.state_details.flow_run_id
