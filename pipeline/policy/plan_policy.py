"""Policy on the saved plan: what a developer's apply would change, read from `terraform show -json`.

The static guard reads files; this reads the plan, so IAM that arrives through any module (a
remote one, or a local one outside services/) is refused before apply all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.errors import PolicyViolation
from pipeline.policy.guard import OPS_FLOW_HINT

_CHANGING = {"create", "update", "delete"}


@dataclass(frozen=True)
class PlanFinding:
    """One refused change in a plan: the resource address and why."""

    address: str
    reason: str


def _changes(plan: Mapping[str, Any]) -> Iterator[tuple[str, str, set[str], dict[str, Any], dict[str, Any]]]:
    for change in plan.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        details = change.get("change", {})
        actions = set(details.get("actions", [])) & _CHANGING
        if actions:
            after = details.get("after") or {}
            unknown = details.get("after_unknown") or {}
            yield change["address"], change["type"], actions, after, unknown


def _role_finding(address: str, after: Mapping[str, Any], unknown: Mapping[str, Any], service: str) -> PlanFinding | None:
    role = after.get("role")
    if unknown.get("role") or not isinstance(role, str):
        return PlanFinding(address, "its role is not known at plan time: take it from ops' `data \"aws_iam_role\"`")
    if f":role/services/{service}/" not in role:
        return PlanFinding(address, f"role {role} is not one of ops' roles for {service} (path /services/{service}/)")
    return None


def check_plan(plan: Mapping[str, Any], service: str) -> list[PlanFinding]:
    """Every change in `plan` a developer deploy of `service` may not make."""
    findings: list[PlanFinding] = []
    for address, resource_type, actions, after, unknown in _changes(plan):
        verbs = "/".join(sorted(actions))
        if resource_type.startswith("aws_iam_"):
            findings.append(PlanFinding(address, f"would {verbs} IAM; roles and policies belong to ops"))
        elif resource_type == "aws_lambda_permission" and actions != {"delete"}:
            if after.get("source_arn") is None and not unknown.get("source_arn"):
                findings.append(PlanFinding(address, "grants invoke without source_arn, so any caller of that principal may invoke"))
        elif resource_type == "aws_lambda_function" and actions != {"delete"}:
            finding = _role_finding(address, after, unknown, service)
            if finding is not None:
                findings.append(finding)
    return findings


def plan_guard(service: str) -> Callable[[Mapping[str, Any]], None]:
    """A review callback for plan_and_apply that refuses `service`'s plan when check_plan finds anything."""

    def review(plan: Mapping[str, Any]) -> None:
        findings = check_plan(plan, service)
        if findings:
            listed = "\n".join(f"  {finding.address}: {finding.reason}" for finding in findings)
            raise PolicyViolation(f"the plan for {service} is refused, nothing was applied:\n{listed}", OPS_FLOW_HINT)

    return review
