from __future__ import annotations

import json
from typing import Any

from location import get_location, put_location


def put_event(user_id: str, body: Any) -> dict[str, Any]:
    return {"pathParameters": {"user_id": user_id}, "body": json.dumps(body)}


def test_put_then_get_returns_the_position(locations_table: Any) -> None:
    stored = put_location.handler(put_event("ada", {"latitude": 51.5, "longitude": -0.12}), None)
    assert stored["statusCode"] == 200

    fetched = get_location.handler({"pathParameters": {"user_id": "ada"}}, None)

    assert fetched["statusCode"] == 200
    assert json.loads(fetched["body"]) == {"user_id": "ada", "latitude": 51.5, "longitude": -0.12}


def test_get_unknown_user_is_404(locations_table: Any) -> None:
    assert get_location.handler({"pathParameters": {"user_id": "nobody"}}, None)["statusCode"] == 404


def test_bad_positions_are_rejected_and_nothing_is_written(locations_table: Any) -> None:
    for body in ({"latitude": "north", "longitude": 0}, {"latitude": 91, "longitude": 0}, {"latitude": 1}, [1, 2]):
        result = put_location.handler(put_event("ada", body), None)
        assert result["statusCode"] == 400, body
    assert locations_table.scan()["Count"] == 0


def test_body_that_is_not_json_is_rejected(locations_table: Any) -> None:
    result = put_location.handler({"pathParameters": {"user_id": "ada"}, "body": "{"}, None)
    assert result["statusCode"] == 400
    assert json.loads(result["body"]) == {"message": "body must be a JSON object"}
