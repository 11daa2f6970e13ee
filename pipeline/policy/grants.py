"""What a manifest asks ops to grant, and whether the roles in an environment already have it.

A manifest's `permissions`, `invokes` and `calls_apis` become IAM statements only when ops apply
ops/iam. `grant_changes` lists what a manifest edit asks for (for review); `missing_grants`
evaluates the roles' applied policies (AWS semantics) against each declared grant, so code is
never shipped before the grant it needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.policy.evaluation import Request, evaluate
from pipeline.project.manifest import Manifest


@dataclass(frozen=True, order=True)
class Grant:
    """One thing one function's role must be allowed, as the manifest names it."""

    function: str
    field: str  # the manifest field it comes from: permissions, invokes or calls_apis
    action: str
    target: str  # table name, service.function, or the called service

    def describe(self) -> str:
        what = {"permissions": "table", "invokes": "function", "calls_apis": "API of"}[self.field]
        return f"{self.function}: {self.action} on {what} {self.target}"


def declared_grants(manifest: Manifest) -> set[Grant]:
    """Every grant the manifest's functions declare."""
    found: set[Grant] = set()
    for function in manifest.functions.values():
        for table, actions in function.permissions.items():
            found |= {Grant(function.name, "permissions", action, table) for action in actions}
        found |= {Grant(function.name, "invokes", "lambda:InvokeFunction", ref) for ref in function.invokes}
        found |= {Grant(function.name, "calls_apis", "execute-api:Invoke", service) for service in function.calls_apis}
    return found


@dataclass(frozen=True)
class GrantChanges:
    added: tuple[Grant, ...]
    removed: tuple[Grant, ...]

    def lines(self) -> list[str]:
        return [f"+ {grant.describe()}" for grant in self.added] + [f"- {grant.describe()}" for grant in self.removed]


def grant_changes(before: Manifest | None, after: Manifest | None) -> GrantChanges:
    """Grants added and removed between two versions of a manifest (None: the file is absent)."""
    old = declared_grants(before) if before else set()
    new = declared_grants(after) if after else set()
    return GrantChanges(tuple(sorted(new - old)), tuple(sorted(old - new)))


@dataclass(frozen=True)
class Place:
    """Where ARNs point: the environment's names, region and account."""

    environment: str
    region: str
    account_id: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


def grant_requests(service: str, grant: Grant, place: Place, routes_of: Callable[[str], Sequence[str]]) -> list[Request]:
    """The requests the function's code will make for `grant`, with ARNs as ops/iam builds them.

    `routes_of(service)` gives a called service's routes ("GET /locations/{user_id}"); each must be
    callable. A called service without routes yields no request (there is nothing to call).
    """
    prefix = f"{place.environment}-{service}"
    if grant.field == "permissions":
        return [Request(grant.action, place.arn("dynamodb", f"table/{prefix}-{grant.target}"))]
    if grant.field == "invokes":
        function = f"{place.environment}-{grant.target.replace('.', '-')}:live"
        return [Request(grant.action, place.arn("lambda", f"function:{function}"))]
    requests = []
    for route in routes_of(grant.target):
        method, path = route.split(" ", 1)
        # Any API id and stage: API Gateway checks the caller's policy against the route it calls.
        concrete_path = re.sub(r"\{[^/]+\}", "x", path)
        requests.append(Request(grant.action, place.arn("execute-api", f"api0id/$default/{method}{concrete_path}")))
    return requests


def missing_grants(
    manifest: Manifest, policies: Mapping[str, Sequence[str | Mapping[str, Any]]], place: Place,
    routes_of: Callable[[str], Sequence[str]],
) -> list[Grant]:
    """Declared grants the applied role policies do not allow, sorted.

    `policies` maps each function to its role's policy documents as applied in the environment.
    Raises PolicyError for a policy element the evaluator cannot judge.
    """
    return sorted(
        grant for grant in declared_grants(manifest)
        if any(not evaluate(policies.get(grant.function, []), request).allowed
               for request in grant_requests(manifest.name, grant, place, routes_of))
    )
