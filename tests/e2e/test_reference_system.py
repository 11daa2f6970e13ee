"""The reference system: authentication, location and profile deployed and working together.

Everything goes through `deploy.py serve`'s gateway, as a client would; functions run in the
emulator as their deployed artifacts, under their own roles.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import emulator
from pipeline.aws import Identity, Target
from tests.e2e.conftest import HANDLED, Project

pytestmark = pytest.mark.e2e

SERVICES = ("authentication", "location", "profile")  # profile reads location's API URL
TABLES = ("local-authentication-users", "local-authentication-tokens", "local-location-locations",
          "local-profile-profiles")


@pytest.fixture(scope="module")
def deployed(project: Project) -> None:
    """One deploy of all three, in parallel as far as their calls allow (callees first), each smoke-checked."""
    result = project.deploy_py("deploy", *(f"--service={service}" for service in reversed(SERVICES)), "--jobs", "3")
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


def test_callees_deployed_first_and_every_smoke_check_passed(deployed: None, local_target: Target) -> None:
    from pipeline.state.ledger import Ledger

    ledger = Ledger(local_target)
    last = {service: ledger.executions(service)[-1] for service in SERVICES}
    assert last["authentication"].finished_at <= last["location"].started_at
    assert last["location"].finished_at <= last["profile"].started_at
    for service in SERVICES:
        assert last[service].result == "succeeded"
        assert "smoke checks passed" in last[service].stages[-1].detail, last[service].stages[-1]


@dataclass(frozen=True)
class Gateway:
    base_url: str

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                sign: bool | emulator.Credentials = False, raw: bytes | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Send one request (signed as ops, or as the credentials given); returns status, JSON body and lower-cased headers."""
        url = f"{self.base_url}{path}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = {"content-type": "application/json", **(headers or {})}
        if sign:
            signer = sign if isinstance(sign, emulator.Credentials) else emulator.ops_credentials()
            all_headers = signed_headers(method, url, data, all_headers, signer)
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read() or b"{}"), {k.lower(): v for k, v in answer.headers.items()}
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}"), {k.lower(): v for k, v in err.headers.items()}


