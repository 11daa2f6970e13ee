"""Policy on the saved plan: a real plan against the emulator, with IAM slipped in through a module."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.errors import PolicyViolation
from pipeline.paths import PROJECT_ROOT
from pipeline.policy.plan_policy import check_plan, plan_guard
from pipeline.terraform.roots import plan_and_apply
from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import ensure_toolchain

VERSIONS = """
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}
"""

# A role arrives through a module outside services/, where the file guard of the root sees nothing.
OUTSIDE_MODULE = """
resource "aws_iam_role" "escalate" {
  name               = "not-from-ops"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}

output "arn" {
  value = aws_iam_role.escalate.arn
}
"""

ROOT = """
module "helper" {
  source = "../modules/helper"
}

resource "aws_lambda_function" "own_role" {
  function_name = "local-location-rogue"
  role          = "arn:aws:iam::123456789012:role/admin"
  handler       = "x.handler"
  runtime       = "python3.11"
  s3_bucket     = "local-artifacts"
  s3_key        = "none.zip"
}

resource "aws_lambda_permission" "anyone" {
  statement_id  = "open"
  action        = "lambda:InvokeFunction"
  function_name = "local-location-get_location"
  principal     = "apigateway.amazonaws.com"
}
"""


@pytest.fixture
def rogue_root(tmp_path: Path) -> Path:
    helper = tmp_path / "modules" / "helper"
    helper.mkdir(parents=True)
    (helper / "main.tf").write_text(textwrap.dedent(OUTSIDE_MODULE))
    root = tmp_path / "infra"
    root.mkdir()
    (root / "versions.tf").write_text(VERSIONS)
    (root / "main.tf").write_text(ROOT)
    shutil.copy(PROJECT_ROOT / "services" / "location" / "infra" / ".terraform.lock.hcl", root)
    return root


@pytest.mark.e2e
def test_a_plan_with_iam_an_open_permission_or_a_foreign_role_is_refused_and_nothing_applied(
    rogue_root: Path, local_target: Target
) -> None:
    target = local_target.for_service("location")
    terraform = Terraform(ensure_toolchain(), rogue_root, rogue_root.parent / "data", target.process_env(Identity.DEPLOYER))
    state = rogue_root.parent / "terraform.tfstate"
    seen: list[dict[str, object]] = []

    def review(plan: dict[str, object]) -> None:
        seen.append(plan)
        plan_guard("location")(plan)

    with pytest.raises(PolicyViolation) as refused:
        plan_and_apply(terraform, {"path": str(state)}, {}, review)

    findings = {finding.address: finding.reason for finding in check_plan(seen[0], "location")}
    assert sorted(findings) == [
        "aws_lambda_function.own_role", "aws_lambda_permission.anyone", "module.helper.aws_iam_role.escalate",
    ]
    assert "would create IAM" in findings["module.helper.aws_iam_role.escalate"]
    assert "without source_arn" in findings["aws_lambda_permission.anyone"]
    assert "not one of ops' roles" in findings["aws_lambda_function.own_role"]
    assert "module.helper.aws_iam_role.escalate" in refused.value.message
    assert "make iam-plan" in refused.value.hint
    assert not state.exists(), "a refused plan must not be applied"
    assert not (terraform.data_dir / "plan.tfplan").exists()


def test_deleting_iam_or_keeping_ops_roles_is_judged_from_the_plan() -> None:
    ops_role = "arn:aws:iam::123456789012:role/services/location/local-location-get_location"
    billing_role = "arn:aws:iam::123456789012:role/services/billing/local-billing-f"

    def change(address: str, kind: str, actions: list[str], after: dict[str, object] | None) -> dict[str, object]:
        return {"address": address, "type": kind, "mode": "managed",
                "change": {"actions": actions, "after": after, "after_unknown": {}}}

    plan = {"resource_changes": [
        change("aws_iam_role_policy.old", "aws_iam_role_policy", ["delete"], None),
        change("aws_lambda_function.ok", "aws_lambda_function", ["update"], {"role": ops_role}),
        change("aws_lambda_function.other", "aws_lambda_function", ["create"], {"role": billing_role}),
        change("aws_iam_role.read", "aws_iam_role", ["no-op"], {}),
    ]}
    assert [(finding.address, finding.reason.split(";")[0]) for finding in check_plan(plan, "location")] == [
        ("aws_iam_role_policy.old", "would delete IAM"),
        ("aws_lambda_function.other", f"role {billing_role} is not one of ops' roles for location (path /services/location/)"),
    ]
