"""Terraform roots in an environment: their data dirs, backends, inputs and applies."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.aws import Identity, Target
from pipeline.errors import PartialApply, TerraformError
from pipeline.paths import PROJECT_ROOT, local_dir
from pipeline.terraform.modules import module_dirs
from pipeline.terraform.runner import Terraform
from pipeline.terraform.toolchain import Toolchain


@dataclass(frozen=True)
class ApplyResult:
    changed: bool  # whether the plan had changes (and so was applied)
    plan_sha256: str


def root_id(root: Path) -> str:
    """The root's path inside the project, e.g. services/location/infra."""
    return root.resolve().relative_to(PROJECT_ROOT).as_posix()


def state_key(root: Path) -> str:
    """Where the root's state lives in the environment's state bucket."""
    return f"{root_id(root)}/terraform.tfstate"


def data_dir(target: Target, root: Path) -> Path:
    """The root's Terraform data dir for this environment (providers, modules, backend, plans)."""
    return local_dir() / "terraform" / target.environment.name / root_id(root).replace("/", "__")


def s3_backend(target: Target, root: Path) -> dict[str, str]:
    """Backend settings for a root whose state lives in the environment's state bucket."""
    return s3_backend_at(target, target.environment.state_bucket, state_key(root))


def s3_backend_at(target: Target, bucket: str, key: str) -> dict[str, str]:
    """Backend settings for a state object `key` in `bucket`, locked with an S3 lock file."""
    config = {
        "bucket": bucket,
        "key": key,
        "region": target.environment.region,
        "use_lockfile": "true",
        "encrypt": "true",
        # moto mis-signs the default "env:" prefix (SignatureDoesNotMatch); a plain one works everywhere.
        "workspace_key_prefix": "workspaces",
    }
    if target.endpoint is not None:
        config["use_path_style"] = "true"
    return config


def terraform_for(target: Target, toolchain: Toolchain, root: Path, identity: Identity) -> Terraform:
    return Terraform(toolchain, root, data_dir(target, root), target.process_env(identity))


def infra_hash(root: Path, extra_files: list[Path], variables: Mapping[str, Any]) -> str:
    """A digest of everything a plan of `root` depends on in this repository.

    Terraform is skipped when this matches the last successful apply's digest.
    """
    digest = hashlib.sha256(json.dumps(dict(variables), sort_keys=True).encode())
    folders = [root.resolve(), *module_dirs(root)]
    files = [f for folder in folders for f in sorted(folder.iterdir()) if f.is_file()] + extra_files
    for path in files:
        digest.update(path.resolve().relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


PlanReview = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class ReviewedPlan:
    """A saved plan that passed review, waiting to be applied (or discarded)."""

    terraform: Terraform
    path: Path
    has_changes: bool
    sha256: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def plan_reviewed(
    terraform: Terraform, backend: Mapping[str, str], variables: Mapping[str, Any], review: PlanReview | None = None,
    destroy: bool = False,
) -> ReviewedPlan:
    """init (unless unchanged), plan (a destroy, with `destroy`) to a saved file, and let `review` see the plan's JSON.

    `review` may refuse the plan by raising; the plan file is then deleted. Changes nothing.
    """
    terraform.init(backend)
    var_file = terraform.data_dir / "inputs.tfvars.json"
    var_file.write_text(json.dumps(dict(variables), indent=2, sort_keys=True))
    plan = terraform.plan(terraform.data_dir / "plan.tfplan", var_file, destroy)
    reviewed = ReviewedPlan(terraform, plan.path, plan.has_changes, hashlib.sha256(plan.path.read_bytes()).hexdigest())
    try:
        if plan.has_changes and review is not None:
            review(terraform.show_json(plan.path))
    except BaseException:
        reviewed.discard()
        raise
    return reviewed


def apply_reviewed(plan: ReviewedPlan) -> ApplyResult:
    """Apply exactly the reviewed plan when it has changes; the plan file is deleted either way."""
    try:
        if plan.has_changes:
            apply_or_report(plan.terraform, plan.path)
    finally:
        plan.discard()
    return ApplyResult(changed=plan.has_changes, plan_sha256=plan.sha256)


def plan_and_apply(
    terraform: Terraform, backend: Mapping[str, str], variables: Mapping[str, Any], review: PlanReview | None = None
) -> ApplyResult:
    """init, plan to a saved file, and apply exactly that plan when it has changes (and `review` passes)."""
    return apply_reviewed(plan_reviewed(terraform, backend, variables, review))


def apply_or_report(terraform: Terraform, plan_file: Path) -> None:
    """Apply the plan; if a plain error stops it midway, say which planned changes landed."""
    try:
        terraform.apply(plan_file)
    except TerraformError as err:
        raise partial_apply_report(terraform, plan_file, err) from err


def partial_apply_report(terraform: Terraform, plan_file: Path, err: TerraformError) -> PartialApply:
    """Compare the plan with the state after a failed apply: what was and was not applied."""
    present = terraform.state_addresses()
    applied: list[str] = []
    missing: list[str] = []
    unsure: list[str] = []
    for change in terraform.show_json(plan_file).get("resource_changes", []):
        actions, address = set(change["change"]["actions"]), change["address"]
        if actions <= {"no-op", "read"}:
            continue
        if actions == {"create"} or actions == {"delete"}:
            landed = (address in present) == (actions == {"create"})
            (applied if landed else missing).append(f"{'/'.join(sorted(actions))} {address}")
        else:
            unsure.append(f"{'/'.join(sorted(actions))} {address}")
    lines = [f"applied: {', '.join(applied) or 'nothing'}", f"not applied: {', '.join(missing) or 'nothing'}"]
    if unsure:
        lines.append(f"updated or replaced, check with a new plan: {', '.join(unsure)}")
    return PartialApply(
        f"{err.message}\nthe apply stopped midway; the state holds what was done:\n  " + "\n  ".join(lines),
        "fix the cause above and run the deploy again: it plans from the saved state and finishes the rest",
    )


def all_roots() -> list[Path]:
    """Every Terraform root in the project: ops roots, service roots and module examples."""
    patterns = ("ops/*/versions.tf", "services/*/infra/versions.tf", "modules/**/examples/*/versions.tf")
    return sorted({path.parent for pattern in patterns for path in PROJECT_ROOT.glob(pattern)})
