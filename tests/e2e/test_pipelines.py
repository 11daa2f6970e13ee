"""ops/pipelines applied to the suite's emulator as ops: one pipeline and its builds per service."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
import yaml

from cli.main import build_parser
from pipeline.aws import Identity, Target
from pipeline.flows.codepipeline import apply_pipelines, trigger_filters
from pipeline.project.services import service_names
from pipeline.terraform.toolchain import ensure_toolchain

pytestmark = pytest.mark.e2e

PIPELINE_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["codepipeline.amazonaws.com"]},
}]}
BUILD_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["codebuild.amazonaws.com"]},
}]}


def ensure_role(iam: Any, name: str, trust: dict[str, Any], path: str = "/") -> str:
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


@pytest.fixture(scope="module")
def applied(local_target: Target) -> dict[str, str]:
    """Apply the root once for every test here; the roles stand in for the ones ops create."""
    iam = local_target.client("iam", Identity.OPS)
    account = local_target.client("sts", Identity.OPS).get_caller_identity()["Account"]
    pipeline_role = ensure_role(iam, "local-codepipeline", PIPELINE_TRUST, "/pipelines/")
    for environment in ("dev", "prod"):
        ensure_role(iam, f"{environment}-codebuild", BUILD_TRUST, "/ci/")
    settings = {
        "connection_arn": f"arn:aws:codeconnections:us-east-1:{account}:connection/local",
        "repository_id": "example/serverless-monorepo",
        "pipeline_role_arn": pipeline_role,
        "deployer_role_arns": {
            environment: f"arn:aws:iam::{account}:role/ci/{environment}-codebuild"
            for environment in ("dev", "prod")
        },
    }
    result = apply_pipelines(local_target, ensure_toolchain(), settings)
    assert result.changed
    return {"account": account, "pipeline_role": pipeline_role}


def test_every_service_gets_a_v2_pipeline_with_its_generated_triggers(local_target: Target, applied: dict[str, str]) -> None:
    codepipeline = local_target.client("codepipeline", Identity.OPS)
    names = {pipeline["name"] for pipeline in codepipeline.list_pipelines()["pipelines"]}
    assert {f"local-{service}" for service in service_names()} <= names
    for service, found in trigger_filters().items():
        pipeline = codepipeline.get_pipeline(name=f"local-{service}")["pipeline"]
        assert pipeline["pipelineType"] == "V2"
        assert pipeline["roleArn"] == applied["pipeline_role"]
        pushes = pipeline["triggers"][0]["gitConfiguration"]["push"]
        assert [glob for push in pushes for glob in push["filePaths"]["includes"]] == list(found.includes)
        assert all(push["filePaths"]["excludes"] == list(found.excludes) for push in pushes)
        assert all(push["branches"]["includes"] == ["main"] for push in pushes)
        stages = [(stage["name"], stage["actions"][0]["actionTypeId"]["provider"]) for stage in pipeline["stages"]]
        assert stages == [
            ("Source", "CodeStarSourceConnection"), ("test", "CodeBuild"), ("package", "CodeBuild"),
            ("deploy-dev", "CodeBuild"), ("approve-prod", "Manual"), ("deploy-prod", "CodeBuild"),
        ]


def test_builds_run_the_real_cli_as_each_environments_build_role(local_target: Target, applied: dict[str, str]) -> None:
    codebuild = local_target.client("codebuild", Identity.OPS)
    parser = build_parser()
    for service in service_names():
        stages = ("test", "package", "deploy-dev", "deploy-prod")
        projects = codebuild.batch_get_projects(names=[f"local-{service}-{stage}" for stage in stages])["projects"]
        assert [project["name"] for project in projects] == [f"local-{service}-{stage}" for stage in stages]
        for stage, project in zip(stages, projects):
            environment = "prod" if stage == "deploy-prod" else "dev"
            assert project["serviceRole"] == f"arn:aws:iam::{applied['account']}:role/ci/{environment}-codebuild"
            assert project["source"]["type"] == "CODEPIPELINE"
            commands = yaml.safe_load(project["source"]["buildspec"])["phases"]["build"]["commands"]
            # CodeBuild's shell expands the pipeline's execution id (a UUID) before the CLI sees it.
            argv = shlex.split(commands[0].replace("$PIPELINE_EXECUTION_ID", "3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c"))
            assert argv[:2] == ["python", "deploy.py"]
            args = parser.parse_args(argv[2:])
            assert (args.command, args.stage, args.service) == ("stage", stage.split("-")[0], service)
            if stage.startswith("deploy-"):
                assert args.env == environment
