"""The emulator authorises requests on their real resources, condition keys and boundaries, as AWS does;
plain moto (the canaries) does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from pipeline import emulator
from pipeline.aws import Identity, Target

pytestmark = pytest.mark.emulator

ACCOUNT = "123456789012"
TRUST_ANYONE_HERE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{emulator.OPS_USER}"}, "Action": "sts:AssumeRole"}]})
LAMBDA_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

Clients = Callable[[str], Any]


def clients(endpoint: str, key: str, secret: str, token: str | None = None) -> Clients:
    return lambda service: boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret,
        aws_session_token=token, config=Config(retries={"total_max_attempts": 1}))


def as_ops(endpoint: str, credentials: emulator.Credentials) -> Clients:
    return clients(endpoint, credentials.access_key_id, credentials.secret_access_key)


def user_with(ops: Clients, name: str, *statements: dict[str, Any]) -> Clients:
    iam = ops("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": list(statements)}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    endpoint = ops("iam").meta.endpoint_url
    return clients(endpoint, key["AccessKeyId"], key["SecretAccessKey"])


def role_session(ops: Clients, name: str, boundary_statement: dict[str, Any], *statements: dict[str, Any]) -> Clients:
    """A session on a new role with `statements` as its policy and a boundary of one statement."""
    iam = ops("iam")
    boundary = iam.create_policy(PolicyName=f"{name}-boundary", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [boundary_statement]}))["Policy"]["Arn"]
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_ANYONE_HERE,
                           PermissionsBoundary=boundary)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": list(statements)}))
    issued = ops("sts").assume_role(RoleArn=role, RoleSessionName="session")["Credentials"]
    return clients(ops("iam").meta.endpoint_url, issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])


def ops_clients(local_target: Target) -> Clients:
    return lambda service: local_target.client(service, Identity.OPS)


# --- permissions boundaries ---------------------------------------------------------------------

def list_tables_under_an_s3_only_boundary(ops: Clients, name: str) -> None:
    session = role_session(ops, name, {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                           {"Effect": "Allow", "Action": "*", "Resource": "*"})
    session("dynamodb").list_tables()


def test_a_boundary_caps_what_a_role_may_do(local_target: Target) -> None:
    with pytest.raises(ClientError, match="no permissions boundary allows the dynamodb:ListTables action"):
        list_tables_under_an_s3_only_boundary(ops_clients(local_target), "capped")


def test_plain_moto_ignores_permissions_boundaries(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto evaluates boundaries: drop that part of requests_are_authorised_on_their_resources_as_in_aws."""
    list_tables_under_an_s3_only_boundary(as_ops(*unpatched_moto), "capped")


# --- iam:PassRole -------------------------------------------------------------------------------

def create_function_without_pass_role(ops: Clients, name: str) -> None:
    role = ops("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    creator = user_with(ops, name, {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"})
    creator("lambda").create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="h.handler",
                                       Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18})


def test_creating_a_function_needs_pass_role_on_its_role(local_target: Target) -> None:
    with pytest.raises(ClientError, match="iam:PassRole on resource: arn:aws:iam::123456789012:role/passless-role"):
        create_function_without_pass_role(ops_clients(local_target), "passless")


