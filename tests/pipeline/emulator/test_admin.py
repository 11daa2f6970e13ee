"""The emulator's admin surface: only the orchestrator's secret opens it, and no web page may call it."""

from __future__ import annotations

import stat
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from pipeline import emulator
from pipeline.aws import Identity, Target
from pipeline.emulator.admin import ADMIN_SECRET_HEADER

pytestmark = pytest.mark.emulator

HOSTILE_ORIGIN = "http://attacker.example"
# What a hostile caller would send: switch IAM enforcement off, wipe everything.
ADMIN_ATTACKS = [("/moto-api/reset-auth", b"1000000"), ("/moto-api/reset-auth", b""), ("/moto-api/reset", b""),
                 ("/moto-api/reset", b"{}"), ("/moto-api/seed?a=1", b""), ("/moto-api/config", b"{}")]


def status_and_headers(url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                       method: str | None = None) -> tuple[int, dict[str, str]]:
    # text/plain: what a web page may send cross-origin without a preflight.
    headers = {"Content-Type": "text/plain", **(headers or {})}
    request = urllib.request.Request(url, data=body, headers=headers, method=method or ("POST" if body is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


@pytest.mark.parametrize(("path", "body"), ADMIN_ATTACKS)
def test_admin_endpoints_refuse_a_caller_without_the_secret(local_target: Target, path: str, body: bytes) -> None:
    assert local_target.endpoint
    for headers in ({}, {"Origin": HOSTILE_ORIGIN}, {ADMIN_SECRET_HEADER: "guessed"}):
        assert status_and_headers(local_target.endpoint + path, body, headers)[0] == 403

    # Still enforcing: an unknown key is refused, as before the attempts.
    with pytest.raises(ClientError, match="InvalidAccessKeyId"):
        boto3.client("s3", endpoint_url=local_target.endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test").list_buckets()


def test_the_orchestrator_reaches_the_admin_api_and_liveness_stays_open(local_target: Target) -> None:
    assert local_target.endpoint
    assert status_and_headers(f"{local_target.endpoint}/moto-api/")[0] == 200
    with_secret = {ADMIN_SECRET_HEADER: emulator.admin_secret()}
    assert status_and_headers(f"{local_target.endpoint}/moto-api/config", None, with_secret)[0] == 201
    local_target.client("s3", Identity.OPS).list_buckets()  # and the orchestrator's identities work


def test_the_admin_secret_is_readable_by_its_owner_only(local_target: Target) -> None:
    assert stat.S_IMODE(emulator._admin_secret_file().stat().st_mode) == 0o600
    assert len(emulator.admin_secret()) >= 40


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_no_answer_grants_a_cross_origin_request(local_target: Target, method: str) -> None:
    assert local_target.endpoint
    for path in ("/moto-api/", "/2015-03-31/functions/"):
        _, headers = status_and_headers(local_target.endpoint + path, None, {
            "Origin": HOSTILE_ORIGIN, "Access-Control-Request-Method": "POST"}, method)
        assert not [name for name in headers if name.lower().startswith("access-control-")]


def test_plain_moto_opens_its_admin_api_and_cors_to_anyone(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto guards its admin API itself: the guard in pipeline/emulator/admin.py may go."""
    endpoint, _ = unpatched_moto
    # "0" keeps IAM enforcement on for the other canaries (every request checked from now on).
    status, headers = status_and_headers(f"{endpoint}/moto-api/reset-auth", b"0", {"Origin": HOSTILE_ORIGIN})
    assert status == 200
    assert headers.get("Access-Control-Allow-Origin") in (HOSTILE_ORIGIN, "*")
