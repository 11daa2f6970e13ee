"""Teardown: destroy one service's resources in an environment, from a saved, confirmed destroy plan.

Refused while another service calls it (`calls_apis`, `invokes`, smoke checks). Artifacts and
ledger records stay (audit); the service's ledger head goes, so `changed` treats it as never
deployed there. Its execution roles are ops': they leave through `make iam-plan` / `iam-apply`
once the folder is deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pipeline.aws import Identity, connect
from pipeline.errors import PipelineError, PolicyViolation
from pipeline.policy.plan_policy import plan_guard
from pipeline.project.environments import get_environment
from pipeline.project.order import callees
from pipeline.project.services import load_service, service_names
from pipeline.stages.deploy import root_variables
from pipeline.state.ledger import Ledger, LedgerEntry
from pipeline.state.locks import service_lock
from pipeline.terraform.roots import apply_reviewed, plan_reviewed, s3_backend, terraform_for


@dataclass(frozen=True)
class DestroyPlan:
    """What removing the service destroys, for the user to confirm."""

    service: str
    environment: str
    resources: tuple[str, ...]  # Terraform addresses the saved plan deletes


def callers_of(name: str) -> list[str]:
    """The services whose manifests call, invoke or smoke-check `name`. Raises ManifestError for a broken one."""
    return [other for other in service_names() if other != name and name in callees(load_service(other).manifest)]


def remove_service(
    name: str, environment_name: str, confirm: Callable[[DestroyPlan], bool], lock_timeout_s: float,
    on_wait: Callable[[str], None],
) -> LedgerEntry | None:
    """Plan the destroy of `name`'s root, ask `confirm`, and apply it under the service's lock.

    Returns the removal as recorded in the ledger, or None when `confirm` said no (nothing
    changed). Raises ServiceNotFound, EnvironmentNotFound, PolicyViolation while another service
    calls it, DeployLocked, TerraformError from the plan or apply.
    """
    from pipeline.terraform.toolchain import ensure_toolchain

    service = load_service(name)
    callers = callers_of(name)
    if callers:
        raise PolicyViolation(
            f"remove: {', '.join(callers)} still call{'s' if len(callers) == 1 else ''} {name}; nothing was destroyed",
            f"remove the calls from {', '.join(f'services/{caller}/service.yaml' for caller in callers)} "
            "(calls_apis, invokes, smoke checks) and deploy them first",
        )
    target = connect(get_environment(environment_name)).for_service(name)
    toolchain = ensure_toolchain()
    ledger = Ledger(target)
    entry = LedgerEntry.start(name, environment_name, "", False, kind="remove")
    with service_lock(target, name, entry.execution_id, lock_timeout_s, lambda holder: on_wait(holder.describe())):
        terraform = terraform_for(target, toolchain, service.infra_dir, Identity.DEPLOYER)
        variables = {**root_variables(target, service), "artifact_key": "removed"}
        planned = plan_reviewed(terraform, s3_backend(target, service.infra_dir), variables, plan_guard(name),
                                destroy=True)
        try:
            resources = _deleted(terraform.show_json(planned.path)) if planned.has_changes else ()
            if not confirm(DestroyPlan(name, environment_name, resources)):
                return None
            try:
                applied = apply_reviewed(planned)
            except PipelineError as err:
                ledger.record(entry.fail((), err.message))
                raise
        finally:
            planned.discard()
        removed = replace(entry.succeed(()), plan_sha256=applied.plan_sha256)
        ledger.record_removal(removed)
        return removed


def _deleted(plan: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(change["address"] for change in plan.get("resource_changes", [])
                 if change.get("mode") == "managed" and "delete" in change["change"]["actions"])
