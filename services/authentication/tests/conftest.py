from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """In-process users and tokens tables shaped like the deployed ones."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TABLE_USERS", "users")
    monkeypatch.setenv("TABLE_TOKENS", "tokens")
    with mock_aws():
        dynamodb = boto3.resource("dynamodb")
        yield {
            name: dynamodb.create_table(
                TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            )
            for name, key in (("users", "user_id"), ("tokens", "token_hash"))
        }
