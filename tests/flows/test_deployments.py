"""deploy/prefect.yaml (for `prefect deploy`) and flows/deployments.py (for `paperlake serve`) declare the same deployments."""

import inspect
from pathlib import Path

import pytest
import yaml

from flows import deployments
from flows.deployments import DEPLOYMENTS, WORK_POOL, check_cron, runner_deployments

PREFECT_YAML = Path(__file__).resolve().parents[2] / "deploy" / "prefect.yaml"


@pytest.fixture(scope="module")
def declared() -> dict:
    return yaml.safe_load(PREFECT_YAML.read_text())


def test_prefect_yaml_declares_the_deployments_serve_builds(declared):
    by_name = {d["name"]: d for d in declared["deployments"]}
    assert list(by_name) == [spec.name for spec in DEPLOYMENTS]
    for spec in DEPLOYMENTS:
        entry = by_name[spec.name]
        assert entry["entrypoint"] == spec.entrypoint
        assert entry["tags"] == list(spec.tags)
        assert entry["work_pool"]["name"] == WORK_POOL
        assert entry["schedules"] == ([{"cron": spec.cron, "timezone": "UTC"}] if spec.cron else [])
        assert entry.get("parameters", {}) == spec.parameters


def test_the_worker_runs_flows_from_the_clone_they_were_deployed_from(declared):
    [build] = declared["build"]
    step = build["prefect.deployments.steps.run_shell_script"]
    assert (step["id"], step["script"]) == ("clone", "pwd")
    [pull] = declared["pull"]
    assert pull == {"prefect.deployments.steps.set_working_directory": {"directory": "{{ clone.stdout }}"}}


def test_daily_runs_at_six_utc_and_maintain_weekly():
    assert deployments.DAILY.cron == "0 6 * * *"
    assert deployments.MAINTAIN.cron.split()[2:] == ["*", "*", "0"]  # any day of month, any month, Sundays
    assert deployments.BACKFILL.cron is None


@pytest.mark.parametrize("spec", DEPLOYMENTS, ids=lambda s: s.name)
def test_each_entrypoint_is_a_flow_named_like_its_deployment(spec):
    assert spec.load_flow().name == spec.name  # `prefect deployment run NAME/NAME` then finds it


@pytest.mark.parametrize("spec", [s for s in DEPLOYMENTS if s.cron], ids=lambda s: s.name)
def test_a_scheduled_flow_runs_without_parameters(spec):
    """A schedule passes no parameters: every parameter needs a default (daily's day: today, UTC)."""
    signature = inspect.signature(spec.load_flow().fn)
    required = [name for name, p in signature.parameters.items() if p.default is inspect.Parameter.empty and name not in spec.parameters]
    assert required == []


def test_serve_builds_the_deployments_with_the_given_schedules_and_lake():
    built = {d.name: d for d in runner_deployments(daily_cron="30 5 * * *", lake_uri="/srv/lake")}

    assert [(s.schedule.cron, s.schedule.timezone) for s in built["daily"].schedules] == [("30 5 * * *", "UTC")]
    assert [s.schedule.cron for s in built["maintain"].schedules] == [deployments.MAINTAIN_CRON]
    assert built["backfill"].schedules in (None, [])
    assert {d.parameters["lake_uri"] for d in built.values()} == {"/srv/lake"}
    assert built["daily"].entrypoint == "flows.daily.daily"  # a module path works from any working directory
    assert built["daily"].tags == ["paperlake", "hf_daily", "arxiv"]


def test_a_bad_cron_is_refused():
    assert check_cron("15 4 * * 1") == "15 4 * * 1"
    with pytest.raises(ValueError):
        check_cron("61 * * * *")
