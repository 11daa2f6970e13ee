"""Lambda Invoke in the emulator runs the stored code in a warm worker process, as Lambda would."""

from __future__ import annotations

import base64
import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Callable
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
    if action == "pid":
        return {{"pid": os.getpid(), "trace": os.environ.get("_X_AMZN_TRACE_ID")}}
    if action == "allocate":
        return {{"size": len(bytearray(event["megabytes"] * 1024 * 1024))}}
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
def probe_role(local_target: Target) -> str:
    """A role that may read one table only (and ask who it is)."""
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
    return str(role_arn)


@pytest.fixture(scope="module")
def probe(local_target: Target, probe_role: str) -> str:
    """A function whose role may read one table only; version 1 says 'one', $LATEST says 'two'."""
    dynamodb = local_target.client("dynamodb", Identity.OPS)
    dynamodb.create_table(TableName="probe-allowed", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    lambda_client = local_target.client("lambda", Identity.OPS)
    lambda_client.create_function(
        FunctionName="runtime-probe", Runtime="python3.11", Role=probe_role, Handler="runtime_probe.handler.handler",
        Code={"ZipFile": artifact("one")}, Timeout=2, Environment={"Variables": {"GREETING": "hello"}},
    )
    version = lambda_client.publish_version(FunctionName="runtime-probe")["Version"]
    lambda_client.create_alias(FunctionName="runtime-probe", Name="live", FunctionVersion=version)
    lambda_client.update_function_code(FunctionName="runtime-probe", ZipFile=artifact("two"))
    return "runtime-probe"


def invoke(local_target: Target, event: dict[str, Any], qualifier: str = "live", function: str = "runtime-probe",
           **extra: Any) -> tuple[dict[str, Any], Any]:
    response = local_target.client("lambda", Identity.OPS).invoke(
        FunctionName=function, Qualifier=qualifier, Payload=json.dumps(event), **extra
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


@pytest.fixture(scope="module")
def new_probe(local_target: Target, probe_role: str) -> Callable[..., str]:
    """Make a function of its own (version 1 behind `live`) for a test that changes it."""

    def make(name: str, **settings: Any) -> str:
        lambda_client = local_target.client("lambda", Identity.OPS)
        lambda_client.create_function(
            FunctionName=name, Runtime="python3.11", Role=probe_role, Handler="runtime_probe.handler.handler",
            Code={"ZipFile": artifact("one")}, Environment={"Variables": {"GREETING": "hello"}},
            **{"Timeout": 5, **settings},
        )
        version = lambda_client.publish_version(FunctionName=name)["Version"]
        lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
        return name

    return make


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_warm_worker_serves_the_next_invocations_of_its_version(probe: str, local_target: Target) -> None:
    first = [invoke(local_target, {"action": "pid"})[1]["pid"] for _ in range(3)]
    latest = invoke(local_target, {"action": "pid"}, qualifier="$LATEST")[1]["pid"]

    assert first[0] == first[1] == first[2]
    assert latest != first[0]  # another version, another environment


def test_moving_live_to_a_new_version_replaces_the_worker(new_probe: Callable[..., str], local_target: Target) -> None:
    name = new_probe("runtime-probe-moving")
    lambda_client = local_target.client("lambda", Identity.OPS)
    old_pid = invoke(local_target, {"action": "pid"}, function=name)[1]["pid"]
    lambda_client.update_function_code(FunctionName=name, ZipFile=artifact("three"))
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion=version)

    new_pid = invoke(local_target, {"action": "pid"}, function=name)[1]["pid"]
    _, answer = invoke(local_target, {"action": "echo"}, function=name)

    assert new_pid != old_pid and answer["mark"] == "three"
    assert not pid_alive(old_pid)  # version 1 is referenced by no alias any more


def test_invocations_past_the_reserved_concurrency_are_throttled(new_probe: Callable[..., str],
                                                                 local_target: Target) -> None:
    name = new_probe("runtime-probe-reserved", Timeout=3)
    once = local_target.client("lambda", Identity.OPS)
    once.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    once.meta.events.unregister("needs-retry.lambda", unique_id="retry-config-lambda")  # see every answer
    outcomes: list[str | ClientError] = []

    def attempt() -> None:  # each holds its slot for the whole 3 s timeout
        try:
            once.invoke(FunctionName=name, Qualifier="live", Payload=b'{"action": "sleep", "seconds": 30}')
            outcomes.append("ran")
        except ClientError as err:
            outcomes.append(err)

    attempts = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in attempts:
        thread.start()
    for thread in attempts:
        thread.join()
    refused = next((outcome for outcome in outcomes if isinstance(outcome, ClientError)), None)

    assert outcomes.count("ran") == 1, outcomes
    assert refused is not None, "the second invocation ran beside the first"
    assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert refused.response["Error"] == {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."}
    assert refused.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    _, answer = invoke(local_target, {"action": "echo"}, function=name)
    assert answer["mark"] == "one"  # the slot is free again once the first one ended


def test_a_timed_out_worker_is_killed_and_the_next_invocation_gets_a_new_one(new_probe: Callable[..., str],
                                                                            local_target: Target) -> None:
    name = new_probe("runtime-probe-timeout", Timeout=1)
    old_pid = invoke(local_target, {"action": "pid"}, function=name)[1]["pid"]

    response, error = invoke(local_target, {"action": "sleep", "seconds": 30}, function=name)
    new_pid = invoke(local_target, {"action": "pid"}, function=name)[1]["pid"]

    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "Sandbox.Timedout"
    assert not pid_alive(old_pid) and new_pid != old_pid


def test_a_function_using_more_than_its_memory_size_fails_and_its_worker_is_replaced(
        new_probe: Callable[..., str], local_target: Target) -> None:
    name = new_probe("runtime-probe-memory", MemorySize=128)

    response, error = invoke(local_target, {"action": "allocate", "megabytes": 200}, function=name)
    _, small = invoke(local_target, {"action": "allocate", "megabytes": 20}, function=name)

    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "Runtime.OutOfMemory"
    assert small == {"size": 20 * 1024 * 1024}


def test_the_callers_trace_header_is_the_functions_trace_id(probe: str, local_target: Target) -> None:
    lambda_client = local_target.client("lambda", Identity.OPS)
    trace = "Root=1-5f84c7a1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"

    def add_trace_header(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = trace

    lambda_client.meta.events.register("before-sign.lambda.Invoke", add_trace_header)
    traced = json.loads(lambda_client.invoke(FunctionName=probe, Qualifier="live",
                                             Payload=b'{"action": "pid"}')["Payload"].read())
    _, untraced = invoke(local_target, {"action": "pid"})

    assert traced["trace"] == trace
    assert untraced["trace"] is None  # the previous invocation's trace does not leak into the next


def test_a_payload_that_is_not_json_is_refused(probe: str, local_target: Target) -> None:
    with pytest.raises(ClientError, match="InvalidRequestContentException"):
        local_target.client("lambda", Identity.OPS).invoke(FunctionName=probe, Qualifier="live", Payload=b"{nope")
