"""IAM identity-policy evaluation with AWS semantics: what AWS decides for one request.

Covers what the project's policies use, as AWS documents it: Action and NotAction (case-
insensitive, `*` and `?`), Resource and NotResource, Conditions with the String*, Arn*, Bool and
Null operators, `...IfExists`, `ForAnyValue:`/`ForAllValues:`, and an explicit Deny beating any
Allow. Anything else (a policy variable, an unknown operator, NotPrincipal) raises PolicyError:
a proof built on this must never pass by ignoring part of a policy.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pipeline.errors import PolicyError


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Request:
    """One authorisation question: `action` on `resource`, with the request's condition keys."""

    action: str
    resource: str
    # condition key -> its values in this request (tags, service names...); keys are case-insensitive
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def values(self, key: str) -> tuple[str, ...] | None:
        wanted = key.lower()
        for name, values in self.context.items():
            if name.lower() == wanted:
                return values
        return None


@functools.lru_cache(maxsize=65536)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise PolicyError(f"policy variable in {pattern!r} is not supported by the evaluator",
                          "write the value out in the policy, or teach pipeline/policy/evaluation.py the variable")
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike compares each of the six colon-separated parts on its own (the last keeps its colons)."""
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    return len(pattern_parts) == len(value_parts) == 6 and all(
        _glob(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda policy, value: policy == value,
    "StringEqualsIgnoreCase": lambda policy, value: policy.lower() == value.lower(),
    "StringLike": _glob,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda policy, value: policy.lower() == value.lower(),
}
_NEGATIONS = {
    "StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
}


def _as_list(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(item).lower() if isinstance(item, bool) else str(item) for item in values]


def _condition_holds(operator: str, key: str, expected: list[str], request: Request) -> bool:
    """One key of one operator block, as AWS evaluates it (missing keys included)."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    actual = request.values(key)
    if name == "Null":
        return (actual is None or not actual) == (expected[0].lower() == "true")
    negated = name in _NEGATIONS
    matcher = _MATCHERS.get(_NEGATIONS.get(name, name))
    if matcher is None or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise PolicyError(f"condition operator {operator!r} is not supported by the evaluator",
                          "use a String*, Arn*, Bool or Null operator, or extend pipeline/policy/evaluation.py")
    if not actual:
        # A missing key fails a positive operator and satisfies a negated one; ...IfExists skips it.
        return if_exists or negated or qualifier == "ForAllValues"

    def matches(value: str) -> bool:
        return any(matcher(pattern, value) for pattern in expected)

    if qualifier == "ForAllValues":
        return all(matches(value) != negated for value in actual)
    found = any(matches(value) for value in actual)
    return not found if negated else found


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    return all(
        _condition_holds(operator, key, _as_list(expected), request)
        for operator, block in conditions.items()
        for key, expected in block.items()
    )


def _statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    known = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
    unknown = set(statement) - known
    if unknown:
        raise PolicyError(f"statement element(s) {', '.join(sorted(unknown))} are not supported in identity policies",
                          "identity policies name no Principal; remove the element")
    if statement.get("Effect") not in ("Allow", "Deny") or ("Action" in statement) == ("NotAction" in statement):
        raise PolicyError(f"statement {statement.get('Sid', '')!r} needs an Effect of Allow or Deny and exactly one of "
                          "Action and NotAction", "fix the policy document")
    if "Action" in statement:
        action_matches = any(_glob(p, request.action, ignore_case=True) for p in _as_list(statement["Action"]))
    else:
        action_matches = not any(_glob(p, request.action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    if "Resource" in statement:
        resource_matches = any(_glob(p, request.resource) for p in _as_list(statement["Resource"]))
    else:
        resource_matches = not any(_glob(p, request.resource) for p in _as_list(statement.get("NotResource", [])))
    return action_matches and resource_matches and _conditions_hold(statement.get("Condition", {}), request)


def statements(document: str | Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a policy document (JSON text or parsed). Raises PolicyError if it is not one."""
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
        found = parsed["Statement"]
    except (ValueError, KeyError, TypeError):
        raise PolicyError("not an IAM policy document (no Statement)", "pass the policy JSON itself") from None
    return [found] if isinstance(found, dict) else list(found)


def evaluate(documents: Sequence[str | Mapping[str, Any]], request: Request) -> Decision:
    """What AWS decides for `request` given one principal's identity policies (no boundary).

    Raises PolicyError for a document or element the evaluator does not implement.
    """
    allowed = False
    for document in documents:
        for statement in statements(document):
            if not _statement_applies(statement, request):
                continue
            if statement["Effect"] == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY

