"""service_kit: correlation IDs, structured logs, validated input and safe error responses."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_kit import BadRequest, Request, endpoint, logger
from service_kit.http import CORRELATION_HEADER, MAX_BODY_BYTES, MAX_JSON_DEPTH

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 1}, "password": {"type": "string"}},
    "required": ["name", "password"],
}


@endpoint
def greet(request: Request) -> tuple[int, dict[str, Any]]:
    body = request.json(SCHEMA)
    if body["name"] == "boom":
        raise RuntimeError("database password is hunter2")
    if body["name"] == "nobody":
        raise BadRequest("no such person")
    return 200, {"hello": body["name"], "token": request.user_token()[:2]}


def call(body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    result = greet({"headers": headers or {}, "body": raw, "routeKey": "POST /greet"}, None)
    return result["statusCode"], json.loads(result["body"]), result["headers"]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level("INFO")
    return caplog


def log_lines(logs: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The service logger's records as the JSON lines it writes."""
    return [json.loads(logger.registered_formatter.format(record)) for record in logs.records]


def test_the_callers_correlation_id_is_kept_logged_and_echoed(logs: pytest.LogCaptureFixture) -> None:
    status, body, headers = call({"name": "ada", "password": "pw-secret-1"},
                                 {"X-Correlation-Id": "abc-123", "Authorization": "Bearer tok-secret-9"})

    assert (status, body) == (200, {"hello": "ada", "token": "to"})
    assert headers[CORRELATION_HEADER] == "abc-123"
    lines = log_lines(logs)
    assert lines and all(line["correlation_id"] == "abc-123" for line in lines)
    assert lines[-1]["message"] == "request handled" and lines[-1]["route"] == "POST /greet"


def test_a_correlation_id_is_created_when_none_is_sent() -> None:
    _, _, first = call({"name": "ada", "password": "x"}, {"authorization": "Bearer t"})
    _, _, second = call({"name": "ada", "password": "x"}, {"authorization": "Bearer t"})

    assert len(first[CORRELATION_HEADER]) == 36
    assert first[CORRELATION_HEADER] != second[CORRELATION_HEADER]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"password": "x"}, 400, "body must contain ['name'] properties"),
    ({"name": 5, "password": "pw-secret-1"}, 400, "body.name must be string"),
    ("{not json", 400, "body must be a JSON object"),
    ({"name": "nobody", "password": "x"}, 400, "no such person"),
    ({"name": "x" * MAX_BODY_BYTES, "password": "x"}, 413, f"body exceeds {MAX_BODY_BYTES} bytes"),
])
def test_bad_input_gets_a_short_4xx(body: Any, status: int, message: str) -> None:
    assert call(body, {"authorization": "Bearer t"})[:2] == (status, {"message": message})


def test_a_missing_token_is_401() -> None:
    assert call({"name": "ada", "password": "x"})[:2] == (401, {"message": "missing bearer token"})


def test_a_failure_is_a_bare_500_and_its_detail_stays_in_the_log(logs: pytest.LogCaptureFixture) -> None:
    status, body, headers = call({"name": "boom", "password": "pw-secret-1"}, {"authorization": "Bearer tok-secret-9"})

    assert status == 500
    assert body == {"message": "internal error", "correlation_id": headers[CORRELATION_HEADER]}
    output = "\n".join(json.dumps(line) for line in log_lines(logs))
    assert "RuntimeError" in output
    assert "pw-secret-1" not in output and "tok-secret-9" not in output


def deep(depth: int) -> str:
    return '{"name": "ada", "password": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(("event", "status", "message"), [
    ({"body": deep(5000)}, 400, f"body nests deeper than {MAX_JSON_DEPTH} levels"),
    ({"body": deep(MAX_JSON_DEPTH)}, 400, f"body nests deeper than {MAX_JSON_DEPTH} levels"),
    ({"body": "[1, 2]"}, 400, "body must be a JSON object"),
    ({"body": "not base64!", "isBase64Encoded": True}, 400, "body is not valid base64"),
    ({"body": "é", "isBase64Encoded": True}, 400, "body is not valid base64"),
    ({"body": base64.b64encode(b'{"name": "\xff"}').decode(), "isBase64Encoded": True}, 400, "body must be UTF-8 text"),
    ({"body": "\ud800"}, 400, "body must be UTF-8 text"),
    ({"body": "A" * (MAX_BODY_BYTES * 2), "isBase64Encoded": True}, 413, f"body exceeds {MAX_BODY_BYTES} bytes"),
    ({"body": {"name": "ada"}}, 400, "body must be text"),
])
def test_a_body_that_cannot_be_read_is_a_short_4xx(event: dict[str, Any], status: int, message: str) -> None:
    result = greet({"headers": {"authorization": "Bearer t"}, "routeKey": "POST /greet", **event}, None)

    assert (result["statusCode"], json.loads(result["body"])) == (status, {"message": message})


def test_a_body_just_within_the_depth_limit_is_read() -> None:
    status, body, _ = call(json.loads(deep(MAX_JSON_DEPTH - 1)), {"authorization": "Bearer t"})

    assert status == 400 and body == {"message": "body.password must be string"}


@endpoint
def sign_in(request: Request) -> tuple[int, dict[str, Any]]:
    body = request.json(SCHEMA)
    return 200, {"name": body["name"], "token": request.user_token()[:2]}


json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=20,
)
plain_bodies = st.one_of(
    st.text(max_size=300),
    json_documents.map(json.dumps),
    st.fixed_dictionaries({"name": st.text(max_size=20), "password": json_documents}).map(json.dumps),
    st.integers(1, 20_000).map(deep),
    st.integers(1, 20_000).map(lambda depth: '{"a":' * depth),
    st.integers(MAX_BODY_BYTES - 50, MAX_BODY_BYTES + 50).map(lambda size: json.dumps({"name": "x" * size})),
)
events = st.one_of(
    st.fixed_dictionaries({"body": plain_bodies}),
    st.fixed_dictionaries({"body": st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()),
                           "isBase64Encoded": st.just(True)}),
    st.fixed_dictionaries({"body": st.text(max_size=100), "isBase64Encoded": st.booleans()}),
)
headers = st.dictionaries(
    st.sampled_from(["authorization", "Authorization", "x-user-token", "X-Correlation-Id", "content-type"]) | st.text(max_size=20),
    st.text(max_size=60) | st.just("Bearer t"),
    max_size=5,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, headers)
def test_no_body_or_headers_get_a_500(event: dict[str, Any], headers: dict[str, str]) -> None:
    result = sign_in({**event, "headers": headers, "routeKey": "POST /sign-in"}, None)

    assert result["statusCode"] == 200 or 400 <= result["statusCode"] < 500, result
    answer = json.loads(result["body"])
    assert result["statusCode"] == 200 or (list(answer) == ["message"] and len(answer["message"]) < 200)
