"""The local gateway's translation between HTTP and API Gateway's Lambda proxy payload 2.0."""

from __future__ import annotations

import base64
import json

import pytest

from pipeline.local.gateway import (
    MAX_BODY_BYTES,
    HttpResponse,
    Route,
    Throttle,
    TokenBucket,
    body_length,
    has_sigv4_signature,
    http_response,
    proxy_event,
    route_pattern,
    route_throttle,
)
from pipeline.project.environments import Environment, infra_variables

ARN = "arn:aws:lambda:us-east-1:123456789012:function:local-location-get_location:live"


def route(key: str, authorization: str = "NONE") -> Route:
    return Route("location", "abc123", key, route_pattern(key.split(" ", 1)[1]), ARN, authorization)


def test_routes_match_method_and_path_and_extract_parameters() -> None:
    get = route("GET /locations/{user_id}")

    assert get.match("GET", "/locations/ada%20l") == {"user_id": "ada l"}
    assert get.match("PUT", "/locations/ada") is None
    assert get.match("GET", "/locations/ada/extra") is None
    assert route("ANY /files/{path+}").match("DELETE", "/files/a/b.txt") == {"path": "a/b.txt"}


def test_the_event_is_payload_format_2() -> None:
    event = proxy_event(route("PUT /locations/{user_id}"), "PUT", "/locations/ada", "a=1&b=",
                        {"content-type": "application/json", "x-correlation-id": "c1"}, b'{"x": 1}',
                        {"user_id": "ada"}, "127.0.0.1")

    assert event["version"] == "2.0" and event["routeKey"] == "PUT /locations/{user_id}"
    assert event["rawPath"] == "/locations/ada" and event["rawQueryString"] == "a=1&b="
    assert event["queryStringParameters"] == {"a": "1", "b": ""}
    assert event["pathParameters"] == {"user_id": "ada"}
    assert event["headers"]["x-correlation-id"] == "c1"
    assert event["body"] == '{"x": 1}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "PUT"
    assert event["requestContext"]["stage"] == "$default" and event["requestContext"]["accountId"] == "123456789012"


def test_binary_bodies_are_base64_encoded() -> None:
    event = proxy_event(route("POST /files"), "POST", "/files", "", {}, b"\xff\xfe", {}, "127.0.0.1")

    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe"
    assert "pathParameters" not in event and "queryStringParameters" not in event


def test_function_answers_become_http_responses() -> None:
    proxied = http_response(json.dumps({"statusCode": 201, "headers": {"X-Id": "1"}, "body": "{}"}).encode(), None)
    assert (proxied.status, proxied.headers, proxied.body) == (201, {"x-id": "1"}, b"{}")

    plain = http_response(b'{"hello": "world"}', None)
    assert (plain.status, json.loads(plain.body)) == (200, {"hello": "world"})

    binary = http_response(json.dumps({"statusCode": 200, "body": "AAE=", "isBase64Encoded": True}).encode(), None)
    assert binary.body == b"\x00\x01"

    assert http_response(b'{"errorMessage": "boom"}', "Unhandled").status == 500


def test_iam_routes_need_a_sigv4_signature() -> None:
    signed = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/execute-api/aws4_request, "
                               "SignedHeaders=host;x-amz-date, Signature=abc", "x-amz-date": "20260101T000000Z"}

    assert has_sigv4_signature(signed)
    assert not has_sigv4_signature({"authorization": "Bearer token"})
    assert not has_sigv4_signature({"authorization": signed["authorization"]})


def test_only_emulator_environments_point_services_at_the_gateway() -> None:
    local = Environment("local", "us-east-1", "s", "a", emulator=True)
    aws = Environment("prod", "us-east-1", "s", "a")

    assert infra_variables(aws) == {}
    assert infra_variables(local)["service_gateway_url"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize(("values", "expected"), [
    ([], 0), (["12"], 12), (["12", "12"], 12), ([str(MAX_BODY_BYTES)], MAX_BODY_BYTES),
    (["abc"], 400), (["-1"], 400), (["1e3"], 400), (["12", "13"], 400), ([""], 400),
    ([str(MAX_BODY_BYTES + 1)], 413), (["9" * 40], 413),
])
def test_content_length_is_checked_before_the_body_is_read(values: list[str], expected: int) -> None:
    length = body_length(values)
    if isinstance(length, HttpResponse):
        assert length.status == expected and json.loads(length.body)["message"]
    else:
        assert length == expected


def test_a_routes_own_throttle_wins_over_the_stage_default() -> None:
    stage = {"DefaultRouteSettings": {"ThrottlingRateLimit": 50.0, "ThrottlingBurstLimit": 100},
             "RouteSettings": {"GET /a": {"ThrottlingRateLimit": 1.0, "ThrottlingBurstLimit": 2}}}

    assert route_throttle(stage, "GET /a") == Throttle(1.0, 2)
    assert route_throttle(stage, "GET /b") == Throttle(50.0, 100)
    assert route_throttle({}, "GET /a") is None


def test_a_token_bucket_lets_a_burst_through_then_refuses() -> None:
    bucket = TokenBucket(Throttle(rate_per_second=0.001, burst=2))  # refills one token in 1000 s

    assert [bucket.take() for _ in range(4)] == [True, True, False, False]


def test_iam_routes_behind_an_external_emulator_check_that_a_signature_is_there() -> None:
    """Its identities live in another process and it enforces no IAM: as there, a signature must be present."""
    from pipeline.aws import Target
    from pipeline.local.gateway import Gateway

    external = Environment("shared", "us-east-1", "s", "a", emulator=True, endpoint="http://127.0.0.1:9",
                           access_key_id="test", secret_access_key="test")
    signed = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/execute-api/aws4_request, "
                               "SignedHeaders=host;x-amz-date, Signature=abc", "x-amz-date": "20260101T000000Z"}
    gateway = Gateway(Target(external, endpoint="http://127.0.0.1:9"))
    route_ = route("GET /locations/{user_id}", "AWS_IAM")

    assert gateway.authorise(route_, "GET", "/location/locations/ada", signed, b"", "/locations/ada") is None
    unsigned = gateway.authorise(route_, "GET", "/location/locations/ada", {}, b"", "/locations/ada")
    assert unsigned is not None and unsigned.status == 403
