"""Ops own IAM, developers own code: each enforcement proven against the emulator and real Terraform."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from pipeline import emulator
from pipeline.aws import Identity, Target
from pipeline.errors import TerraformError
from pipeline.paths import PROJECT_ROOT
from pipeline.policy.iam_summary import Grant, grants
from pipeline.project.services import load_service
from pipeline.stages.deploy import root_variables
from pipeline.state.ledger import Ledger
from pipeline.terraform.roots import s3_backend
from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import ensure_toolchain
from tests.e2e.conftest import Project, copy_project, executions_by_service, stage_detail

pytestmark = pytest.mark.e2e

STATE_BUCKET, STATE_KEY = "local-terraform-state", "services/location/infra/terraform.tfstate"
ACCOUNT_ARN = "arn:aws:{service}:us-east-1:123456789012"
ESCALATING_ROOT_FILE = '''resource "aws_iam_role" "escalate" {
  name = "local-location-escalate"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}
'''


@pytest.fixture(scope="module")
def deployed(project: Project) -> Project:
    """location deployed through the pipeline (a no-op when an earlier test already did it)."""
    result = project.deploy_py("deploy", "--service", "location")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def test_deploys_act_as_the_services_deployer_role(deployed: Project, local_target: Target) -> None:
    target = local_target.for_service("location")
    caller = target.client("sts", Identity.DEPLOYER).get_caller_identity()

    assert ":assumed-role/local-deployer-location/" in caller["Arn"]
    assert target.process_env(Identity.DEPLOYER) == target.process_env(Identity.DEPLOYER), "assumed once per target"
    assert target.process_env(Identity.DEPLOYER)["AWS_ACCESS_KEY_ID"] != emulator.ops_credentials().access_key_id


def test_no_secret_of_the_developer_enters_terraform_state(deployed: Project, local_target: Target) -> None:
    s3 = local_target.client("s3", Identity.OPS)
    state = s3.get_object(Bucket=STATE_BUCKET, Key="ops/iam/terraform.tfstate")["Body"].read().decode()
    developer = emulator.developer_credentials()

    assert "user/developer" in state  # trusted by the deployer roles, by ARN only
    assert developer.access_key_id not in state and developer.secret_access_key not in state


def test_an_iam_resource_applied_as_the_deployer_is_denied_by_the_emulator(
    deployed: Project, tmp_path: Path, local_target: Target
) -> None:
    """The guard bypassed: Terraform itself, run as the deployer, cannot create a role."""
    copy = copy_project(tmp_path / "repo")
    root = copy.root / "services" / "location" / "infra"
    (root / "escalate.tf").write_text(ESCALATING_ROOT_FILE)
    deployer = local_target.for_service("location")
    s3, iam = local_target.client("s3", Identity.OPS), local_target.client("iam", Identity.OPS)
    state_before = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read())
    execution = Ledger(deployer).last_success("location")
    assert execution is not None
    terraform = Terraform(ensure_toolchain(), root, tmp_path / "data", deployer.process_env(Identity.DEPLOYER))
    terraform.init(s3_backend(local_target, PROJECT_ROOT / "services" / "location" / "infra"))
    var_file = tmp_path / "inputs.tfvars.json"
    var_file.write_text(json.dumps({
        **root_variables(deployer, load_service("location")),
        "artifact_key": f"services/location/{execution.artifact_sha256}.zip",
    }))
    plan = terraform.plan(tmp_path / "escalate.tfplan", var_file)

    with pytest.raises(TerraformError, match="AccessDenied") as denied:
        terraform.apply(plan.path)

    assert "CreateRole" in denied.value.message
    planned = [c["address"] for c in terraform.show_json(plan.path)["resource_changes"] if c["change"]["actions"] != ["no-op"]]
    assert planned == ["aws_iam_role.escalate"], "the plan held only the IAM resource, so nothing else was applied"
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="local-location-escalate")
    state_after = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read())
    # Terraform rewrites the state after a failed apply (refreshed attributes and data sources):
    # the set of managed resources is what must not move.
    managed = lambda state: sorted(  # noqa: E731
        (r.get("module", ""), r["type"], r["name"]) for r in state["resources"] if r["mode"] == "managed"
    )
    assert managed(state_after) == managed(state_before)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
    assert not [key for key in keys if key.endswith(".tflock")], "a lock was left behind"


def test_the_deployer_ships_a_code_change(deployed: Project, tmp_path: Path, local_target: Target) -> None:
    changed = copy_project(tmp_path / "repo")
    module = changed.root / "services" / "location" / "src" / "location" / "store.py"
    module.write_text(module.read_text() + "\nMAX_ITEM_BYTES = 4096\n")

    result = changed.deploy_py("deploy", "--service", "location", "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert stage_detail(executions_by_service(result)["location"], "plan") == "infra inputs unchanged, Terraform skipped; no drift"
    execution = Ledger(local_target.for_service("location")).last_success("location")
    assert execution is not None
    artifact = next(
        path for path in (changed.root / ".local" / "cache" / "artifacts").glob("*.zip")
        if hashlib.sha256(path.read_bytes()).hexdigest() == execution.artifact_sha256
    )
    expected = base64.b64encode(hashlib.sha256(artifact.read_bytes()).digest()).decode()
    lambda_client = local_target.client("lambda", Identity.OPS)
    for function in ("get_location", "put_location"):
        name = f"local-location-{function}"
        live = lambda_client.get_alias(FunctionName=name, Name="live")["FunctionVersion"]
        assert lambda_client.get_function_configuration(FunctionName=name, Qualifier=live)["CodeSha256"] == expected


def policy_document(raw: Any) -> str:
    return raw if isinstance(raw, str) and raw.startswith("{") else unquote(raw) if isinstance(raw, str) else json.dumps(raw)


def test_each_function_role_allows_exactly_what_its_manifest_declares(deployed: Project, local_target: Target) -> None:
    iam = local_target.client("iam", Identity.OPS)
    manifest = load_service("location").manifest
    for name, function in manifest.functions.items():
        role = f"local-location-{name}"
        log_group = f"{ACCOUNT_ARN.format(service='logs')}:log-group:/aws/lambda/{role}:*"
        expected = {
            Grant("Allow", action, f"{ACCOUNT_ARN.format(service='dynamodb')}:table/local-location-{table}")
            for table, actions in function.permissions.items() for action in actions
        } | {
            Grant("Allow", "lambda:InvokeFunction", f"{ACCOUNT_ARN.format(service='lambda')}:function:local-{ref.replace('.', '-')}:live")
            for ref in function.invokes
        } | {
            Grant("Allow", "logs:CreateLogStream", log_group), Grant("Allow", "logs:PutLogEvents", log_group),
            Grant("Allow", "xray:PutTraceSegments", "*"), Grant("Allow", "xray:PutTelemetryRecords", "*"),
        }

        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["least-privilege"]
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
        document = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")["PolicyDocument"]
        assert grants(policy_document(document)) == expected
        boundary = iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        assert boundary.endswith(":policy/boundaries/local-boundary")


def summary_sections(stdout: str) -> dict[str, list[str]]:
    """`iam plan`'s summary: change lines by role or policy; role and policy creations under (resources)."""
    sections: dict[str, list[str]] = {}
    owner = None
    for line in stdout.splitlines():
        if line.startswith("    ") and owner:
            sections[owner].append(line.strip())
        elif line.startswith("  ") and line.strip().endswith(":"):
            owner = line.strip()[:-1]
            sections[owner] = []
        elif line.startswith("  "):
            owner = None
            sections.setdefault("(resources)", []).append(line.strip())
    return sections


