"""Lambda Invoke in the emulator runs the stored code in a child process, as Lambda would."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pipeline.aws import Identity, Target

pytestmark = pytest.mark.emulator

HANDLER = '''
import json, os, time
import boto3

MARK = "{mark}"

def handler(event, context):
    action = event.get("action")
    print("handling", action)
    if action == "fail":
        raise ValueError("bad thing " + MARK)
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "read_table":
        item = boto3.client("dynamodb").get_item(TableName="probe-allowed", Key={{"id": {{"S": "x"}}}})
        return {{"found": "Item" in item}}
    if action == "write_table":
        boto3.client("dynamodb").put_item(TableName="probe-allowed", Item={{"id": {{"S": "x"}}}})
    return {{
        "mark": MARK, "event": event, "greeting": os.environ["GREETING"],
        "function": context.function_name, "version": context.function_version,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "endpoint": os.environ["AWS_ENDPOINT_URL"],
        "caller": boto3.client("sts").get_caller_identity()["Arn"],
    }}
'''


def artifact(mark: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("runtime_probe/__init__.py", "")
        archive.writestr("runtime_probe/handler.py", HANDLER.format(mark=mark))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def probe(local_target: Target) -> str:
    """A function whose role may read one table only; version 1 says 'one', $LATEST says 'two'."""
    iam = local_target.client("iam", Identity.OPS)
    role_arn = iam.create_role(RoleName="runtime-probe", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    iam.put_role_policy(RoleName="runtime-probe", PolicyName="one-table", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
                       "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/probe-allowed"},
                      {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
    }))
    dynamodb = local_target.client("dynamodb", Identity.OPS)
    dynamodb.create_table(TableName="probe-allowed", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    lambda_client = local_target.client("lambda", Identity.OPS)
    lambda_client.create_function(
        FunctionName="runtime-probe", Runtime="python3.11", Role=role_arn, Handler="runtime_probe.handler.handler",
        Code={"ZipFile": artifact("one")}, Timeout=2, Environment={"Variables": {"GREETING": "hello"}},
    )
    version = lambda_client.publish_version(FunctionName="runtime-probe")["Version"]
    lambda_client.create_alias(FunctionName="runtime-probe", Name="live", FunctionVersion=version)
    lambda_client.update_function_code(FunctionName="runtime-probe", ZipFile=artifact("two"))
    return "runtime-probe"


def invoke(local_target: Target, event: dict[str, Any], qualifier: str = "live", **extra: Any) -> tuple[dict[str, Any], Any]:
    response = local_target.client("lambda", Identity.OPS).invoke(
        FunctionName="runtime-probe", Qualifier=qualifier, Payload=json.dumps(event), **extra
    )
    return response, json.loads(response["Payload"].read())


def test_runs_the_qualified_versions_code_with_its_environment_and_role(probe: str, local_target: Target) -> None:
    response, live = invoke(local_target, {"action": "echo", "n": 1}, LogType="Tail")
    _, latest = invoke(local_target, {"action": "echo"}, qualifier="$LATEST")

    assert "FunctionError" not in response
    assert live["mark"] == "one" and latest["mark"] == "two"
    assert live["event"] == {"action": "echo", "n": 1}
    assert live["greeting"] == "hello"
    assert live["function"] == "runtime-probe" and live["version"] == "1"
    assert 0 < live["remaining_ms"] <= 2000
    assert live["endpoint"] == local_target.endpoint
    assert live["caller"].endswith(":assumed-role/runtime-probe/runtime-probe")
    assert "handling echo" in base64.b64decode(response["LogResult"]).decode()


def test_an_unhandled_exception_is_a_function_error(probe: str, local_target: Target) -> None:
    response, error = invoke(local_target, {"action": "fail"})

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "bad thing one"
    assert any("runtime_probe/handler.py" in frame for frame in error["stackTrace"])


def test_a_function_running_past_its_timeout_is_stopped(probe: str, local_target: Target) -> None:
    started = time.monotonic()
    response, error = invoke(local_target, {"action": "sleep", "seconds": 30})

    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 2.00 seconds" in error["errorMessage"]


def test_the_functions_calls_are_held_to_its_roles_grant(probe: str, local_target: Target) -> None:
    """The role may GetItem on one table only, and the emulator judges both the action and the table."""
    _, allowed = invoke(local_target, {"action": "read_table"})
    response, denied = invoke(local_target, {"action": "write_table"})

    assert allowed == {"found": False}
    assert response["FunctionError"] == "Unhandled"
    assert denied["errorType"] == "ClientError"
    assert "AccessDenied" in denied["errorMessage"]
    items = local_target.client("dynamodb", Identity.OPS).scan(TableName="probe-allowed")["Items"]
    assert items == []


def test_output_is_readable_through_the_logs_api(probe: str, local_target: Target) -> None:
    invoke(local_target, {"action": "logged-7f3a"})

    logs = local_target.client("logs", Identity.OPS)
    events = logs.filter_log_events(logGroupName="/aws/lambda/runtime-probe", filterPattern="logged-7f3a")["events"]

    assert [e["message"] for e in events] == ["handling logged-7f3a"]


def test_an_unknown_function_is_not_found(probe: str, local_target: Target) -> None:
    with pytest.raises(ClientError, match="ResourceNotFound"):
        local_target.client("lambda", Identity.OPS).invoke(FunctionName="runtime-absent", Payload=b"{}")