def signed_headers(method: str, url: str, data: bytes | None, headers: dict[str, str],
                   credentials: emulator.Credentials) -> dict[str, str]:
    """Headers with a SigV4 signature for execute-api, as an IAM-authorised caller sends them."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, data=data, headers=headers)
    SigV4Auth(Credentials(credentials.access_key_id, credentials.secret_access_key, credentials.session_token),
              "execute-api", "us-east-1").add_auth(request)
    return dict(request.headers.items())


@pytest.fixture(scope="module")
def gateway(deployed: None, project: Project, gateway_port: int) -> Iterator[Gateway]:
    """`deploy.py serve` from the project copy, on the port the deploys pointed services at."""
    process = subprocess.Popen([sys.executable, "deploy.py", "serve"], cwd=project.root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base_url = f"http://127.0.0.1:{gateway_port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base_url}/none", timeout=2)
        except urllib.error.HTTPError:
            break  # it answered (404)
        except OSError:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.2)
    try:
        yield Gateway(base_url)
    finally:
        process.terminate()
        process.wait(timeout=10)


def item_counts(local_target: Target) -> dict[str, int]:
    dynamodb = local_target.client("dynamodb", Identity.OPS)
    return {table: dynamodb.scan(TableName=table, Select="COUNT")["Count"] for table in TABLES}


def log_messages(local_target: Target, function: str) -> list[str]:
    logs = local_target.client("logs", Identity.OPS)
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{function}")
    return [event["message"] for page in pages for event in page["events"]]


@pytest.fixture(scope="module")
def ada(gateway: Gateway) -> str:
    """A registered user with a token, a stored location and a profile."""
    assert gateway.request("POST", "/authentication/users", {"user_id": "ada", "password": "correct horse"})[0] == 201
    status, issued, _ = gateway.request("POST", "/authentication/tokens", {"user_id": "ada", "password": "correct horse"})
    assert status == 201, issued
    token = str(issued["token"])
    HANDLED.secrets.update({"correct horse", token})  # tests/e2e/test_acceptance.py searches everything for them
    status, stored, _ = gateway.request("PUT", "/location/locations/ada", {"latitude": 51.5, "longitude": -0.12},
                                        headers={"x-user-token": token}, sign=True)
    assert (status, stored) == (200, {"user_id": "ada", "latitude": 51.5, "longitude": -0.12})
    status, created, _ = gateway.request("POST", "/profile/profiles", {"display_name": "Ada"},
                                         headers={"authorization": f"Bearer {token}"})
    assert status == 201, created
    return token


def test_a_profile_comes_back_with_its_location_and_one_correlation_id_spans_all_three(
    ada: str, gateway: Gateway, local_target: Target
) -> None:
    correlation_id = str(uuid.uuid4())

    status, profile, headers = gateway.request("GET", "/profile/profiles/ada", headers={
        "authorization": f"Bearer {ada}", "x-correlation-id": correlation_id})

    assert status == 200, profile
    assert profile == {"user_id": "ada", "display_name": "Ada", "bio": "",
                       "location": {"latitude": 51.5, "longitude": -0.12}}
    assert headers["x-correlation-id"] == correlation_id
    for function in ("local-profile-get_profile", "local-location-get_location", "local-authentication-verify_token"):
        logged = [json.loads(m) for m in log_messages(local_target, function) if correlation_id in m]
        assert logged, f"{function} logged nothing for {correlation_id}"
        assert all(line["correlation_id"] == correlation_id for line in logged)
    everything = "\n".join(m for f in ("local-authentication-issue_token", "local-authentication-create_user")
                           for m in log_messages(local_target, f))
    assert ada not in everything and "correct horse" not in everything


def test_functions_and_tables_are_configured_from_the_manifests(deployed: None, local_target: Target) -> None:
    from pipeline.project.services import load_service

    lambda_client = local_target.client("lambda", Identity.OPS)
    logs = local_target.client("logs", Identity.OPS)
    alarms = {a["AlarmName"] for page in local_target.client("cloudwatch", Identity.OPS).get_paginator(
        "describe_alarms").paginate() for a in page["MetricAlarms"]}
    for service in SERVICES:
        for name, function in load_service(service).manifest.functions.items():
            deployed_name = f"local-{service}-{name}"
            config = lambda_client.get_function_configuration(FunctionName=deployed_name, Qualifier="live")
            assert (config["MemorySize"], config["Timeout"]) == (function.memory_mb, function.timeout_s)
            assert config["TracingConfig"]["Mode"] == "Active"
            concurrency = lambda_client.get_function_concurrency(FunctionName=deployed_name)
            assert concurrency["ReservedConcurrentExecutions"] == function.reserved_concurrency
            group = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{deployed_name}")["logGroups"][0]
            assert group["retentionInDays"] == 30
            assert {f"{deployed_name}-errors", f"{deployed_name}-throttles"} <= alarms
    assert {f"{table}-read-throttles" for table in TABLES} <= alarms


def test_every_alarm_of_every_service_tells_the_alerts_topic(deployed: None, local_target: Target) -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:local-alerts"
    sns = local_target.client("sns", Identity.OPS)
    subscribed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscribed] == [("email", "ops-local@example.com")]
    service_alarms = [alarm for page in local_target.client("cloudwatch", Identity.OPS).get_paginator(
        "describe_alarms").paginate() for alarm in page["MetricAlarms"]
        if alarm["AlarmName"].startswith(tuple(f"local-{service}-" for service in SERVICES))]
    assert len(service_alarms) >= 2 * 7 + len(TABLES)  # Errors and Throttles of seven functions, each table's
    for alarm in service_alarms:
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic], alarm["AlarmName"]
    dynamodb = local_target.client("dynamodb", Identity.OPS)
    for table in TABLES:
        assert dynamodb.describe_table(TableName=table)["Table"]["SSEDescription"]["Status"] == "ENABLED"
        backups = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def bad_requests(token: str) -> list[tuple[str, str, Any, dict[str, str], bool, int]]:
    """(method, path, body, headers, signed, expected status) for each route's bad inputs."""
    bearer = {"authorization": f"Bearer {token}"}
    user = {"x-user-token": token}
    big = {"display_name": "x" * 20_000}
    return [
        ("POST", "/authentication/users", {"user_id": "eve"}, {}, False, 400),
        ("POST", "/authentication/users", {"user_id": "eve", "password": 12345678}, {}, False, 400),
        ("POST", "/authentication/users", {"user_id": "eve", "password": "p" * 20_000}, {}, False, 413),
        ("POST", "/authentication/tokens", {"user_id": "ada", "password": "wrong horse"}, {}, False, 401),
        ("POST", "/authentication/tokens", {"user_id": "ada"}, {}, False, 400),
        ("PUT", "/location/locations/ada", {"latitude": 1, "longitude": 2}, user, False, 403),
        ("PUT", "/location/locations/ada", {"latitude": 1, "longitude": 2}, {"x-user-token": "forged"}, True, 401),
        ("PUT", "/location/locations/ada", {"latitude": "north", "longitude": 2}, user, True, 400),
        ("PUT", "/location/locations/ada", {"latitude": 1}, user, True, 400),
        ("PUT", "/location/locations/ada", {"latitude": 1, "longitude": 2, "pad": "x" * 20_000}, user, True, 413),
        ("GET", "/location/locations/ada", None, {"x-user-token": "forged"}, True, 401),
        ("POST", "/profile/profiles", {"display_name": "Eve"}, {"authorization": "Bearer forged"}, False, 401),
        ("POST", "/profile/profiles", {}, bearer, False, 400),
        ("POST", "/profile/profiles", {"display_name": 7}, bearer, False, 400),
        ("POST", "/profile/profiles", big, bearer, False, 413),
        ("GET", "/profile/profiles/ada", None, {"authorization": "Bearer forged"}, False, 401),
        ("GET", "/profile/profiles/ada", None, {}, False, 401),
        ("GET", "/profile/nowhere", None, {}, False, 404),
    ]


