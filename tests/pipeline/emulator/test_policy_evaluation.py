"""IAM evaluation as the emulator judges requests: resources, conditions, boundaries, explicit denies, failing closed."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.emulator.resources import EMULATOR
from pipeline.policy.evaluation import UNRESOLVED, Request, Verdict, evaluate

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def authorise(identity_policies: list[dict[str, Any]], boundary: dict[str, Any] | None, request: Request) -> Verdict:
    return evaluate(identity_policies, request, boundary=boundary, judge=EMULATOR)


OWN_FUNCTIONS = policy(allow("lambda:UpdateFunctionCode", FUNCTION.format("dev-location-*")))


@pytest.mark.parametrize(("resource", "allowed"), [
    (FUNCTION.format("dev-location-get"), True),
    (FUNCTION.format("dev-profile-get"), False),
    (FUNCTION.format("dev-location-get") + ":live", True),  # the trailing * covers qualifiers
    (UNRESOLVED, False),  # the emulator cannot tell the resource: a scoped Allow fails closed
])
def test_scoped_allows_match_only_their_resources(resource: str, allowed: bool) -> None:
    assert authorise([OWN_FUNCTIONS], None, Request("lambda:UpdateFunctionCode", resource)).allowed is allowed


def test_wildcards_are_literal_apart_from_star_and_question_mark() -> None:
    stage = policy(allow("apigateway:GET", "arn:aws:apigateway:us-east-1::/apis/?????/stages/$default"))

    assert authorise([stage], None, Request("apigateway:GET", "arn:aws:apigateway:us-east-1::/apis/abc12/stages/$default")).allowed
    assert not authorise([stage], None, Request("apigateway:GET", "arn:aws:apigateway:us-east-1::/apis/abc123/stages/$default")).allowed
    assert authorise([policy(allow("Lambda:update*", "*"))], None, Request("lambda:UpdateAlias", "x")).allowed


def test_an_explicit_deny_wins_and_is_named() -> None:
    documents = [policy(allow("iam:*")), policy({"Sid": "NoIamWrites", "Effect": "Deny", "Action": "iam:Create*", "Resource": "*"})]

    verdict = authorise(documents, None, Request("iam:CreateRole", "arn:aws:iam::123456789012:role/x"))

    assert not verdict.allowed and "'NoIamWrites'" in verdict.reason and "explicit deny" in verdict.reason


def test_not_resource_and_not_action() -> None:
    boundary = policy(allow("*"), {"Effect": "Deny", "Action": "lambda:*", "NotResource": FUNCTION.format("dev-*")})
    everything = policy(allow("*"))

    assert authorise([everything], boundary, Request("lambda:InvokeFunction", FUNCTION.format("dev-a"))).allowed
    assert not authorise([everything], boundary, Request("lambda:InvokeFunction", FUNCTION.format("prod-a"))).allowed
    no_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert authorise([no_iam], None, Request("s3:GetObject", "arn:aws:s3:::b/k")).allowed
    assert not authorise([no_iam], None, Request("iam:GetRole", "arn:aws:iam::1:role/r")).allowed


def test_the_boundary_caps_the_identity_policy() -> None:
    identity = policy(allow(["dynamodb:DeleteTable", "s3:GetObject"]))
    boundary = policy(allow("s3:*"))

    assert authorise([identity], boundary, Request("s3:GetObject", "arn:aws:s3:::b/k")).allowed
    verdict = authorise([identity], boundary, Request("dynamodb:DeleteTable", "arn:aws:dynamodb:us-east-1:1:table/t"))
    assert not verdict.allowed and "no permissions boundary allows" in verdict.reason
    # A boundary grants nothing by itself.
    assert not authorise([policy(allow("s3:GetObject"))], policy(allow("*")), Request("s3:PutObject", "arn:aws:s3:::b/k")).allowed


TAGGED = policy(allow("lambda:UpdateFunctionCode", "*", Condition={"StringEquals": {"aws:ResourceTag/Service": "location"}}))


@pytest.mark.parametrize(("tags", "allowed"), [({"aws:resourcetag/service": ("location",)}, True),
                                               ({"aws:resourcetag/service": ("profile",)}, False),
                                               ({}, False)])
def test_resource_tags(tags: dict[str, tuple[str, ...]], allowed: bool) -> None:
    assert authorise([TAGGED], None, Request("lambda:UpdateFunctionCode", FUNCTION.format("f"), tags)).allowed is allowed


def test_request_tags_and_tag_keys() -> None:
    create = policy(allow("lambda:CreateFunction", "*", Condition={
        "StringLike": {"aws:RequestTag/Service": "loc*"},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["Service", "Environment"]},
    }))
    request = lambda **keys: Request("lambda:CreateFunction", FUNCTION.format("f"), keys)  # noqa: E731

    assert authorise([create], None, request(**{"aws:requesttag/service": ("location",), "aws:tagkeys": ("Service",)})).allowed
    assert not authorise([create], None, request(**{"aws:requesttag/service": ("location",),
                                                   "aws:tagkeys": ("Service", "Owner")})).allowed
    assert not authorise([create], None, request(**{"aws:requesttag/service": ("profile",)})).allowed


def test_pass_role_to_one_service_only() -> None:
    pass_role = policy(allow("iam:PassRole", "arn:aws:iam::1:role/services/location/*",
                             Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}))
    role = "arn:aws:iam::1:role/services/location/get"

    assert authorise([pass_role], None, Request("iam:PassRole", role, {"iam:passedtoservice": ("lambda.amazonaws.com",)})).allowed
    assert not authorise([pass_role], None, Request("iam:PassRole", role, {"iam:passedtoservice": ("ec2.amazonaws.com",)})).allowed
    assert not authorise([pass_role], None, Request("iam:PassRole", "arn:aws:iam::1:role/services/profile/get",
                                                   {"iam:passedtoservice": ("lambda.amazonaws.com",)})).allowed


def test_negated_operators_hold_when_the_key_is_absent_and_if_exists_tolerates_absence() -> None:
    not_prod = policy(allow("s3:GetObject", "*", Condition={"StringNotEquals": {"aws:ResourceTag/Env": "prod"}}))
    if_exists = policy(allow("s3:GetObject", "*", Condition={"StringEqualsIfExists": {"aws:ResourceTag/Env": "dev"}}))
    untagged = Request("s3:GetObject", "arn:aws:s3:::b/k")

    assert authorise([not_prod], None, untagged).allowed
    assert authorise([if_exists], None, untagged).allowed
    assert not authorise([if_exists], None, Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:resourcetag/env": ("prod",)})).allowed
    null = policy(allow("s3:GetObject", "*", Condition={"Null": {"aws:ResourceTag/Env": "false"}}))
    assert not authorise([null], None, untagged).allowed


@pytest.mark.parametrize("condition", [
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},  # an operator the emulator does not evaluate
    {"StringEquals": {"aws:SourceVpc": "vpc-1"}},  # a key the emulator does not know
])
def test_what_cannot_be_judged_fails_closed(condition: dict[str, Any]) -> None:
    request = Request("s3:GetObject", "arn:aws:s3:::b/k")
    unjudged_allow = policy(allow("s3:GetObject", "*", Condition=condition))
    unjudged_deny = policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": condition})

    denied = authorise([unjudged_allow], None, request)
    assert not denied.allowed and "not" in denied.reason and "emulator" in denied.reason
    assert not authorise([policy(allow("s3:*")), unjudged_deny], None, request).allowed


def test_policy_variables_fail_closed() -> None:
    home = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"))
    assert not authorise([home], None, Request("s3:GetObject", "arn:aws:s3:::b/ada/k")).allowed
