"""Smoke checks: the manifest's schema, judging answers, and sending checks to a real HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import ManifestError
from pipeline.project.manifest import Check, Expectation, parse_manifest
from pipeline.stages.smoke import Answer, failure_of, run_checks
from tests.pipeline.test_manifest import minimal


def with_checks(*checks: dict[str, Any]) -> dict[str, Any]:
    return {**minimal(), "smoke": {"checks": list(checks)}}


def check(**fields: Any) -> dict[str, Any]:
    return {"name": "get", "request": "GET /orders/{run}", "expect": {"status": 200}, **fields}


def parsed(*checks: dict[str, Any]) -> tuple[Check, ...]:
    smoke = parse_manifest(with_checks(*checks), "services/orders/service.yaml", "orders").smoke
    assert smoke is not None
    return smoke.checks


def test_checks_parse_with_variables_saved_by_earlier_checks() -> None:
    checks = parsed(
        check(name="sign in", request="POST /tokens", body={"user": "{run}"}, expect={"status": 201, "fields": ["token"]},
              save={"token": "token"}, service="authentication"),
        check(headers={"authorization": "Bearer {token}"}, sign="deployer", expect={"status": 404, "equal": {"a.b": 1}}),
    )

    assert checks[0].service == "authentication" and checks[0].save == {"token": "token"}
    assert (checks[1].method, checks[1].path, checks[1].sign) == ("GET", "/orders/{run}", "deployer")
    assert checks[1].expect == Expectation(404, (), {"a.b": 1})


@pytest.mark.parametrize(("bad", "named"), [
    (check(headers={"authorization": "Bearer {token}"}), "{token}, which no earlier check saves"),
    (check(request="FETCH /orders"), "smoke.checks[0].request"),
    (check(expect={}), "smoke.checks[0].expect.status' is required"),
    (check(expect={"status": 700}), "smoke.checks[0].expect.status"),
    (check(sign="root"), "smoke.checks[0].sign"),
    (check(body={}, body_file="tests/a.json"), "exclude each other"),
    (check(body_file="../secret.json"), "smoke.checks[0].body_file"),
    (check(save={"token": "a b"}), "smoke.checks[0].save"),
    (check(surprise=1), "unknown field 'smoke.checks[0].surprise'"),
])
def test_a_bad_check_is_refused_naming_its_field(bad: dict[str, Any], named: str) -> None:
    with pytest.raises(ManifestError, match=None) as refused:
        parsed(bad)
    assert named in refused.value.message and "services/orders/service.yaml" in refused.value.message


def test_two_checks_with_one_name_are_refused() -> None:
    with pytest.raises(ManifestError, match="two checks are named 'get'"):
        parsed(check(), check())


def test_smoke_needs_checks_or_an_event() -> None:
    with pytest.raises(ManifestError, match="needs checks, or a function and an event"):
        parse_manifest({**minimal(), "smoke": {}}, "services/orders/service.yaml", "orders")


@pytest.mark.parametrize(("answer", "failure"), [
    (Answer(500, b'{"message":"internal error"}'), "a server error: expected 200, got 500"),
    (Answer(401, b'{"message":"no"}'), "an unexpected status: expected 200, got 401"),
    (Answer(200, b'{"id":"1"}'), "field(s) missing from the answer: user.name"),
    (Answer(200, b'{"id":"2","user":{"name":"x"}}'), "field id is '2', expected '1'"),
    (Answer(200, b"<html>"), "the body is not JSON"),
    (Answer(200, b'{"id":"1","user":{"name":"x"}}'), ""),
])
def test_an_answer_is_judged_by_status_then_fields(answer: Answer, failure: str) -> None:
    found = failure_of(Expectation(200, ("user.name",), {"id": "1"}), answer)

    assert found.startswith(failure) and bool(found) == bool(failure)


@pytest.fixture
def api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server: POST /tokens answers a token; GET /me answers who the bearer is."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            sent = json.loads(self.rfile.read(int(self.headers["content-length"])))
            seen.append({"path": self.path, "body": sent})
            self._answer(201, {"token": f"token-of-{sent['user']}"})

        def do_GET(self) -> None:
            seen.append({"path": self.path, "authorization": self.headers.get("authorization")})
            self._answer(200 if self.headers.get("authorization", "").startswith("Bearer token-of-") else 401, {"me": 1})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def never_signs(method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
    raise AssertionError("no check here asks to be signed")


def test_checks_run_in_order_passing_saved_values_on(api: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    url, seen = api
    checks = parsed(
        check(name="sign in", request="POST /tokens", body={"user": "{run}"}, expect={"status": 201}, save={"token": "token"}),
        check(name="me", request="GET /me/{run}", headers={"Authorization": "Bearer {token}"}),
    )

    results = run_checks(checks, lambda service: url, never_signs, tmp_path)

    assert [(r.name, r.status, r.failure) for r in results] == [("sign in", 201, ""), ("me", 200, "")]
    run = seen[0]["body"]["user"]
    assert run.startswith("smoke-") and seen[1] == {"path": f"/me/{run}", "authorization": f"Bearer token-of-{run}"}


def test_the_first_failing_check_stops_the_rest(api: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    url, seen = api
    checks = parsed(check(name="no token", request="GET /me"), check(name="never sent", request="GET /again"))

    results = run_checks(checks, lambda service: url, never_signs, tmp_path)

    assert [(r.name, r.status) for r in results] == [("no token", 401)]
    assert results[0].failure.startswith("an unexpected status: expected 200, got 401") and len(seen) == 1