def test_bad_inputs_get_a_short_4xx_and_write_nothing(ada: str, gateway: Gateway, local_target: Target) -> None:
    before = item_counts(local_target)
    failures = []
    for method, path, body, headers, signed, expected in bad_requests(ada):
        status, answer, _ = gateway.request(method, path, body, headers=headers, sign=signed)
        short = set(answer) == {"message"} and len(answer["message"]) <= 120 and "Traceback" not in answer["message"]
        if status != expected or not short:
            failures.append(f"{method} {path} {str(body)[:60]}: {status} {answer}")
    assert not failures, "\n".join(failures)
    assert item_counts(local_target) == before


# Bodies no handler can take: bytes, text, JSON of the wrong shape (keys drawn so that no valid
# document can come out), nesting far past service_kit's depth limit.
HOSTILE_BODIES = st.one_of(
    st.binary(max_size=2_000),
    st.text(max_size=500).map(str.encode),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("qxz", max_size=3), inner, max_size=3),
                 max_leaves=15).map(lambda document: json.dumps(document).encode()),
    st.integers(40, 6_000).map(lambda depth: ("[" * depth + "]" * depth).encode()),
)
HOSTILE_HEADERS = st.dictionaries(
    st.sampled_from(["content-type", "x-correlation-id", "x-user-token", "accept", "x-amzn-trace-id", "x-forwarded-for"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    max_size=4,
)
FUZZED_ROUTES = [("POST", "/authentication/users", False), ("POST", "/authentication/tokens", False),
                 ("POST", "/profile/profiles", False), ("PUT", "/location/locations/ada", True)]


def test_fuzzed_bodies_and_headers_get_a_4xx_write_nothing_and_the_gateway_keeps_serving(
    ada: str, gateway: Gateway, local_target: Target
) -> None:
    before = item_counts(local_target)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(FUZZED_ROUTES), body=HOSTILE_BODIES, headers=HOSTILE_HEADERS)
    def hostile(route: tuple[str, str, bool], body: bytes, headers: dict[str, str]) -> None:
        method, path, signed = route
        auth = {"x-user-token": ada} if signed else {"authorization": f"Bearer {ada}"}
        status, _, _ = gateway.request(method, path, headers={**auth, **headers}, sign=signed, raw=body)
        assert 400 <= status < 500, (method, path, body[:80], headers, status)

    hostile()
    assert item_counts(local_target) == before
    assert gateway.request("GET", "/profile/nowhere")[0] == 404  # still serving


def test_a_scaffolded_service_deploys_and_answers_its_route(gateway: Gateway, project: Project) -> None:
    created = project.deploy_py("new-service", "--name", "inventory")
    assert created.returncode == 0, created.stderr
    assert "local-inventory-get_status" in created.stdout and "ops/iam" in created.stdout

    deployed = project.deploy_py("deploy", "--service", "inventory")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    status, body, _ = gateway.request("GET", "/inventory/status", headers={"x-correlation-id": "scaffold-1"})
    assert (status, body) == (200, {"service": "inventory", "correlation_id": "scaffold-1"})


def caller_granted(local_target: Target, name: str, route_pattern: str) -> emulator.Credentials:
    """A user allowed execute-api:Invoke on `route_pattern` (api/stage/METHOD/path) only."""
    iam = local_target.client("iam", Identity.OPS)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="calls", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                                                "Resource": f"arn:aws:execute-api:us-east-1:123456789012:{route_pattern}"}],
    }))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    HANDLED.secrets.add(key["SecretAccessKey"])
    return emulator.Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def test_iam_routes_verify_the_signature_and_the_signers_grant(ada: str, gateway: Gateway, local_target: Target) -> None:
    path, user = "/location/locations/ada", {"x-user-token": ada}
    ops = emulator.ops_credentials()
    granted = caller_granted(local_target, "reads-locations", "*/*/GET/locations/*")
    ungranted = caller_granted(local_target, "reads-other-things", "*/*/GET/profiles/*")

    assert gateway.request("GET", path, headers=user, sign=granted)[:2] == (
        200, {"user_id": "ada", "latitude": 51.5, "longitude": -0.12})
    forged = gateway.request("GET", path, headers=user, sign=emulator.Credentials(ops.access_key_id, "not-the-secret"))
    assert forged[0] == 403 and forged[1]["message"].startswith("The request signature we calculated does not match")
    unknown = gateway.request("GET", path, headers=user, sign=emulator.Credentials("AKIAUNKNOWNCALLER000", "x"))
    assert unknown[:2] == (403, {"message": "The security token included in the request is invalid."})
    denied = gateway.request("GET", path, headers=user, sign=ungranted)
    assert denied[0] == 403 and "is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:" in (
        denied[1]["Message"])
    assert gateway.request("PUT", path, {"latitude": 1, "longitude": 2}, headers=user, sign=granted)[0] == 403