def test_plain_moto_never_checks_pass_role(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto checks iam:PassRole itself: drop it from pipeline/emulator/resources.py."""
    create_function_without_pass_role(as_ops(*unpatched_moto), "passless")


def test_pass_role_is_judged_with_the_service_it_is_passed_to(local_target: Target) -> None:
    ops = ops_clients(local_target)
    role = ops("iam").create_role(RoleName="passed-to-ec2-only", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    creator = user_with(ops, "ec2-passer", {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}, {
        "Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}})
    with pytest.raises(ClientError, match="iam:PassRole"):
        creator("lambda").create_function(FunctionName="ec2-passer", Runtime="python3.11", Role=role,
                                          Handler="h.handler", Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18})


# --- resources, per service ---------------------------------------------------------------------

def scoped(action: str, resource: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def test_each_service_resolves_the_resource_of_a_request(local_target: Target) -> None:
    """A user granted `own-*` reaches own-x and is denied other-x, for every service the deployers use."""
    region_account = f"us-east-1:{ACCOUNT}"
    user = user_with(
        ops_clients(local_target), "own-only",
        scoped("lambda:GetFunction", f"arn:aws:lambda:{region_account}:function:own-*"),
        scoped("lambda:GetAlias", f"arn:aws:lambda:{region_account}:function:own-*"),
        scoped("dynamodb:DescribeTable", f"arn:aws:dynamodb:{region_account}:table/own-*"),
        scoped("logs:DeleteLogGroup", f"arn:aws:logs:{region_account}:log-group:own-*"),
        scoped("cloudwatch:DeleteAlarms", f"arn:aws:cloudwatch:{region_account}:alarm:own-*"),
        scoped("apigateway:GET", "arn:aws:apigateway:us-east-1::/apis/own*"),
    )
    attempts: list[tuple[str, Callable[[Any, str], Any]]] = [
        ("lambda", lambda c, n: c.get_function(FunctionName=n)),
        ("lambda", lambda c, n: c.get_function(FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{n}:live")),
        ("lambda", lambda c, n: c.get_alias(FunctionName=n, Name="live")),
        ("dynamodb", lambda c, n: c.describe_table(TableName=n)),
        ("logs", lambda c, n: c.delete_log_group(logGroupName=n)),
        ("cloudwatch", lambda c, n: c.delete_alarms(AlarmNames=[n])),
        ("apigatewayv2", lambda c, n: c.get_api(ApiId=n)),
    ]
    for service, attempt in attempts:
        try:
            attempt(user(service), "own-x")
        except ClientError as err:  # authorised, and then not found
            assert "NotFound" in err.response["Error"]["Code"], (service, err)
        with pytest.raises(ClientError, match="AccessDenied") as denied:
            attempt(user(service), "other-x")
        assert "on resource: arn:aws:" in str(denied.value) and "other-x" in str(denied.value)


def test_a_request_whose_resource_cannot_be_told_fails_closed_with_the_reason(local_target: Target) -> None:
    user = user_with(ops_clients(local_target), "lister", scoped("lambda:ListFunctions", "arn:aws:lambda:*:*:function:own-*"))
    with pytest.raises(ClientError, match="cannot tell which resource"):
        user("lambda").list_functions()


# --- tag conditions (ABAC) ----------------------------------------------------------------------

def test_api_gateway_access_by_resource_and_request_tags(local_target: Target) -> None:
    """API Gateway ids are generated, so a deployer policy can only single an API out by its tags."""
    ops = ops_clients(local_target)
    theirs = ops("apigatewayv2").create_api(Name="theirs", ProtocolType="HTTP", Tags={"service": "profile"})["ApiId"]
    user = user_with(ops, "tagged-apis", {
        "Effect": "Allow", "Action": ["apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/service": "location"}},
    }, {
        "Effect": "Allow", "Action": "apigateway:POST", "Resource": "arn:aws:apigateway:us-east-1::/apis",
        "Condition": {"StringEquals": {"aws:RequestTag/service": "location"}},
    })("apigatewayv2")

    ours = user.create_api(Name="ours", ProtocolType="HTTP", Tags={"service": "location"})["ApiId"]
    with pytest.raises(ClientError, match="AccessDenied"):
        user.create_api(Name="untagged", ProtocolType="HTTP")
    user.update_api(ApiId=ours, Description="ours to change")
    with pytest.raises(ClientError, match="AccessDenied"):
        user.update_api(ApiId=theirs, Description="taken over")
    with pytest.raises(ClientError, match="AccessDenied"):
        user.delete_api(ApiId=theirs)
    user.delete_api(ApiId=ours)


def test_plain_moto_cannot_tell_an_apis_tags(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto evaluates aws:ResourceTag: drop that part of pipeline/emulator/resources.py."""
    ops = as_ops(*unpatched_moto)
    ours = ops("apigatewayv2").create_api(Name="ours", ProtocolType="HTTP", Tags={"service": "location"})["ApiId"]
    user = user_with(ops, "tagged-apis", {
        "Effect": "Allow", "Action": "apigateway:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/service": "location"}}})
    with pytest.raises(ClientError, match="403"):
        user("apigatewayv2").get_api(ApiId=ours)


