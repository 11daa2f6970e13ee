from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import service_kit.tokens

TOKENS = {"token-ada": "ada", "token-bob": "bob"}


@pytest.fixture
def locations_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process DynamoDB table shaped like the deployed one, and authentication's answers."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TABLE_LOCATIONS", "locations")
    monkeypatch.setenv(service_kit.tokens.VERIFY_FUNCTION_ENV, "local-authentication-verify_token")

    def invoke_verify(function: str, body: dict[str, Any], correlation_id: str) -> tuple[int, dict[str, Any]]:
        user = TOKENS.get(body["token"])
        return (200, {"user_id": user}) if user else (401, {"message": "invalid or expired token"})

    monkeypatch.setattr(service_kit.tokens, "invoke_function", invoke_verify)
    with mock_aws():
        table = boto3.resource("dynamodb").create_table(
            TableName="locations",
            KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield table