def test_iam_plan_shows_one_added_action_and_apply_refuses_a_later_edit(
    deployed: Project, tmp_path: Path, local_target: Target
) -> None:
    ops = copy_project(tmp_path / "repo")
    manifest = ops.root / "services" / "location" / "service.yaml"
    manifest.write_text(manifest.read_text().replace("locations: [dynamodb:GetItem]", "locations: [dynamodb:GetItem, dynamodb:Query]"))

    planned = ops.deploy_py("iam", "plan")

    assert planned.returncode == 0, planned.stdout + planned.stderr
    # Other tests add services to the shared emulator's ops/iam state (their removal shows too):
    # of this project's roles, exactly one gains exactly one action.
    sections = summary_sections(planned.stdout)
    table = f"{ACCOUNT_ARN.format(service='dynamodb')}:table/local-location-locations"
    ours = {owner: lines for owner, lines in sections.items() if owner != "(resources)" and "location" in owner}
    assert ours == {"role local-location-get_location": [f"+ Allow dynamodb:Query on {table}"]}
    assert not [line for line in sections.get("(resources)", []) if "location" in line]

    manifest.write_text(manifest.read_text() + "\n# a later edit\n")
    refused = ops.deploy_py("iam", "apply")

    assert refused.returncode == 1
    assert "stale" in refused.stderr and "services/location/service.yaml" in refused.stderr
    assert "make iam-plan" in refused.stderr
    document = local_target.client("iam", Identity.OPS).get_role_policy(
        RoleName="local-location-get_location", PolicyName="least-privilege"
    )["PolicyDocument"]
    assert "dynamodb:Query" not in policy_document(document)

    plan_file = next(Path(line.split(": ", 1)[1]) for line in planned.stdout.splitlines() if line.startswith("saved plan: "))
    plan_file.unlink()
    missing = ops.deploy_py("iam", "apply")
    assert missing.returncode == 1 and "no saved ops/iam plan" in missing.stderr


def test_a_call_the_role_does_not_grant_fails_the_test_stage(tmp_path: Path, local_target: Target) -> None:
    broken = copy_project(tmp_path / "repo")
    source = broken.root / "services" / "location" / "src" / "location" / "get_location.py"
    source.write_text(source.read_text().replace(
        "    return 200, store.from_item(item)",
        "    store.table().put_item(Item={**item, \"seen\": True})\n    return 200, store.from_item(item)",
    ))
    line = source.read_text().splitlines().index("    store.table().put_item(Item={**item, \"seen\": True})") + 1

    result = broken.deploy_py("deploy", "--service", "location")

    assert result.returncode == 1
    assert f"services/location/src/location/get_location.py:{line}" in result.stderr
    assert "ops must grant dynamodb:PutItem on table locations" in result.stderr
    assert "[location] deploy skipped" in result.stdout
