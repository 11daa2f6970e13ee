"""The isolation proof on the deployer policies Terraform really renders for ops/iam.

A copy of the project gains a scaffolded `location-history` (its name extends `location`) and
location a function named `history` (so `<env>-location-history-...` names could be either's);
ops/iam is planned against the emulator, and every deployer policy in the plan is evaluated with
AWS semantics against every other service's resources.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.aws import Identity, Target
from tests.pipeline.isolation import Account, ServiceShape, breaches, deployer_documents
from pipeline.project.services import load_service, service_names
from pipeline.state.bootstrap import ensure_buckets, iam_variables
from pipeline.terraform.roots import s3_backend_at
from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import ensure_toolchain
from tests.e2e.conftest import Project, copy_project

pytestmark = pytest.mark.e2e

EXTENDING_SERVICE = "location-history"
HISTORY_FUNCTION = "  history:\n    handler: location.get_location.handler\n"


def account_id(target: Target) -> str:
    return str(target.client("sts", Identity.OPS).get_caller_identity()["Account"])


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory, local_target: Target) -> tuple[Project, dict[str, Any]]:
    """The copy's ops/iam planned from an empty state, as `terraform show -json`."""
    project = copy_project(tmp_path_factory.mktemp("isolation") / "repo")
    created = project.deploy_py("new-service", "--name", EXTENDING_SERVICE)
    assert created.returncode == 0, created.stdout + created.stderr
    manifest = project.root / "services" / "location" / "service.yaml"
    manifest.write_text(manifest.read_text().replace("\nfunctions:\n", "\nfunctions:\n" + HISTORY_FUNCTION, 1))
    toolchain = ensure_toolchain()
    ensure_buckets(local_target, toolchain)
    data = tmp_path_factory.mktemp("ops-iam")
    terraform = Terraform(toolchain, project.root / "ops" / "iam", data, local_target.process_env(Identity.OPS))
    terraform.init(s3_backend_at(local_target, local_target.environment.state_bucket, "tests/isolation/ops-iam.tfstate"))
    variables = data / "inputs.tfvars.json"
    variables.write_text(json.dumps(iam_variables(local_target, project.root / "services")))
    terraform.plan(data / "iam.tfplan", variables)
    return project, terraform.show_json(data / "iam.tfplan")


def test_no_deployer_may_touch_another_services_resources(
    planned: tuple[Project, dict[str, Any]], local_target: Target
) -> None:
    project, plan = planned
    services = project.root / "services"
    shapes = [ServiceShape.of(load_service(name, services).manifest) for name in service_names(services)]
    documents = deployer_documents(plan)
    environment = local_target.environment
    account = Account(environment.name, environment.region, account_id(local_target),
                      environment.artifact_bucket, environment.state_bucket)

    assert sorted(documents) == ["authentication", "location", EXTENDING_SERVICE, "profile"]
    assert all(len(policies) == 1 for policies in documents.values())
    found = [breach.describe() for breach in breaches(documents, shapes, account)]
    assert found == [], "\n".join(found)


def test_the_proof_sees_the_deployers_own_resources_as_allowed(
    planned: tuple[Project, dict[str, Any]], local_target: Target
) -> None:
    """The same evaluation, pointed at a service's own resources, finds Allows: the proof is not vacuous."""
    project, plan = planned
    services = project.root / "services"
    location = ServiceShape.of(load_service("location", services).manifest)
    environment = local_target.environment
    account = Account(environment.name, environment.region, account_id(local_target),
                      environment.artifact_bucket, environment.state_bucket)
    # location's policy, attributed to an outsider, "attacks" location itself.
    documents = {"outsider": deployer_documents(plan)["location"]}
    outsider = ServiceShape("outsider", ("none",))

    allowed = {(breach.action, breach.resource.split(":")[2]) for breach in breaches(documents, [outsider, location], account)}

    for action in ("lambda:UpdateFunctionCode", "lambda:UpdateAlias", "dynamodb:DeleteTable", "logs:DeleteLogGroup",
                   "cloudwatch:PutMetricAlarm", "apigateway:PATCH", "apigateway:POST", "iam:PassRole", "s3:PutObject"):
        assert (action, action.split(":")[0]) in allowed, action
