"""Ops foundations: what ops/iam is given, and what stops a deploy outside local."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.aws import Target
from pipeline.errors import BootstrapMissing, ManifestError
from pipeline.project.environments import load_environments
from pipeline.state.bootstrap import alerts_variables, iam_variables

AWS_ENVIRONMENT = '''
[dev]
region = "eu-west-1"
state_bucket = "s"
artifact_bucket = "a"
'''


def test_deployers_trust_the_principals_the_environment_lists(tmp_path: Path) -> None:
    path = tmp_path / "environments.toml"
    path.write_text(AWS_ENVIRONMENT + 'deployer_principals = ["arn:aws:iam::111111111111:role/ci"]\n')

    variables = iam_variables(Target(load_environments(path)["dev"]))

    assert variables["deployer_trusted_principals"] == ["arn:aws:iam::111111111111:role/ci"]
    assert variables["artifact_bucket"] == "a" and variables["state_bucket"] == "s"


def test_an_aws_environment_without_deployer_principals_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "environments.toml"
    path.write_text(AWS_ENVIRONMENT)

    with pytest.raises(BootstrapMissing, match=r"\[dev\] lists no deployer_principals"):
        iam_variables(Target(load_environments(path)["dev"]))


def test_deployer_principals_must_be_a_list_of_arns(tmp_path: Path) -> None:
    path = tmp_path / "environments.toml"
    path.write_text(AWS_ENVIRONMENT + 'deployer_principals = "arn:aws:iam::1:role/ci"\n')

    with pytest.raises(ManifestError, match="deployer_principals must list principal ARNs"):
        load_environments(path)


def test_alert_subscriptions_become_ops_alerts_inputs(tmp_path: Path) -> None:
    path = tmp_path / "environments.toml"
    path.write_text(AWS_ENVIRONMENT + 'alert_subscriptions = ["email:oncall@example.com", "https://hooks.example.com/a:b"]\n')

    variables = alerts_variables(Target(load_environments(path)["dev"]))

    assert variables["subscriptions"] == [{"protocol": "email", "endpoint": "oncall@example.com"},
                                          {"protocol": "https", "endpoint": "//hooks.example.com/a:b"}]


@pytest.mark.parametrize("bad", ['"email:x"', '["pager:x"]', '["email:"]'])
def test_alert_subscriptions_must_be_protocol_and_endpoint(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "environments.toml"
    path.write_text(AWS_ENVIRONMENT + f"alert_subscriptions = {bad}\n")

    with pytest.raises(ManifestError, match=r"\[dev\] alert_subscriptions must list \"protocol:endpoint\""):
        load_environments(path)
