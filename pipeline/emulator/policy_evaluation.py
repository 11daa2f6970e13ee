"""IAM policy evaluation as AWS does it, for one request: action, resource ARN and condition keys.

Pure (no moto): identity policies and an optional permissions boundary in, a verdict out. An
explicit Deny in either wins; otherwise an identity policy must Allow and, when the principal has
a boundary, the boundary must Allow too (effective permissions = identity ∩ boundary).
Statements: Action/NotAction, Resource/NotResource with `*` and `?` wildcards, and Conditions with
the String*, Arn*, Bool and Null operators, `...IfExists`, and the ForAnyValue/ForAllValues sets.

Fail closed: what the emulator cannot judge (a request whose resource it cannot tell, an
operator or condition key it does not model, a policy variable) never makes an Allow apply and
always makes a Deny apply; the verdict's reason names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

UNRESOLVED = "*"  # the resource of a request the emulator cannot tie to one ARN
# Condition keys the emulator fills in when they apply to a request (families end with "/").
MODELLED_KEYS = (
    "aws:resourcetag/", "aws:requesttag/", "aws:tagkeys", "iam:passedtoservice", "s3:prefix", "apigateway:request/apiname",
)


@dataclass(frozen=True)
class Request:
    """What one request asks: `action` on `resource`, with the condition keys it carries (lower-case names)."""

    action: str
    resource: str
    conditions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # AWS's wording after "... on resource: <arn>": "because ..."


class _Unjudgeable(Exception):
    """Part of a statement the emulator cannot evaluate; the statement then fails closed."""


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise _Unjudgeable(f"policy variables such as {pattern!r} are not evaluated by the emulator")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _action_applies(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_matches(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    return any(_matches(p, action, ignore_case=True) for p in _as_list(statement.get("Action", [])))


def _resource_applies(statement: Mapping[str, Any], resource: str) -> bool:
    negated = "NotResource" in statement
    patterns = _as_list(statement["NotResource"] if negated else statement.get("Resource", []))
    if resource == UNRESOLVED and any(p != "*" for p in patterns):
        raise _Unjudgeable("the emulator cannot tell which resource this request acts on, so statements "
                           "scoped to ARNs cannot be judged (only Resource \"*\" applies)")
    found = any(_matches(p, resource) for p in patterns)
    return not found if negated else found


def _value_matches(operator: str, pattern: str, value: str) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return pattern == value
    if operator == "StringEqualsIgnoreCase":
        return pattern.lower() == value.lower()
    if operator in ("StringLike", "ArnLike"):
        return _matches(pattern, value)
    if operator == "Bool":
        return pattern.lower() == value.lower()
    raise _Unjudgeable(f"the condition operator {operator} is not evaluated by the emulator")


_NEGATIONS = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
              "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


def _modelled(key: str) -> bool:
    return any(key.startswith(known) if known.endswith("/") else key == known for known in MODELLED_KEYS)


def _condition_holds(operator: str, key: str, patterns: list[str], context: Mapping[str, tuple[str, ...]]) -> bool:
    """One operator on one key, as AWS evaluates it; raises _Unjudgeable for what is not modelled."""
    key = key.lower()
    if key not in context and not _modelled(key):
        raise _Unjudgeable(f"the condition key {key} is not known to the emulator")
    values = context.get(key)
    if operator == "Null":
        return (values is None) == (patterns[0].lower() == "true")
    set_operator, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    negated = operator in _NEGATIONS
    positive = _NEGATIONS.get(operator, operator)

    def one_matches(value: str) -> bool:
        return any(_value_matches(positive, p, value) for p in patterns)

    if set_operator == "ForAllValues":  # every value the request carries is listed (none: true)
        held = all(one_matches(v) for v in values or ())
        return not held if negated else held
    if set_operator not in ("", "ForAnyValue"):
        raise _Unjudgeable(f"the condition operator {set_operator}:{operator} is not evaluated by the emulator")
    if values is None:
        return if_exists or (negated and set_operator == "")
    held = any(one_matches(v) for v in values)
    return not held if negated else held


def _conditions_hold(statement: Mapping[str, Any], context: Mapping[str, tuple[str, ...]]) -> bool:
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, patterns in keys.items():
            if not _condition_holds(operator, key, _as_list(patterns), context):
                return False
    return True


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _name(statement: Mapping[str, Any]) -> str:
    return f"statement {statement['Sid']!r}" if statement.get("Sid") else "a statement"


@dataclass(frozen=True)
class _PolicySetResult:
    allowed: bool
    denied_by: str | None  # why an explicit (or fail-closed) Deny applies
    unjudged_allow: str | None  # why an Allow that might apply could not be judged


def _evaluate_set(documents: Sequence[Mapping[str, Any]], request: Request) -> _PolicySetResult:
    allowed, unjudged = False, None
    for document in documents:
        for statement in _statements(document):
            if not _action_applies(statement, request.action):
                continue
            deny = statement.get("Effect") == "Deny"
            try:
                applies = _resource_applies(statement, request.resource) and _conditions_hold(statement, request.conditions)
            except _Unjudgeable as why:
                if deny:
                    return _PolicySetResult(False, f"{_name(statement)} fails closed: {why}", None)
                unjudged = unjudged or str(why)
                continue
            if applies and deny:
                return _PolicySetResult(False, f"explicitly denied by {_name(statement)}", None)
            allowed = allowed or applies
    return _PolicySetResult(allowed, None, unjudged)


def evaluate(identity_policies: Sequence[Mapping[str, Any]], boundary: Mapping[str, Any] | None,
             request: Request) -> Verdict:
    """Whether `request` is allowed by the identity policies capped by `boundary` (None: no boundary)."""
    identity = _evaluate_set(identity_policies, request)
    if identity.denied_by:
        return Verdict(False, f"with an explicit deny in an identity-based policy: {identity.denied_by}")
    capped = _evaluate_set([boundary], request) if boundary is not None else None
    if capped is not None and capped.denied_by:
        return Verdict(False, f"with an explicit deny in a permissions boundary: {capped.denied_by}")
    if not identity.allowed:
        detail = f" ({identity.unjudged_allow})" if identity.unjudged_allow else ""
        return Verdict(False, f"because no identity-based policy allows the {request.action} action{detail}")
    if capped is not None and not capped.allowed:
        detail = f" ({capped.unjudged_allow})" if capped.unjudged_allow else ""
        return Verdict(False, f"because no permissions boundary allows the {request.action} action{detail}")
    return Verdict(True, "allowed")
