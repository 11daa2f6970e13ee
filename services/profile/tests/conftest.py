from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import service_kit.tokens
from profiles import get_profile

TOKENS = {"token-ada": "ada", "token-bob": "bob"}
LOCATIONS = {"ada": {"user_id": "ada", "latitude": 51.5, "longitude": -0.12}}


@pytest.fixture
def profiles_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process profiles table, with authentication's and location's answers."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TABLE_PROFILES", "profiles")
    monkeypatch.setenv(service_kit.tokens.VERIFY_FUNCTION_ENV, "local-authentication-verify_token")
    monkeypatch.setenv(get_profile.LOCATION_API_ENV, "http://gateway.test/location")

    def invoke_verify(function: str, body: dict[str, Any], correlation_id: str) -> tuple[int, dict[str, Any]]:
        user = TOKENS.get(body["token"])
        return (200, {"user_id": user}) if user else (401, {"message": "invalid or expired token"})

    def location_api(method: str, url: str, correlation_id: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        assert url.startswith("http://gateway.test/location/locations/") and headers["x-user-token"] in TOKENS
        found = LOCATIONS.get(url.rsplit("/", 1)[1])
        return (200, found) if found else (404, {"message": "no location"})

    monkeypatch.setattr(service_kit.tokens, "invoke_function", invoke_verify)
    monkeypatch.setattr(get_profile, "signed_request", location_api)
    with mock_aws():
        yield boto3.resource("dynamodb").create_table(
            TableName="profiles",
            KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
