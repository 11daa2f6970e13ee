"""Drift: what `terraform plan -detailed-exitcode` would change back in a deployed service root.

Also reconciles: applies exactly that reviewed plan, which puts Terraform's settings back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.aws import Identity, connect
from pipeline.errors import DriftDetected
from pipeline.policy.plan_policy import plan_guard
from pipeline.project.environments import get_environment
from pipeline.project.naming import artifact_key
from pipeline.project.services import load_service
from pipeline.stages.deploy import root_variables, service_infra_hash
from pipeline.state.ledger import Ledger
from pipeline.terraform.roots import apply_or_report, s3_backend, terraform_for
from pipeline.terraform.toolchain import ensure_toolchain


@dataclass(frozen=True)
class DriftReport:
    service: str
    deployed: bool  # False: never deployed here, nothing to compare
    drifted: tuple[str, ...]  # "<address>: <changed attributes>" Terraform would put back
    reconciled: bool = False


def _changed_attributes(change: Mapping[str, Any]) -> str:
    before, after = change.get("before") or {}, change.get("after") or {}
    names = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key)
                   and not change.get("after_unknown", {}).get(key))
    return ", ".join(names) or "/".join(change.get("actions", []))


def drifted_resources(plan: Mapping[str, Any]) -> tuple[str, ...]:
    """Each resource the plan would change, with the attributes it would set back."""
    return tuple(
        f"{item['address']}: {_changed_attributes(item['change'])}"
        for item in plan.get("resource_changes", [])
        if set(item["change"]["actions"]) - {"no-op", "read"}
    )


def check_drift(service_name: str, environment_name: str, reconcile: bool = False) -> DriftReport:
    """Plan the service's root against what is deployed; with `reconcile`, apply that plan.

    Raises DriftDetected when reconciling would also apply infra changes not deployed yet,
    PolicyViolation if the plan is refused, TerraformError from init or plan.
    """
    environment = get_environment(environment_name)
    service = load_service(service_name)
    target = connect(environment).for_service(service_name)
    last = Ledger(target).last_success(service_name)
    if last is None:
        return DriftReport(service_name, deployed=False, drifted=())
    undeployed = last.infra_hash != service_infra_hash(target, service)
    terraform = terraform_for(target, ensure_toolchain(), service.infra_dir, Identity.DEPLOYER)
    terraform.init(s3_backend(target, service.infra_dir))
    var_file = terraform.data_dir / "drift.tfvars.json"
    var_file.write_text(json.dumps({**root_variables(target, service), "artifact_key": artifact_key(service_name, last.artifact_sha256)}))
    plan = terraform.plan(terraform.data_dir / "drift.tfplan", var_file)
    try:
        drifted = drifted_resources(terraform.show_json(plan.path)) if plan.has_changes else ()
        if not (reconcile and drifted):
            return DriftReport(service_name, deployed=True, drifted=drifted)
        if undeployed:
            raise DriftDetected(
                f"{service_name}'s infra changed since its last deploy, so reconciling would also apply those changes",
                f"deploy it instead: python deploy.py deploy --service {service_name} --env {environment_name}",
            )
        plan_guard(service_name)(terraform.show_json(plan.path))
        apply_or_report(terraform, plan.path)
        return DriftReport(service_name, deployed=True, drifted=drifted, reconciled=True)
    finally:
        plan.path.unlink(missing_ok=True)
