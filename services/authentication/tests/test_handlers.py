from __future__ import annotations

import json
from typing import Any

import pytest

from authentication import create_user, issue_token, verify_token


def call(handler: Any, body: Any) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    result = handler({"headers": {}, "body": raw}, None)
    return result["statusCode"], json.loads(result["body"])


def test_a_registered_user_gets_a_token_that_verifies(tables: dict[str, Any]) -> None:
    assert call(create_user.handler, {"user_id": "ada", "password": "correct horse"}) == (201, {"user_id": "ada"})

    status, issued = call(issue_token.handler, {"user_id": "ada", "password": "correct horse"})

    assert status == 201
    assert call(verify_token.handler, {"token": issued["token"]}) == (200, {"user_id": "ada"})


def test_a_user_cannot_be_registered_twice(tables: dict[str, Any]) -> None:
    call(create_user.handler, {"user_id": "ada", "password": "correct horse"})

    assert call(create_user.handler, {"user_id": "ada", "password": "other password"})[0] == 409


@pytest.mark.parametrize("body", [
    {"user_id": "ada"},
    {"user_id": "ada", "password": 12345678},
    {"user_id": "Ada Lovelace", "password": "correct horse"},
    {"user_id": "ada", "password": "short"},
    {"user_id": "ada", "password": "x" * 20000},
    "not json",
])
def test_bad_registrations_are_refused_and_nothing_is_written(tables: dict[str, Any], body: Any) -> None:
    status, answer = call(create_user.handler, body)

    assert 400 <= status < 500 and set(answer) == {"message"}
    assert tables["users"].scan()["Count"] == 0


def test_wrong_credentials_get_no_token(tables: dict[str, Any]) -> None:
    call(create_user.handler, {"user_id": "ada", "password": "correct horse"})

    assert call(issue_token.handler, {"user_id": "ada", "password": "wrong horse"}) == (401, {"message": "invalid credentials"})
    assert call(issue_token.handler, {"user_id": "nobody", "password": "correct horse"})[0] == 401
    assert call(issue_token.handler, {"user_id": "ada"})[0] == 400
    assert tables["tokens"].scan()["Count"] == 0


def test_unknown_tokens_do_not_verify(tables: dict[str, Any]) -> None:
    assert call(verify_token.handler, {"token": "forged"}) == (401, {"message": "invalid or expired token"})
    assert call(verify_token.handler, {})[0] == 400