# What modules/iam/deployer grants dev-location on HTTP APIs (CreateOwnApi, ChangeOwnApi).
LOCATION_API_GRANTS = ({
    "Effect": "Allow", "Action": "apigateway:POST", "Resource": "arn:aws:apigateway:us-east-1::/apis",
    "Condition": {"StringEquals": {"aws:RequestTag/service": "location", "aws:RequestTag/environment": "dev",
                                   "apigateway:Request/ApiName": "dev-location"}},
}, {
    "Effect": "Allow", "Action": ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST"],
    "Resource": "arn:aws:apigateway:us-east-1::/apis/*",
    "Condition": {"StringEquals": {"aws:ResourceTag/service": "location", "aws:ResourceTag/environment": "dev"},
                  "StringEqualsIfExists": {"apigateway:Request/ApiName": "dev-location"}},
})
LOCATION_TAGS = {"service": "location", "environment": "dev"}


def test_a_deployer_creates_and_changes_only_the_api_named_for_its_service(local_target: Target) -> None:
    deployer = user_with(ops_clients(local_target), "api-namer", *LOCATION_API_GRANTS)("apigatewayv2")

    api = deployer.create_api(Name="dev-location", ProtocolType="HTTP", Tags=LOCATION_TAGS)["ApiId"]
    deployer.update_api(ApiId=api, Description="no name: the IfExists condition holds")
    deployer.update_api(ApiId=api, Name="dev-location")
    deployer.create_route(ApiId=api, RouteKey="GET /x")
    with pytest.raises(ClientError, match="AccessDenied"):
        deployer.create_api(Name="dev-profile", ProtocolType="HTTP", Tags=LOCATION_TAGS)
    with pytest.raises(ClientError, match="AccessDenied"):
        deployer.update_api(ApiId=api, Name="dev-profile")
    deployer.delete_api(ApiId=api)


def test_plain_moto_lets_a_deployer_create_an_api_named_for_another_service(
    unpatched_moto: tuple[str, emulator.Credentials],
) -> None:
    """When this fails, moto evaluates apigateway:Request/ApiName itself: drop it from pipeline/emulator/resources.py."""
    named_for_location = {"Effect": "Allow", "Action": "apigateway:*", "Resource": "*",
                          "Condition": {"StringEquals": {"apigateway:Request/ApiName": "dev-location"}}}
    deployer = user_with(as_ops(*unpatched_moto), "api-namer", named_for_location)("apigatewayv2")

    deployer.create_api(Name="dev-profile", ProtocolType="HTTP")


def create_tagged(ops: Clients, kind: str, name: str, service: str) -> None:
    """A table, log group or alarm named `name`, tagged service=`service`, made by ops."""
    if kind == "dynamodb":
        ops("dynamodb").create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                     BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "service", "Value": service}])
    elif kind == "logs":
        ops("logs").create_log_group(logGroupName=name, tags={"service": service})
    else:
        ops("cloudwatch").put_metric_alarm(
            AlarmName=name, MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60, EvaluationPeriods=1,
            Threshold=0, ComparisonOperator="GreaterThanThreshold", Tags=[{"Key": "service", "Value": service}])


TAGGED_DELETES: list[tuple[str, str, Callable[[Any, str], Any]]] = [
    ("dynamodb", "dynamodb:DeleteTable", lambda c, n: c.delete_table(TableName=n)),
    ("logs", "logs:DeleteLogGroup", lambda c, n: c.delete_log_group(logGroupName=n)),
    ("cloudwatch", "cloudwatch:DeleteAlarms", lambda c, n: c.delete_alarms(AlarmNames=[n])),
]


@pytest.mark.parametrize(("kind", "action", "delete"), TAGGED_DELETES, ids=[kind for kind, _, _ in TAGGED_DELETES])
def test_resource_tags_are_read_from_each_service(local_target: Target, kind: str, action: str,
                                                  delete: Callable[[Any, str], Any]) -> None:
    ops = ops_clients(local_target)
    create_tagged(ops, kind, f"abac-{kind}-ours", "location")
    create_tagged(ops, kind, f"abac-{kind}-theirs", "profile")
    user = user_with(ops, f"abac-{kind}", {"Effect": "Allow", "Action": action, "Resource": "*",
                                           "Condition": {"StringEquals": {"aws:ResourceTag/service": "location"}}})

    with pytest.raises(ClientError, match="AccessDenied"):
        delete(user(kind), f"abac-{kind}-theirs")
    delete(user(kind), f"abac-{kind}-ours")
