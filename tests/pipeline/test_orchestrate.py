"""Many pipelines at once: what is checked before any starts, and one failing pipeline's place among the rest."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import EnvironmentNotFound, ServiceNotFound
from pipeline.flows.execution import STAGES
from pipeline.flows.orchestrate import PipelineResult, changed_in_environment, deploy_services
from pipeline.project.environments import ENVIRONMENTS_FILE_VARIABLE
from pipeline.project.services import service_names
from pipeline.state.ledger import LedgerEntry
from tests.pipeline.test_execution import Recorder


def test_unknown_services_or_environments_stop_everything_before_a_pipeline_starts() -> None:
    reporter = Recorder()

    with pytest.raises(ServiceNotFound, match="unknown service 'nope'"):
        deploy_services(["location", "nope"], "local", reporter, jobs=2)
    with pytest.raises(EnvironmentNotFound):
        deploy_services(["location"], "nowhere", reporter, jobs=2)

    assert reporter.events == []


def test_a_result_succeeded_exactly_when_it_has_an_execution() -> None:
    execution = LedgerEntry.start("alpha", "local", "", False).succeed(())

    assert PipelineResult("alpha", execution=execution).succeeded
    assert not PipelineResult("alpha", error="plan: refused", hint="fix it").succeeded


@pytest.mark.emulator
def test_a_refused_preflight_fails_each_pipeline_on_its_own_with_every_stage_skipped(
    local_target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = f"unversioned-{uuid.uuid4().hex[:8]}"
    local_target.client("s3", Identity.OPS).create_bucket(Bucket=bucket)
    environments = tmp_path / "environments.toml"
    environments.write_text(f'[unsafe]\nemulator = true\nregion = "us-east-1"\n'
                            f'state_bucket = "{bucket}"\nartifact_bucket = "{bucket}"\n')
    monkeypatch.setenv(ENVIRONMENTS_FILE_VARIABLE, str(environments))
    reporter = Recorder()

    results = deploy_services(["profile", "location"], "unsafe", reporter, jobs=2)

    assert [result.service for result in results] == ["profile", "location"]
    for result in results:
        assert not result.succeeded
        assert result.error.startswith(f"state bucket {bucket} has versioning off")
        assert result.hint == "ops must turn versioning on (ops/bootstrap does) before anything deploys"
    for service in ("profile", "location"):
        finished = [(event, detail) for name, event, detail in reporter.events if name == service and event != "note"]
        assert finished == [(f"{stage} skipped", "refused before any stage ran") for stage in STAGES]


@pytest.mark.emulator
def test_an_environment_never_deployed_to_changes_every_service(
    local_target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environments = tmp_path / "environments.toml"
    environments.write_text(f'[fresh]\nemulator = true\nregion = "us-east-1"\nstate_bucket = "none-{uuid.uuid4().hex[:8]}"\n'
                            f'artifact_bucket = "none-{uuid.uuid4().hex[:8]}"\n')
    monkeypatch.setenv(ENVIRONMENTS_FILE_VARIABLE, str(environments))

    report = changed_in_environment("fresh")

    assert [item.service for item in report.services] == service_names()
    assert {item.reasons for item in report.services} == {("no successful deploy to fresh yet",)}
