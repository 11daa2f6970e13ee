"""IAM policy evaluation with AWS semantics: what AWS decides for one request.

Covers what the project's policies use, as AWS documents it: Action and NotAction (case-
insensitive, `*` and `?`), Resource and NotResource, Conditions with the String*, Arn*, Bool and
Null operators, `...IfExists`, `ForAnyValue:`/`ForAllValues:`, an explicit Deny beating any
Allow, and a permissions boundary capping the identity policies (effective = identity ∩ boundary).

What it cannot judge faithfully (a policy variable, an operator or element it does not
implement, a condition key outside what the caller models, a request whose resource is
UNRESOLVED) is handled as the caller's Judge says: a proof (the isolation proof, the
grants check) gets PolicyError and never passes by ignoring part of a policy; an enforcer (the
emulator) fails closed: such an Allow does not apply, such a Deny does, and the verdict says why.
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

UNRESOLVED = "*"  # the resource of a request the caller cannot tie to one ARN
_EXTEND = "extend pipeline/policy/evaluation.py"


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str  # AWS's wording after "... on resource: <arn>": "because ..." or "with an explicit deny ..."

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


@dataclass(frozen=True)
class Judge:
    """Who evaluates, and what becomes of a statement it cannot judge faithfully."""

    name: str  # named in reasons and errors, e.g. "the emulator"
    # False: raise PolicyError. True: such an Allow does not apply and such a Deny does.
    fails_closed: bool = False
    # The condition keys the caller supplies whenever they apply to a request (lower case,
    # families end with "/"); a condition on another key the request lacks cannot be judged.
    # None: every key the request lacks is absent, as in AWS.
    modelled_keys: tuple[str, ...] | None = None

    def models(self, key: str) -> bool:
        wanted = key.lower()
        return self.modelled_keys is None or any(
            wanted.startswith(known) if known.endswith("/") else wanted == known for known in self.modelled_keys)


PROOF = Judge("the policy evaluator")


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


class _Unjudgeable(Exception):
    """Part of a statement the evaluator cannot judge faithfully: what it is, and what to do."""

    def __init__(self, what: str, hint: str) -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


@functools.lru_cache(maxsize=65536)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    _refuse_variables([pattern])
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _refuse_variables(patterns: Sequence[str]) -> None:
    for pattern in patterns:
        if "${" in pattern:
            raise _Unjudgeable(f"the policy variable in {pattern!r} is not evaluated",
                               f"write the value out in the policy, or {_EXTEND} to substitute the variable")


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


def _condition_holds(operator: str, key: str, expected: list[str], request: Request, judge: Judge) -> bool:
    """One key of one operator block, as AWS evaluates it (missing keys included)."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    negated = name in _NEGATIONS
    matcher = _MATCHERS.get(_NEGATIONS.get(name, name))
    if operator != "Null" and (matcher is None or qualifier not in ("", "ForAnyValue", "ForAllValues")):
        raise _Unjudgeable(f"the condition operator {operator} is not implemented",
                           f"use a String*, Arn*, Bool or Null operator, or {_EXTEND}")
    actual = request.values(key)
    if actual is None and not judge.models(key):
        raise _Unjudgeable(f"the condition key {key} is not modelled",
                           "supply the key in the request context, or drop the condition")
    if matcher is None:  # Null: whether the key is absent
        return (actual is None or not actual) == (expected[0].lower() == "true")
    _refuse_variables(expected)
    if not actual:
        # ForAllValues holds over no values and ForAnyValue needs one; otherwise a missing key
        # fails a positive operator and satisfies a negated one; ...IfExists skips it.
        return if_exists or qualifier == "ForAllValues" or (negated and qualifier == "")

    def matches(value: str) -> bool:
        return any(matcher(pattern, value) for pattern in expected)

    if qualifier == "ForAllValues":
        return all(matches(value) != negated for value in actual)
    if qualifier == "ForAnyValue":
        return any(matches(value) != negated for value in actual)
    found = any(matches(value) for value in actual)
    return not found if negated else found


_ELEMENTS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


def _check_shape(statement: Any) -> None:
    if not isinstance(statement, Mapping):
        raise _Unjudgeable(f"{statement!r} is not a statement", "fix the policy document")
    unknown = set(statement) - _ELEMENTS
    if unknown:
        raise _Unjudgeable(f"the element(s) {', '.join(sorted(unknown))} are not evaluated in identity policies",
                           "identity policies and boundaries name no Principal; remove the element")
    if (statement.get("Effect") not in ("Allow", "Deny") or ("Action" in statement) == ("NotAction" in statement)
            or ("Resource" in statement) == ("NotResource" in statement)):
        raise _Unjudgeable("a statement needs an Effect of Allow or Deny, exactly one of Action and NotAction and "
                           "exactly one of Resource and NotResource", "fix the policy document")


