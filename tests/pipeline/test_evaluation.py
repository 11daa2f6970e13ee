"""IAM evaluation with AWS semantics, and agreement with moto's evaluator where moto is faithful."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.errors import PolicyError
from pipeline.policy.evaluation import Decision, Judge, Request, evaluate

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:dev-location-get_location"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def decide(document: str, action: str, resource: str = FUNCTION) -> Decision:
    return evaluate([document], Request(action, resource)).decision


def test_actions_match_case_insensitively_with_wildcards_and_resources_case_sensitively() -> None:
    document = policy(allow("lambda:Update*", "arn:aws:lambda:*:function:dev-location-*"))

    assert decide(document, "LAMBDA:updatefunctioncode") == Decision.ALLOW
    assert decide(document, "lambda:GetFunction") == Decision.IMPLICIT_DENY
    assert decide(document, "lambda:UpdateAlias", FUNCTION.replace("location", "Location")) == Decision.IMPLICIT_DENY


def test_a_prefix_covers_a_longer_service_name_and_an_exact_arn_does_not() -> None:
    """Why deployer grants are exact names: location-* is also location-history-*."""
    history = "arn:aws:lambda:us-east-1:123456789012:function:dev-location-history-get"

    assert decide(policy(allow("lambda:*", "arn:aws:lambda:*:function:dev-location-*")), "lambda:DeleteFunction",
                  history) == Decision.ALLOW
    assert decide(policy(allow("lambda:*", [FUNCTION, f"{FUNCTION}:*"])), "lambda:DeleteFunction",
                  history) == Decision.IMPLICIT_DENY


def test_an_explicit_deny_beats_any_allow_and_not_action_and_not_resource_invert() -> None:
    document = policy(allow("*"), {"Effect": "Deny", "NotAction": "iam:Get*", "Resource": "arn:aws:iam::*"})

    assert decide(document, "iam:CreateRole", "arn:aws:iam::1:role/x") == Decision.EXPLICIT_DENY
    assert decide(document, "iam:GetRole", "arn:aws:iam::1:role/x") == Decision.ALLOW
    outside = policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/secret/*"})
    assert decide(outside, "s3:GetObject", "arn:aws:s3:::b/public/x") == Decision.ALLOW
    assert decide(outside, "s3:GetObject", "arn:aws:s3:::b/secret/x") == Decision.IMPLICIT_DENY


def test_tag_conditions_follow_the_resource_and_a_missing_key_fails_a_positive_operator() -> None:
    document = policy(allow("apigateway:PATCH", "arn:aws:apigateway:us-east-1::/apis/*",
                            Condition={"StringEquals": {"aws:ResourceTag/service": "location"}}))
    route = "arn:aws:apigateway:us-east-1::/apis/a1/routes/r1"

    assert evaluate([document], Request("apigateway:PATCH", route, {"aws:ResourceTag/service": ("location",)})).decision == Decision.ALLOW
    assert evaluate([document], Request("apigateway:PATCH", route, {"AWS:RESOURCETAG/service": ("location",)})).decision == Decision.ALLOW
    assert evaluate([document], Request("apigateway:PATCH", route, {"aws:ResourceTag/service": ("profile",)})).decision == Decision.IMPLICIT_DENY
    assert evaluate([document], Request("apigateway:PATCH", route)).decision == Decision.IMPLICIT_DENY


@pytest.mark.parametrize(("operator", "values", "context", "holds"), [
    ("StringEqualsIfExists", "dev-location", {}, True),
    ("StringEqualsIfExists", "dev-location", {"apigateway:Request/ApiName": ("dev-profile",)}, False),
    ("StringNotEquals", "dev-location", {}, True),
    ("StringNotEquals", "dev-location", {"apigateway:Request/ApiName": ("dev-location",)}, False),
    ("StringLike", "dev-loc*", {"apigateway:Request/ApiName": ("dev-location",)}, True),
    ("StringNotLike", ["x", "dev-*"], {"apigateway:Request/ApiName": ("dev-location",)}, False),
    ("Null", "true", {}, True),
    ("Null", "false", {}, False),
    ("ForAllValues:StringEquals", ["dev-a", "dev-b"], {"apigateway:Request/ApiName": ("dev-a", "dev-c")}, False),
    ("ForAllValues:StringEquals", ["dev-a", "dev-b"], {"apigateway:Request/ApiName": ("dev-a",)}, True),
    ("ForAnyValue:StringEquals", ["dev-a"], {"apigateway:Request/ApiName": ("dev-c", "dev-a")}, True),
    ("ForAnyValue:StringEquals", ["dev-a"], {}, False),
    # Negated set operators negate per value; ForAnyValue needs the key, ForAllValues holds without it.
    ("ForAnyValue:StringNotEquals", ["dev-a"], {}, False),
    ("ForAnyValue:StringNotEquals", ["dev-a"], {"apigateway:Request/ApiName": ("dev-a", "dev-c")}, True),
    ("ForAllValues:StringNotEquals", ["dev-a"], {}, True),
    ("ForAllValues:StringNotEquals", ["dev-a"], {"apigateway:Request/ApiName": ("dev-a", "dev-c")}, False),
])
def test_condition_operators(operator: str, values: Any, context: dict[str, tuple[str, ...]], holds: bool) -> None:
    document = policy(allow("apigateway:POST", Condition={operator: {"apigateway:Request/ApiName": values}}))

    decision = evaluate([document], Request("apigateway:POST", "arn:aws:apigateway:us-east-1::/apis", context)).decision

    assert decision == (Decision.ALLOW if holds else Decision.IMPLICIT_DENY)


def test_arn_like_matches_each_part_of_the_arn_on_its_own() -> None:
    document = policy(allow("iam:PassRole", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:dev-*"}}))

    def passes(source: str) -> Decision:
        return evaluate([document], Request("iam:PassRole", "*", {"aws:SourceArn": (source,)})).decision

    assert passes("arn:aws:lambda:us-east-1:1:function:dev-x") == Decision.ALLOW
    assert passes("arn:aws:lambda:us-east-1:1:layer:dev-x") == Decision.IMPLICIT_DENY


@pytest.mark.parametrize("statement", [
    allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"),
    allow("s3:GetObject", Condition={"NumericLessThan": {"s3:max-keys": "10"}}),
    {**allow("s3:GetObject"), "NotPrincipal": {"AWS": "x"}},
    {"Action": "s3:GetObject", "Resource": "*"},
    {**allow("s3:GetObject"), "NotAction": "s3:PutObject"},
    {"Effect": "Allow", "Action": "s3:GetObject"},
    allow("s3:GetObject", Condition={"StringEquals": {"s3:max-keys": "${aws:username}"}}),
])
def test_what_the_evaluator_cannot_judge_is_refused_never_skipped(statement: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        evaluate([policy(statement)], Request("s3:GetObject", "arn:aws:s3:::b/u/k", {"s3:max-keys": ("5",)}))


def test_a_judge_that_fails_closed_answers_where_a_proof_refuses() -> None:
    """The same unjudgeable statements: PolicyError for a proof; for an enforcer, the Allow is left
    out and the Deny applies, with the reason."""
    enforcer = Judge("the enforcer", fails_closed=True, modelled_keys=("aws:resourcetag/",))
    vpc_only = {"StringEquals": {"aws:SourceVpc": "vpc-1"}}  # a key the enforcer does not model
    request = Request("s3:GetObject", "arn:aws:s3:::b/k")

    with pytest.raises(PolicyError, match="aws:SourceVpc"):
        evaluate([policy(allow("s3:GetObject", Condition=vpc_only))], request, judge=Judge("the proof", modelled_keys=()))
    left_out = evaluate([policy(allow("s3:GetObject", Condition=vpc_only))], request, judge=enforcer)
    applied = evaluate([policy(allow("s3:*"), {"Sid": "Vpc", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                               "Condition": vpc_only})], request, judge=enforcer)

    assert left_out.decision == Decision.IMPLICIT_DENY and "the enforcer cannot judge" in left_out.reason
    assert applied.decision == Decision.EXPLICIT_DENY and "statement 'Vpc'" in applied.reason


def test_a_boundary_caps_the_identity_policies_and_its_deny_wins() -> None:
    identity = [policy(allow(["s3:GetObject", "dynamodb:DeleteTable"]))]
    boundary = policy(allow("s3:*"), {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"})

    def decide_capped(action: str, resource: str) -> Decision:
        return evaluate(identity, Request(action, resource), boundary=boundary).decision

    assert decide_capped("s3:GetObject", "arn:aws:s3:::b/k") == Decision.ALLOW
    assert decide_capped("dynamodb:DeleteTable", "arn:aws:dynamodb:us-east-1:1:table/t") == Decision.IMPLICIT_DENY
    assert decide_capped("s3:GetObject", "arn:aws:s3:::b/secret/k") == Decision.EXPLICIT_DENY
    assert decide_capped("s3:PutObject", "arn:aws:s3:::b/k") == Decision.IMPLICIT_DENY  # a boundary grants nothing


@pytest.mark.parametrize(("action", "resource"), [
    ("lambda:UpdateFunctionCode", FUNCTION),
    ("lambda:UpdateFunctionCode", FUNCTION + ":live"),
    ("lambda:DeleteFunction", "arn:aws:lambda:us-east-1:123456789012:function:dev-location-history-get"),
    ("dynamodb:DeleteTable", "arn:aws:dynamodb:us-east-1:123456789012:table/dev-location-locations"),
    ("iam:CreateRole", "arn:aws:iam::123456789012:role/x"),
    ("s3:PutObject", "arn:aws:s3:::artifacts/services/location/a.zip"),
])
def test_unconditioned_decisions_agree_with_moto(action: str, resource: str) -> None:
    """Plain moto is faithful for these (not for action case, nor for Conditions, which it skips
    when the request carries no value)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    document = policy(
        allow(["lambda:Update*", "lambda:GetFunction"], [FUNCTION, f"{FUNCTION}:*"]),
        allow("dynamodb:*", "arn:aws:dynamodb:*:*:table/dev-location-*"),
        allow("s3:*Object", "arn:aws:s3:::artifacts/services/location/*"),
        {"Effect": "Deny", "Action": "iam:Create*", "Resource": "*"},
    )
    ours = evaluate([document], Request(action, resource)).decision
    theirs = IAMPolicy(document).is_action_permitted(action, resource)

    assert (ours == Decision.ALLOW) == (theirs == PermissionResult.PERMITTED)
    assert (ours == Decision.EXPLICIT_DENY) == (theirs == PermissionResult.DENIED)
