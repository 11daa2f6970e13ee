"""CI's one-stage runs: an artifact built elsewhere, and a verify with nothing deployed to finish."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.aws import connect
from pipeline.errors import StageFailed
from pipeline.flows.single_stage import read_artifact, verify_stage
from pipeline.project.environments import get_environment
from pipeline.state.ledger import Ledger, LedgerEntry


def test_an_artifact_built_elsewhere_is_identified_by_its_bytes(tmp_path: Path) -> None:
    built = tmp_path / "location.zip"
    built.write_bytes(b"PK\x05\x06" + b"\0" * 18)

    artifact = read_artifact(built)

    assert (artifact.path, artifact.sha256, artifact.inputs_hash) == (built, hashlib.sha256(built.read_bytes()).hexdigest(), "")


def test_a_missing_artifact_points_at_the_package_stage(tmp_path: Path) -> None:
    with pytest.raises(StageFailed, match=r"deploy: artifact .*location.zip does not exist") as refused:
        read_artifact(tmp_path / "location.zip")

    assert refused.value.hint == "run `deploy.py stage package` first"


@pytest.mark.emulator
def test_verify_refuses_when_nothing_deployed_waits_for_it(deployer_environment: str) -> None:
    ledger = Ledger(connect(get_environment(deployer_environment)).for_service("location"))

    with pytest.raises(StageFailed, match=f"location has no deployed, unverified execution \\(newest\\) in {deployer_environment}"):
        verify_stage("location", deployer_environment)
    passed = LedgerEntry.start("location", deployer_environment, "", False).succeed(())
    ledger.record(passed)
    with pytest.raises(StageFailed, match=f"no deployed, unverified execution {passed.execution_id} in") as refused:
        verify_stage("location", deployer_environment, passed.execution_id)

    assert refused.value.hint == "run `deploy.py stage deploy` first (with the same --execution)"
