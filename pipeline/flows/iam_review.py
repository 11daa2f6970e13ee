"""Ops' review flow for ops/iam: plan to a saved file with a readable summary, then apply exactly that.

The plan is stored beside a digest of everything it was made from (ops/iam, modules/iam, every
service manifest, the root's inputs); apply refuses when any of it changed since.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.aws import Identity, Target
from pipeline.errors import IamPlanError
from pipeline.paths import PROJECT_ROOT
from pipeline.policy.iam_summary import IamSummary, summarize
from pipeline.project.services import MANIFEST_NAME, SERVICES_DIR
from pipeline.state.bootstrap import IAM_ROOT, ensure_buckets, iam_variables
from pipeline.terraform.roots import data_dir, s3_backend, terraform_for
from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import Toolchain

PLAN_NAME = "review.tfplan"
INPUTS_NAME = "review.inputs.json"


@dataclass(frozen=True)
class IamPlan:
    plan_file: Path
    has_changes: bool
    summary: IamSummary
    applied_roots: tuple[str, ...]  # ops roots applied first (local only), e.g. ops/bootstrap


def review_inputs(project_root: Path = PROJECT_ROOT, services_dir: Path = SERVICES_DIR) -> list[Path]:
    """Every file an ops/iam plan depends on, sorted: the root, the IAM modules, the manifests."""
    folders = (project_root / "ops" / "iam", project_root / "modules" / "iam")
    files = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    return sorted(files + list(services_dir.glob(f"*/{MANIFEST_NAME}")))


def input_digests(files: list[Path], variables: dict[str, Any], project_root: Path = PROJECT_ROOT) -> dict[str, str]:
    """sha256 of each input file by project path, plus one entry for the root's variables."""
    digests = {path.relative_to(project_root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}
    digests["(variables)"] = hashlib.sha256(json.dumps(variables, sort_keys=True).encode()).hexdigest()
    return digests


def changed_inputs(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """Inputs added, removed or edited between two digests, sorted."""
    return sorted(name for name in recorded.keys() | current.keys() if recorded.get(name) != current.get(name))


def _terraform(target: Target, toolchain: Toolchain) -> Terraform:
    return terraform_for(target, toolchain, IAM_ROOT, Identity.OPS)


def plan(target: Target, toolchain: Toolchain) -> IamPlan:
    """Plan ops/iam to a saved file and summarise its IAM changes.

    Raises BootstrapMissing (no state bucket outside local) or TerraformError.
    """
    applied = ensure_buckets(target, toolchain)
    terraform = _terraform(target, toolchain)
    variables = iam_variables(target)
    digests = input_digests(review_inputs(), variables)
    terraform.init(s3_backend(target, IAM_ROOT))
    var_file = terraform.data_dir / "review.tfvars.json"
    var_file.write_text(json.dumps(variables, indent=2, sort_keys=True))
    plan_file = terraform.data_dir / PLAN_NAME
    result = terraform.plan(plan_file, var_file)
    (terraform.data_dir / INPUTS_NAME).write_text(json.dumps(digests, indent=2, sort_keys=True))
    return IamPlan(plan_file, result.has_changes, summarize(terraform.show_json(plan_file)), tuple(applied))


def apply(target: Target, toolchain: Toolchain) -> IamSummary:
    """Apply exactly the saved ops/iam plan; returns what it changed.

    Raises IamPlanError when there is no saved plan or its inputs changed since, TerraformError
    when Terraform refuses it (e.g. the state moved since the plan).
    """
    saved = data_dir(target, IAM_ROOT)  # checked before any credentials are needed
    plan_file, inputs_file = saved / PLAN_NAME, saved / INPUTS_NAME
    environment = target.environment.name
    if not plan_file.is_file() or not inputs_file.is_file():
        raise IamPlanError(
            f"no saved ops/iam plan for '{environment}'",
            f"run make iam-plan ENV={environment}, review it, then make iam-apply ENV={environment}",
        )
    changed = changed_inputs(json.loads(inputs_file.read_text()), input_digests(review_inputs(), iam_variables(target)))
    if changed:
        raise IamPlanError(
            f"the saved ops/iam plan for '{environment}' is stale: changed since the plan: {', '.join(changed)}",
            f"plan again and review the new summary: make iam-plan ENV={environment}",
        )
    terraform = _terraform(target, toolchain)
    summary = summarize(terraform.show_json(plan_file))
    terraform.apply(plan_file)
    plan_file.unlink()
    inputs_file.unlink()
    return summary
