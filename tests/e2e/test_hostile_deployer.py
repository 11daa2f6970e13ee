"""A hostile team, live against the emulator: location's deployer, with plain boto3, goes after profile.

The emulator authorises every request on its real resource (pipeline/emulator/resources.py) with
AWS's evaluation logic, the deployer role's permissions boundary included, so what the deployer
policies would refuse in AWS is refused here too; its own resources stay within reach.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pipeline.aws import Identity, Target
from tests.e2e.conftest import Project

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
VICTIM_FUNCTION = "local-profile-get_profile"
VICTIM_ROLE = f"arn:aws:iam::{ACCOUNT}:role/services/profile/local-profile-get_profile"
OWN_FUNCTION = "local-location-get_location"


@pytest.fixture(scope="module")
def deployed(project: Project) -> None:
    # profile's smoke checks sign in through authentication first: callees deploy before it.
    result = project.deploy_py("deploy", "--service", "authentication", "--service", "location", "--service", "profile")
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def attacker(deployed: None, local_target: Target) -> Callable[[str], Any]:
    """boto3 clients as location's deployer role (an assumed-role session, as `deploy` uses)."""
    target = local_target.for_service("location")
    return lambda service: target.client(service, Identity.DEPLOYER)


def live_version(local_target: Target, function: str) -> str:
    return str(local_target.client("lambda", Identity.OPS).get_alias(FunctionName=function, Name="live")["FunctionVersion"])


def zipped_handler() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("steal.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


# Each attempt: what location's deployer tries against profile, with plain boto3.
ATTACKS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("lambda", "replace its code", lambda c: c.update_function_code(FunctionName=VICTIM_FUNCTION, ZipFile=zipped_handler())),
    ("lambda", "move its live alias", lambda c: c.update_alias(FunctionName=VICTIM_FUNCTION, Name="live", FunctionVersion="1")),
    ("lambda", "change its configuration", lambda c: c.update_function_configuration(FunctionName=VICTIM_FUNCTION, Timeout=3)),
    ("lambda", "let itself invoke it", lambda c: c.add_permission(
        FunctionName=VICTIM_FUNCTION, StatementId="steal", Action="lambda:InvokeFunction", Principal=ACCOUNT)),
    ("lambda", "delete it", lambda c: c.delete_function(FunctionName=VICTIM_FUNCTION)),
    ("dynamodb", "delete its table", lambda c: c.delete_table(TableName="local-profile-profiles")),
    ("dynamodb", "read its table", lambda c: c.scan(TableName="local-profile-profiles")),
    ("logs", "delete its log group", lambda c: c.delete_log_group(logGroupName=f"/aws/lambda/{VICTIM_FUNCTION}")),
    ("logs", "shorten its log retention", lambda c: c.put_retention_policy(
        logGroupName=f"/aws/lambda/{VICTIM_FUNCTION}", retentionInDays=1)),
    ("cloudwatch", "delete its alarms", lambda c: c.delete_alarms(AlarmNames=[f"{VICTIM_FUNCTION}-errors"])),
    ("s3", "overwrite its artifact", lambda c: c.put_object(
        Bucket="local-artifacts", Key="services/profile/planted.zip", Body=b"x")),
    ("s3", "release its deploy lock", lambda c: c.delete_object(Bucket="local-artifacts", Key="locks/profile.json")),
    ("s3", "rewrite its state", lambda c: c.put_object(
        Bucket="local-terraform-state", Key="services/profile/infra/terraform.tfstate", Body=b"{}")),
]


@pytest.mark.parametrize(("service", "attempt", "call"), ATTACKS, ids=[a[1] for a in ATTACKS])
def test_another_services_deployer_is_denied(attacker: Callable[[str], Any], local_target: Target,
                                             service: str, attempt: str, call: Callable[[Any], Any]) -> None:
    before = live_version(local_target, VICTIM_FUNCTION)
    with pytest.raises(ClientError) as denied:
        call(attacker(service))
    assert denied.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), denied.value
    assert live_version(local_target, VICTIM_FUNCTION) == before


def test_passing_another_services_role_is_denied(attacker: Callable[[str], Any]) -> None:
    """A function of its own name, run as profile's role, would act with profile's grants."""
    lambda_client = attacker("lambda")
    with pytest.raises(ClientError, match="iam:PassRole") as denied:
        lambda_client.create_function(FunctionName="local-location-impostor", Runtime="python3.11", Role=VICTIM_ROLE,
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
