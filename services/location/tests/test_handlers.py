from __future__ import annotations

import json
from typing import Any

import pytest

from location import get_location, put_location


def put_event(user_id: str, body: Any, token: str = "token-ada") -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    return {"pathParameters": {"user_id": user_id}, "headers": {"x-user-token": token}, "body": raw}


def get_event(user_id: str, token: str = "token-bob") -> dict[str, Any]:
    return {"pathParameters": {"user_id": user_id}, "headers": {"x-user-token": token}}


def test_put_then_get_returns_the_position(locations_table: Any) -> None:
    stored = put_location.handler(put_event("ada", {"latitude": 51.5, "longitude": -0.12}), None)
    assert stored["statusCode"] == 200

    fetched = get_location.handler(get_event("ada"), None)

    assert fetched["statusCode"] == 200
    assert json.loads(fetched["body"]) == {"user_id": "ada", "latitude": 51.5, "longitude": -0.12}


def test_get_unknown_user_is_404(locations_table: Any) -> None:
    assert get_location.handler(get_event("nobody"), None)["statusCode"] == 404


@pytest.mark.parametrize(("event", "status"), [
    (put_event("ada", {"latitude": "north", "longitude": 0}), 400),
    (put_event("ada", {"latitude": 91, "longitude": 0}), 400),
    (put_event("ada", {"latitude": 1}), 400),
    (put_event("ada", [1, 2]), 400),
    (put_event("ada", "{"), 400),
    (put_event("ada", {"latitude": 1, "longitude": 2, "note": "x" * 20000}), 413),
    (put_event("ada", {"latitude": 1, "longitude": 2}, token="forged"), 401),
    (put_event("ada", {"latitude": 1, "longitude": 2}, token="token-bob"), 403),
])
def test_bad_puts_are_refused_and_nothing_is_written(locations_table: Any, event: dict[str, Any], status: int) -> None:
    result = put_location.handler(event, None)

    assert result["statusCode"] == status
    assert set(json.loads(result["body"])) == {"message"}
    assert locations_table.scan()["Count"] == 0


def test_a_bad_token_cannot_read(locations_table: Any) -> None:
    assert get_location.handler(get_event("ada", token="forged"), None)["statusCode"] == 401
