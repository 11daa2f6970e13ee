"""Preflight against the real emulator: no answer, unversioned state, locking off, a reset emulator."""

from __future__ import annotations

import socket
import uuid
from dataclasses import replace

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import PreflightFailed
from pipeline.paths import local_dir
from pipeline.state.bootstrap import bootstrap_state_file
from pipeline.state.preflight import check_state_safety, forget_reset_emulator, reach_state_bucket
from pipeline.terraform.runner import ERRORED_STATE

pytestmark = pytest.mark.emulator


def with_state_bucket(target: Target, bucket: str, versioned: bool) -> Target:
    s3 = target.client("s3", Identity.OPS)
    s3.create_bucket(Bucket=bucket)
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return replace(target, environment=replace(target.environment, state_bucket=bucket))


def test_an_endpoint_that_does_not_answer_is_one_clear_error(local_target: Target) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        silent = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(PreflightFailed, match=f"{silent} does not answer for environment 'local'") as failed:
        reach_state_bucket(replace(local_target, endpoint=silent))
    assert "emulator start" in failed.value.hint


def test_an_unversioned_state_bucket_is_refused(local_target: Target) -> None:
    target = with_state_bucket(local_target, f"unversioned-{uuid.uuid4().hex[:12]}", versioned=False)
    assert reach_state_bucket(target)
    with pytest.raises(PreflightFailed, match="has versioning off"):
        check_state_safety(target, {"use_lockfile": "true"})


def test_locking_turned_off_is_refused(local_target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    target = with_state_bucket(local_target, f"versioned-{uuid.uuid4().hex[:12]}", versioned=True)
    check_state_safety(target, {"use_lockfile": "true"})
    with pytest.raises(PreflightFailed, match="use_lockfile"):
        check_state_safety(target, {"use_lockfile": "false"})
    monkeypatch.setenv("TF_CLI_ARGS_apply", "-lock=false")
    with pytest.raises(PreflightFailed, match="TF_CLI_ARGS_apply turns state locking off"):
        check_state_safety(target, {"use_lockfile": "true"})


def test_a_reset_emulator_makes_local_leftovers_go(local_target: Target) -> None:
    environment = replace(local_target.environment, name=f"reset{uuid.uuid4().hex[:6]}",
                          state_bucket=f"gone-{uuid.uuid4().hex[:12]}")
    target = replace(local_target, environment=environment)
    remembered = bootstrap_state_file(target)
    errored = local_dir() / "terraform" / environment.name / "services__location__infra" / ERRORED_STATE
    for path in (remembered, errored):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")

    assert forget_reset_emulator(target, state_bucket_exists=True) == []
    assert remembered.exists()
    assert forget_reset_emulator(target, reach_state_bucket(target)) == [remembered, errored]
    assert not remembered.exists() and not errored.exists()
    assert forget_reset_emulator(target, reach_state_bucket(target)) == [], "nothing remembered any more"


def test_a_fresh_machine_is_not_a_reset(local_target: Target) -> None:
    target = replace(local_target, environment=replace(local_target.environment, name="never-deployed"))
    assert not bootstrap_state_file(target).exists()
    assert forget_reset_emulator(target, state_bucket_exists=False) == []


def test_a_new_service_whose_deployer_role_does_not_exist_yet_is_not_a_reset(local_target: Target) -> None:
    """Before its first deploy applies ops/iam, a new service's deployer role does not exist and
    would see no bucket; the environment is intact, so nothing may go."""
    target = with_state_bucket(local_target, f"kept-{uuid.uuid4().hex[:12]}", versioned=True)
    target = replace(target, environment=replace(target.environment, name=f"kept{uuid.uuid4().hex[:6]}"))
    remembered = bootstrap_state_file(target)
    remembered.parent.mkdir(parents=True)
    remembered.write_text("{}")
    newcomer = target.for_service("newcomer")

    assert forget_reset_emulator(newcomer, reach_state_bucket(newcomer)) == []
    assert remembered.exists()