def test_each_route_carries_its_manifests_throttle_in_the_stage(deployed: None, local_target: Target) -> None:
    from pipeline.project.services import load_service

    apigateway = local_target.client("apigatewayv2", Identity.OPS)
    apis = {api["Name"]: api["ApiId"] for api in apigateway.get_apis()["Items"]}
    for service in SERVICES:
        manifest = load_service(service).manifest
        assert manifest.api is not None
        stage = apigateway.get_stage(ApiId=apis[f"local-{service}"], StageName="$default")
        expected = {"ThrottlingRateLimit": manifest.api.throttle_rate_limit, "ThrottlingBurstLimit": manifest.api.throttle_burst_limit}
        routes = {function.route for function in manifest.functions.values() if function.route}
        assert {key: {k: v for k, v in settings.items() if k in expected}
                for key, settings in stage["RouteSettings"].items()} == {route: expected for route in routes}


def test_a_burst_past_a_routes_limit_gets_429(gateway: Gateway, local_target: Target) -> None:
    """A route allowing a burst of 2, refilled once in 1000 s, behind a real function alias."""
    apigateway = local_target.client("apigatewayv2", Identity.OPS)
    alias = local_target.client("lambda", Identity.OPS).get_alias(FunctionName="local-location-get_location", Name="live")
    api_id = apigateway.create_api(Name="local-throttled", ProtocolType="HTTP")["ApiId"]
    try:
        integration = apigateway.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
            IntegrationUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{alias['AliasArn']}/invocations")
        apigateway.create_route(ApiId=api_id, RouteKey="GET /ping", Target=f"integrations/{integration['IntegrationId']}")
        apigateway.create_stage(ApiId=api_id, StageName="$default", RouteSettings={
            "GET /ping": {"ThrottlingRateLimit": 0.001, "ThrottlingBurstLimit": 2}})
        deadline = time.monotonic() + 30
        while (first := gateway.request("GET", "/throttled/ping")[0]) == 404:  # until the gateway re-reads its routes
            assert time.monotonic() < deadline, "the gateway never served the new route"
            time.sleep(0.2)
        statuses = [first] + [gateway.request("GET", "/throttled/ping")[0] for _ in range(4)]

        assert 429 not in statuses[:2] and statuses[2:] == [429, 429, 429]
        assert gateway.request("GET", "/throttled/ping")[1] == {"message": "Too Many Requests"}
    finally:
        apigateway.delete_api(ApiId=api_id)


def raw_exchange(base_url: str, request: bytes) -> bytes:
    """Send raw bytes to the gateway; the status line it answers (without waiting for a body it never asked)."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(request)
        return connection.makefile("rb").readline()


@pytest.mark.parametrize(("length", "status"), [("abc", b" 400 "), ("-1", b" 400 "), ("1e3", b" 400 "),
                                                 ("99999999999999", b" 413 "), (str(10 * 1024 * 1024 + 1), b" 413 ")])
def test_a_bad_content_length_is_refused_unread_and_the_gateway_keeps_serving(
    gateway: Gateway, length: str, status: bytes
) -> None:
    request = f"POST /profile/profiles HTTP/1.1\r\nHost: gateway\r\nContent-Length: {length}\r\n\r\n".encode()

    assert status in raw_exchange(gateway.base_url, request)
    assert gateway.request("GET", "/profile/nowhere")[0] == 404
