"""Hostile teams, live against the emulator: each service's deployer, with plain boto3, goes after every other.

The emulator authorises every request on its real resource (pipeline/emulator/resources.py) with
AWS's evaluation logic, the deployer role's permissions boundary included, so what the deployer
policies would refuse in AWS is refused here too; its own resources stay within reach.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pipeline.aws import Identity, Target
from pipeline.project.naming import function_name
from pipeline.project.services import load_service
from tests.e2e.conftest import Project

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
SERVICES = ("authentication", "location", "profile")
VICTIM_ROLE = f"arn:aws:iam::{ACCOUNT}:role/services/profile/local-profile-get_profile"
OWN_FUNCTION = "local-location-get_location"


@dataclass(frozen=True)
class Victim:
    """What of another service a deployer goes after: names as its manifest and modules/service make them."""

    service: str
    function: str  # its first function, e.g. local-profile-create_profile
    table: str
    api_id: str


@pytest.fixture(scope="module")
def deployed(project: Project) -> None:
    # profile's smoke checks sign in through authentication: callees deploy before it.
    result = project.deploy_py("deploy", *(arg for service in SERVICES for arg in ("--service", service)))
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def victims(deployed: None, local_target: Target) -> dict[str, Victim]:
    apis = {api["Name"]: api["ApiId"] for api in local_target.client("apigatewayv2", Identity.OPS).get_apis()["Items"]}
    found = {}
    for service in SERVICES:
        manifest = load_service(service).manifest
        function, tables = sorted(manifest.functions)[0], sorted(manifest.tables)
        found[service] = Victim(service, function_name("local", service, function), f"local-{service}-{tables[0]}",
                                apis[f"local-{service}"])
    return found


def deployer(local_target: Target, service: str) -> Callable[[str], Any]:
    """boto3 clients as `service`'s deployer role (an assumed-role session, as `deploy` uses)."""
    target = local_target.for_service(service)
    return lambda aws: target.client(aws, Identity.DEPLOYER)


@pytest.fixture(scope="module")
def attacker(deployed: None, local_target: Target) -> Callable[[str], Any]:
    return deployer(local_target, "location")


def live_version(local_target: Target, function: str) -> str:
    return str(local_target.client("lambda", Identity.OPS).get_alias(FunctionName=function, Name="live")["FunctionVersion"])


