"""What an ops/iam plan changes, for a human: which role gains or loses which action on which resource.

Pure logic over Terraform's JSON plan (`terraform show -json`), so it is tested on fixtures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_POLICY_TYPES = {"aws_iam_role_policy": "role", "aws_iam_policy": "policy"}
_CHANGE_WORDS = {("create",): "create", ("delete",): "delete", ("update",): "update",
                 ("delete", "create"): "replace", ("create", "delete"): "replace"}


@dataclass(frozen=True, order=True)
class Grant:
    """One effect on one action on one resource, as a policy statement expands to."""

    effect: str  # Allow or Deny
    action: str
    resource: str  # an ARN pattern; "NOT <arn>" for a NotResource statement


@dataclass(frozen=True, order=True)
class PermissionChange:
    owner: str  # "role <name>" or "policy <name>"
    gained: bool
    grant: Grant

    def describe(self) -> str:
        sign = "+" if self.gained else "-"
        return f"{sign} {self.grant.effect} {self.grant.action} on {self.grant.resource}"


@dataclass(frozen=True, order=True)
class ResourceChange:
    change: str  # create, delete, update, replace
    kind: str  # role, policy, ...
    name: str
    address: str


@dataclass(frozen=True)
class IamSummary:
    resources: tuple[ResourceChange, ...]
    permissions: tuple[PermissionChange, ...]
    unknown: tuple[str, ...]  # policies whose content is known only after apply

    @property
    def empty(self) -> bool:
        return not (self.resources or self.permissions or self.unknown)

    def lines(self) -> list[str]:
        """The summary as indented text lines, grouped by role or policy."""
        if self.empty:
            return ["no IAM changes"]
        lines = [f"{r.change} {r.kind} {r.name}  ({r.address})" for r in self.resources]
        for owner in sorted({p.owner for p in self.permissions}):
            lines.append(f"{owner}:")
            lines += [f"  {p.describe()}" for p in self.permissions if p.owner == owner]
        lines += [f"{address}: policy known only after apply" for address in self.unknown]
        return lines


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def grants(policy: str | None) -> set[Grant]:
    """Every (effect, action, resource) a policy document allows or denies."""
    if not policy:
        return set()
    document = json.loads(policy)
    statements = document.get("Statement", [])
    found = set()
    for statement in [statements] if isinstance(statements, dict) else statements:
        actions = _as_list(statement.get("Action")) or [f"NOT {a}" for a in _as_list(statement.get("NotAction"))]
        resources = _as_list(statement.get("Resource")) or [f"NOT {r}" for r in _as_list(statement.get("NotResource"))]
        for action in actions:
            for resource in resources or ["(none)"]:
                found.add(Grant(statement.get("Effect", "Allow"), action, resource))
    return found


def _module_of(address: str) -> str:
    return address.rsplit(".", 2)[0] if address.startswith("module.") else ""


def _values(change: dict[str, Any], side: str) -> dict[str, Any]:
    value = change.get(side)
    return value if isinstance(value, dict) else {}


def _owner(resource: dict[str, Any], role_names: dict[str, str]) -> str:
    change = resource["change"]
    values = _values(change, "after") or _values(change, "before")
    if resource["type"] == "aws_iam_policy":
        return f"policy {values.get('name') or resource['address']}"
    role = values.get("role") or role_names.get(_module_of(resource["address"])) or resource["address"]
    return f"role {role}"


def _kind(resource_type: str) -> str:
    return resource_type.removeprefix("aws_iam_").replace("_", " ")


def _changed_resources(plan: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    for resource in plan.get("resource_changes", []):
        word = _CHANGE_WORDS.get(tuple(resource["change"]["actions"]))
        if word and resource["type"].startswith("aws_iam_"):
            yield resource, word


def summarize(plan: dict[str, Any]) -> IamSummary:
    """The IAM changes of a JSON plan: roles and policies made or removed, grants gained or lost."""
    changed = list(_changed_resources(plan))
    role_names = {
        _module_of(r["address"]): (_values(r["change"], "after") or _values(r["change"], "before")).get("name", "")
        for r, _ in changed if r["type"] == "aws_iam_role"
    }
    role_names.update(_prior_role_names(plan))
    resources: list[ResourceChange] = []
    permissions: list[PermissionChange] = []
    unknown: list[str] = []
    for resource, word in changed:
        change = resource["change"]
        if resource["type"] in _POLICY_TYPES:
            if word != "update" or resource["type"] == "aws_iam_policy":
                resources.append(_resource_change(resource, word, role_names))
            if (change.get("after_unknown") or {}).get("policy"):
                unknown.append(resource["address"])
                continue
            before = grants(_values(change, "before").get("policy"))
            after = grants(_values(change, "after").get("policy"))
            owner = _owner(resource, role_names)
            permissions += [PermissionChange(owner, True, g) for g in after - before]
            permissions += [PermissionChange(owner, False, g) for g in before - after]
        else:
            resources.append(_resource_change(resource, word, role_names))
    return IamSummary(tuple(sorted(set(resources))), tuple(sorted(permissions)), tuple(sorted(unknown)))


def _resource_change(resource: dict[str, Any], word: str, role_names: dict[str, str]) -> ResourceChange:
    values = _values(resource["change"], "after") or _values(resource["change"], "before")
    if resource["type"] == "aws_iam_role_policy":
        name = f"{values.get('name', '')} of {_owner(resource, role_names)}"
    else:
        name = values.get("name") or values.get("role") or resource.get("name", "")
    return ResourceChange(word, _kind(resource["type"]), name, resource["address"])


def _prior_role_names(plan: dict[str, Any]) -> dict[str, str]:
    """Role names by module address from the state the plan started from (for unchanged roles)."""
    root = ((plan.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    return {
        _module_of(resource["address"]): resource["values"]["name"]
        for resource in _walk_modules(root)
        if resource.get("type") == "aws_iam_role" and resource.get("values", {}).get("name")
    }


def _walk_modules(module: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _walk_modules(child)
