"""The code-only path's drift check: live function settings against the ones Terraform recorded."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import DriftDetected
from pipeline.stages.live_config import refuse_drifted_functions, setting_differences

RECORDED: dict[str, Any] = {
    "function_name": "local-alpha-get", "memory_size": 256, "timeout": 10, "handler": "alpha.get.handler",
    "runtime": "python3.11", "role": "arn:aws:iam::123456789012:role/services/alpha/local-alpha-get",
    "environment": [{"variables": {"TABLE": "alpha"}}], "tracing_config": [{"mode": "Active"}],
}
LIVE: dict[str, Any] = {
    "MemorySize": 256, "Timeout": 10, "Handler": "alpha.get.handler", "Runtime": "python3.11",
    "Role": "arn:aws:iam::123456789012:role/services/alpha/local-alpha-get",
    "Environment": {"Variables": {"TABLE": "alpha"}}, "TracingConfig": {"Mode": "Active"},
}


def test_settings_as_terraform_recorded_them_are_no_drift() -> None:
    assert setting_differences(RECORDED, LIVE) == []


def test_each_changed_setting_is_named_with_both_values() -> None:
    live = {**LIVE, "MemorySize": 512, "Environment": {"Variables": {"TABLE": "other", "DEBUG": "1"}},
            "TracingConfig": {"Mode": "PassThrough"}}

    assert setting_differences(RECORDED, live) == [
        "memory_size: state 256, live 512",
        "environment variables changed: DEBUG, TABLE",
        "tracing: state 'Active', live 'PassThrough'",
    ]


def test_a_function_without_environment_or_tracing_in_state_matches_one_without_them_live() -> None:
    recorded = {key: value for key, value in RECORDED.items() if key not in ("environment", "tracing_config")}
    live = {key: value for key, value in LIVE.items() if key not in ("Environment", "TracingConfig")}

    assert setting_differences(recorded, live) == []
    assert setting_differences(recorded, {**live, "Environment": {"Variables": {"X": "1"}}}) == [
        "environment variables changed: X"
    ]


@pytest.mark.emulator
def test_a_service_with_no_state_yet_has_nothing_to_compare(local_target: Target) -> None:
    bucket = f"test-state-{uuid.uuid4().hex[:8]}"
    local_target.client("s3", Identity.OPS).create_bucket(Bucket=bucket)
    target = replace(local_target, environment=replace(local_target.environment, state_bucket=bucket))

    refuse_drifted_functions(target, "services/alpha/infra/terraform.tfstate", "alpha")


@pytest.mark.emulator
def test_a_function_reconfigured_outside_terraform_is_refused(local_target: Target) -> None:
    bucket = f"test-state-{uuid.uuid4().hex[:8]}"
    name = f"local-drift{uuid.uuid4().hex[:6]}-get"
    s3 = local_target.client("s3", Identity.OPS)
    s3.create_bucket(Bucket=bucket)
    iam = local_target.client("iam", Identity.OPS)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    local_target.client("lambda", Identity.OPS).create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="alpha.get.handler", Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        MemorySize=512, Timeout=10,
    )
    recorded = {**RECORDED, "function_name": name, "role": role, "environment": [], "tracing_config": [{"mode": "PassThrough"}]}
    state = {"resources": [
        {"mode": "managed", "type": "aws_lambda_function", "instances": [{"attributes": recorded}]},
        {"mode": "data", "type": "aws_lambda_function", "instances": [{"attributes": {"function_name": "not-read"}}]},
    ]}
    s3.put_object(Bucket=bucket, Key="services/alpha/infra/terraform.tfstate", Body=json.dumps(state).encode())
    target = replace(local_target, environment=replace(local_target.environment, state_bucket=bucket))

    with pytest.raises(DriftDetected, match=f"alpha's functions were changed outside Terraform(.|\n)*{name}: "
                                            "memory_size: state 256, live 512$") as refused:
        refuse_drifted_functions(target, "services/alpha/infra/terraform.tfstate", "alpha")

    assert "drift --service alpha --env local" in refused.value.hint
