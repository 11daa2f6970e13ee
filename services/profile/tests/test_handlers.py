from __future__ import annotations

import json
from typing import Any

import pytest

from profiles import create_profile, get_profile


def create(body: Any, token: str = "token-ada") -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    result = create_profile.handler({"headers": {"authorization": f"Bearer {token}"}, "body": raw}, None)
    return result["statusCode"], json.loads(result["body"])


def get(user_id: str, token: str = "token-bob") -> tuple[int, dict[str, Any]]:
    event = {"pathParameters": {"user_id": user_id}, "headers": {"authorization": f"Bearer {token}"}}
    result = get_profile.handler(event, None)
    return result["statusCode"], json.loads(result["body"])


def test_a_created_profile_is_returned_with_its_location(profiles_table: Any) -> None:
    assert create({"display_name": "Ada"})[0] == 201

    assert get("ada") == (200, {"user_id": "ada", "display_name": "Ada", "bio": "",
                                "location": {"latitude": 51.5, "longitude": -0.12}})


def test_a_user_without_location_gets_none(profiles_table: Any) -> None:
    create({"display_name": "Bob", "bio": "hi"}, token="token-bob")

    assert get("bob")[1]["location"] is None


def test_a_profile_is_created_once(profiles_table: Any) -> None:
    create({"display_name": "Ada"})

    assert create({"display_name": "Ada again"})[0] == 409


@pytest.mark.parametrize(("body", "token", "status"), [
    ({}, "token-ada", 400),
    ({"display_name": 7}, "token-ada", 400),
    ({"display_name": "Ada", "admin": True}, "token-ada", 400),
    ({"display_name": "x" * 20000}, "token-ada", 413),
    ({"display_name": "Ada"}, "forged", 401),
])
def test_bad_creates_are_refused_and_nothing_is_written(profiles_table: Any, body: Any, token: str, status: int) -> None:
    assert create(body, token)[0] == status
    assert profiles_table.scan()["Count"] == 0


def test_get_needs_a_valid_token_and_an_existing_profile(profiles_table: Any) -> None:
    assert get("ada", token="forged")[0] == 401
    assert get("nobody")[0] == 404
