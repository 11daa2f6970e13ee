"""Recovering a state an apply could not save: nothing to push is said plainly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import emulator
from pipeline.aws import Identity, Target
from pipeline.errors import ServiceNotFound
from pipeline.flows.recovery import push_unsaved_state
from pipeline.project.environments import ENVIRONMENTS_FILE_VARIABLE
from pipeline.project.naming import DEPLOYER_ROLE_PATH, deployer_role_name


def test_an_unknown_service_is_refused() -> None:
    with pytest.raises(ServiceNotFound, match="unknown service 'nope'"):
        push_unsaved_state("nope", "dev")


@pytest.mark.emulator
def test_without_a_kept_state_there_is_nothing_to_push(
    local_target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As location's deployer in an environment of its own, whose deployer role is made by hand."""
    environments = tmp_path / "environments.toml"
    environments.write_text('[recovery]\nemulator = true\nregion = "us-east-1"\n'
                            'state_bucket = "recovery-state"\nartifact_bucket = "recovery-artifacts"\n')
    monkeypatch.setenv(ENVIRONMENTS_FILE_VARIABLE, str(environments))
    developer = local_target.client("iam", Identity.OPS).get_user(UserName=emulator.DEVELOPER_USER)["User"]["Arn"]
    local_target.client("iam", Identity.OPS).create_role(
        RoleName=deployer_role_name("recovery", "location"), Path=DEPLOYER_ROLE_PATH,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": developer}, "Action": "sts:AssumeRole"}]}),
    )

    assert push_unsaved_state("location", "recovery") is None