def zipped_handler() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("steal.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


# Each attempt: what one service's deployer tries against another service's resources, with plain boto3.
ATTACKS: list[tuple[str, str, Callable[[Any, Victim], Any]]] = [
    ("lambda", "replace its code", lambda c, v: c.update_function_code(FunctionName=v.function, ZipFile=zipped_handler())),
    ("lambda", "move its live alias", lambda c, v: c.update_alias(FunctionName=v.function, Name="live", FunctionVersion="1")),
    ("lambda", "change its configuration", lambda c, v: c.update_function_configuration(FunctionName=v.function, Timeout=3)),
    ("lambda", "let itself invoke it", lambda c, v: c.add_permission(
        FunctionName=v.function, StatementId="steal", Action="lambda:InvokeFunction", Principal=ACCOUNT)),
    ("lambda", "delete it", lambda c, v: c.delete_function(FunctionName=v.function)),
    ("dynamodb", "delete its table", lambda c, v: c.delete_table(TableName=v.table)),
    ("dynamodb", "read its table", lambda c, v: c.scan(TableName=v.table)),
    ("logs", "delete its log group", lambda c, v: c.delete_log_group(logGroupName=f"/aws/lambda/{v.function}")),
    ("logs", "shorten its log retention", lambda c, v: c.put_retention_policy(
        logGroupName=f"/aws/lambda/{v.function}", retentionInDays=1)),
    ("cloudwatch", "delete its alarms", lambda c, v: c.delete_alarms(AlarmNames=[f"{v.function}-errors"])),
    ("apigatewayv2", "add a route to its API", lambda c, v: c.create_route(ApiId=v.api_id, RouteKey="POST /steal")),
    ("apigatewayv2", "rename its API", lambda c, v: c.update_api(ApiId=v.api_id, Name="stolen")),
    ("apigatewayv2", "delete its API", lambda c, v: c.delete_api(ApiId=v.api_id)),
    ("s3", "overwrite its artifact", lambda c, v: c.put_object(
        Bucket="local-artifacts", Key=f"services/{v.service}/planted.zip", Body=b"x")),
    ("s3", "forge its ledger", lambda c, v: c.put_object(
        Bucket="local-artifacts", Key=f"ledger/{v.service}/executions/forged.json", Body=b"{}")),
    ("s3", "release its deploy lock", lambda c, v: c.delete_object(Bucket="local-artifacts", Key=f"locks/{v.service}.json")),
    ("s3", "rewrite its state", lambda c, v: c.put_object(
        Bucket="local-terraform-state", Key=f"services/{v.service}/infra/terraform.tfstate", Body=b"{}")),
]
PAIRS = [(mine, theirs) for mine in SERVICES for theirs in SERVICES if mine != theirs]


@pytest.mark.parametrize(("mine", "theirs"), PAIRS, ids=[f"{m}-vs-{t}" for m, t in PAIRS])
@pytest.mark.parametrize(("aws", "attempt", "call"), ATTACKS, ids=[a[1] for a in ATTACKS])
def test_no_deployer_reaches_another_services_resources(
    victims: dict[str, Victim], local_target: Target, mine: str, theirs: str, aws: str, attempt: str,
    call: Callable[[Any, Victim], Any],
) -> None:
    victim = victims[theirs]
    before = live_version(local_target, victim.function)
    with pytest.raises(ClientError) as denied:
        call(deployer(local_target, mine)(aws), victim)
    assert denied.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), denied.value
    assert live_version(local_target, victim.function) == before


def test_passing_another_services_role_is_denied(attacker: Callable[[str], Any]) -> None:
    """Its own function, run as profile's role, would act with profile's grants. (It may create only
    the functions its manifest names, and IAM authorises before Lambda finds the name taken.)"""
    lambda_client = attacker("lambda")
    with pytest.raises(ClientError, match="iam:PassRole") as denied:
        lambda_client.create_function(FunctionName=OWN_FUNCTION, Runtime="python3.11", Role=VICTIM_ROLE,
                                      Handler="steal.handler", Code={"ZipFile": zipped_handler()})
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError, match="iam:PassRole"):
        lambda_client.update_function_configuration(FunctionName=OWN_FUNCTION, Role=VICTIM_ROLE)


def test_its_own_resources_stay_within_reach(attacker: Callable[[str], Any], local_target: Target) -> None:
    lambda_client = attacker("lambda")
    version = live_version(local_target, OWN_FUNCTION)
    assert lambda_client.update_alias(FunctionName=OWN_FUNCTION, Name="live", FunctionVersion=version)["FunctionVersion"] == version
    assert attacker("dynamodb").describe_table(TableName="local-location-locations")["Table"]["TableName"]
    own_role = lambda_client.get_function_configuration(FunctionName=OWN_FUNCTION)["Role"]
    assert own_role.startswith(f"arn:aws:iam::{ACCOUNT}:role/services/location/")
    attacker("s3").put_object(Bucket="local-artifacts", Key="services/location/probe.txt", Body=b"own")


def test_the_deployer_role_is_capped_by_its_permissions_boundary(local_target: Target, deployed: None) -> None:
    """Even an Allow added to the deployer's own policy cannot reach past the boundary ops attached."""
    iam = local_target.client("iam", Identity.OPS)
    role = iam.get_role(RoleName="local-deployer-location")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"]
    iam.put_role_policy(RoleName="local-deployer-location", PolicyName="widened-by-mistake", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}],
    }))
    try:
        with pytest.raises(ClientError, match="no permissions boundary allows"):
            local_target.for_service("location").client("sqs", Identity.DEPLOYER).list_queues()
    finally:
        iam.delete_role_policy(RoleName="local-deployer-location", PolicyName="widened-by-mistake")
