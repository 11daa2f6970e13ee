"""Fixtures for the pipeline's unit tests: services of their own, and buckets of their own in the emulator."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline import emulator
from pipeline.aws import Identity, Target
from pipeline.project.environments import ENVIRONMENTS_FILE_VARIABLE
from pipeline.project.naming import DEPLOYER_ROLE_PATH, deployer_role_name

MANIFEST = """name: {name}
description: Answers with the event it was sent.
runtime: python3.11
smoke:
  function: echo
  event: tests/smoke.json
functions:
  echo:
    handler: {name}.handler.handler
"""
HANDLER = "def handler(event, context):\n    return {'echo': event}\n"


def write_service(services_dir: Path, name: str, handler: str = HANDLER) -> Path:
    """services/<name>: one function `echo` in <name>/handler.py, a smoke event and a passing test."""
    folder = services_dir / name
    (folder / "src" / name).mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "service.yaml").write_text(MANIFEST.format(name=name))
    (folder / "src" / name / "__init__.py").write_text("")
    (folder / "src" / name / "handler.py").write_text(handler)
    (folder / "tests" / "smoke.json").write_text('{"ping": "pong"}\n')
    (folder / "tests" / "test_handler.py").write_text(
        f"from {name}.handler import handler\n\n\ndef test_echoes():\n    assert handler({{'a': 1}}, None)['echo'] == {{'a': 1}}\n"
    )
    return folder


@pytest.fixture
def bucket_target(local_target: Target) -> Target:
    """The local target with an artifact bucket of this test's own (DEPLOYER acts as ops without a service)."""
    bucket = f"test-artifacts-{uuid.uuid4().hex[:8]}"
    local_target.client("s3", Identity.OPS).create_bucket(Bucket=bucket)
    return replace(local_target, environment=replace(local_target.environment, artifact_bucket=bucket))


def create_live_function(target: Target, name: str, code: bytes, handler: str) -> None:
    """A function `name` running `code`, published as version 1 with `live` pointing at it, as a deploy leaves it."""
    iam = target.client("iam", Identity.OPS)
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    functions = target.client("lambda", Identity.OPS)
    functions.create_function(FunctionName=name, Runtime="python3.11", Role=role_arn, Handler=handler,
                              Code={"ZipFile": code}, Timeout=5)
    version = functions.publish_version(FunctionName=name)["Version"]
    functions.create_alias(FunctionName=name, Name="live", FunctionVersion=version)


@pytest.fixture
def deployer_environment(local_target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An emulator environment of this test's own, with buckets and location's deployer role made by hand.

    The role may use the artifact bucket only; no Terraform runs, and the suite's `local` is untouched.
    """
    name = f"own{uuid.uuid4().hex[:6]}"
    environments = tmp_path / "environments.toml"
    environments.write_text(f'[{name}]\nemulator = true\nregion = "us-east-1"\n'
                            f'state_bucket = "{name}-state"\nartifact_bucket = "{name}-artifacts"\n')
    monkeypatch.setenv(ENVIRONMENTS_FILE_VARIABLE, str(environments))
    local_target.client("s3", Identity.OPS).create_bucket(Bucket=f"{name}-artifacts")
    iam = local_target.client("iam", Identity.OPS)
    developer = iam.get_user(UserName=emulator.DEVELOPER_USER)["User"]["Arn"]
    role = deployer_role_name(name, "location")
    iam.create_role(RoleName=role, Path=DEPLOYER_ROLE_PATH, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": developer}, "Action": "sts:AssumeRole"}],
    }))
    iam.put_role_policy(RoleName=role, PolicyName="artifacts", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*",
                       "Resource": [f"arn:aws:s3:::{name}-artifacts", f"arn:aws:s3:::{name}-artifacts/*"]}],
    }))
    return name