def _statement_applies(statement: Mapping[str, Any], request: Request, judge: Judge) -> bool:
    _check_shape(statement)
    if "Action" in statement:
        if not any(_glob(p, request.action, ignore_case=True) for p in _as_list(statement["Action"])):
            return False
    elif any(_glob(p, request.action, ignore_case=True) for p in _as_list(statement["NotAction"])):
        return False
    negated = "NotResource" in statement
    patterns = _as_list(statement["NotResource"] if negated else statement["Resource"])
    if request.resource == UNRESOLVED and any(p != "*" for p in patterns):
        raise _Unjudgeable("it cannot tell which resource the request acts on, and only Resource \"*\" covers "
                           "such a request for certain", "grant the action on Resource \"*\" or name its resource")
    if any(_glob(p, request.resource) for p in patterns) == negated:
        return False
    return all(
        _condition_holds(operator, key, _as_list(expected), request, judge)
        for operator, block in (statement.get("Condition") or {}).items()
        for key, expected in block.items()
    )


def statements(document: str | Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a policy document (JSON text or parsed). Raises PolicyError if it is not one."""
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
        found = parsed["Statement"]
    except (ValueError, KeyError, TypeError):
        raise PolicyError("not an IAM policy document (no Statement)", "pass the policy JSON itself") from None
    return [found] if isinstance(found, dict) else list(found)


def _effect(statement: Any) -> Any:
    return statement.get("Effect") if isinstance(statement, Mapping) else None


def _named(statement: Any) -> str:
    return f"statement {statement['Sid']!r}" if isinstance(statement, Mapping) and statement.get("Sid") else "a statement"


@dataclass(frozen=True)
class _PolicySetResult:
    allowed: bool
    denied_by: str | None = None  # the Deny that applies (or cannot be judged, failing closed)
    unjudged_allow: str | None = None  # why an Allow that may apply was left out


def _evaluate_set(documents: Sequence[str | Mapping[str, Any]], request: Request, judge: Judge) -> _PolicySetResult:
    allowed, unjudged = False, None
    for document in documents:
        for statement in statements(document):
            try:
                applies = _statement_applies(statement, request, judge)
            except _Unjudgeable as why:
                cannot = f"{judge.name} cannot judge {_named(statement)}: {why.what}"
                if not judge.fails_closed:
                    raise PolicyError(cannot, why.hint) from None
                if _effect(statement) != "Allow":  # a Deny, or a statement whose Effect cannot be read
                    return _PolicySetResult(False, denied_by=f"{cannot}, so it applies")
                unjudged = unjudged or f"{cannot}, so it does not apply"
                continue
            if applies and statement["Effect"] == "Deny":
                return _PolicySetResult(False, denied_by=_named(statement))
            allowed = allowed or applies
    return _PolicySetResult(allowed, unjudged_allow=unjudged)


def evaluate(identity_policies: Sequence[str | Mapping[str, Any]], request: Request, *,
             boundary: str | Mapping[str, Any] | None = None, judge: Judge = PROOF) -> Verdict:
    """What AWS decides for `request` given one principal's identity policies and its permissions
    boundary (None: it has none).

    Raises PolicyError for a document that is no policy, and, unless `judge` fails closed, for a
    statement the evaluator cannot judge faithfully.
    """
    identity = _evaluate_set(identity_policies, request, judge)
    if identity.denied_by:
        return Verdict(Decision.EXPLICIT_DENY, f"with an explicit deny in an identity-based policy: {identity.denied_by}")
    capped = _evaluate_set([boundary], request, judge) if boundary is not None else None
    if capped is not None and capped.denied_by:
        return Verdict(Decision.EXPLICIT_DENY, f"with an explicit deny in a permissions boundary: {capped.denied_by}")
    if not identity.allowed:
        detail = f" ({identity.unjudged_allow})" if identity.unjudged_allow else ""
        return Verdict(Decision.IMPLICIT_DENY, f"because no identity-based policy allows the {request.action} action{detail}")
    if capped is not None and not capped.allowed:
        detail = f" ({capped.unjudged_allow})" if capped.unjudged_allow else ""
        return Verdict(Decision.IMPLICIT_DENY, f"because no permissions boundary allows the {request.action} action{detail}")
    return Verdict(Decision.ALLOW, "allowed")
