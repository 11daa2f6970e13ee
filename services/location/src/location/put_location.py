"""PUT /locations/{user_id}: store a user's position."""

from __future__ import annotations

from typing import Any

from location import store
from location.http import BadRequest, json_body, path_parameter, response


def parse_position(body: dict[str, Any]) -> tuple[float, float]:
    """Latitude and longitude from a request body. Raises BadRequest when either is invalid."""
    position = []
    for field, limit in (("latitude", 90), ("longitude", 180)):
        value = body.get(field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadRequest(f"{field} must be a number")
        if not -limit <= value <= limit:
            raise BadRequest(f"{field} must be between -{limit} and {limit}")
        position.append(float(value))
    return position[0], position[1]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        user_id = path_parameter(event, "user_id")
        latitude, longitude = parse_position(json_body(event))
    except BadRequest as err:
        return response(400, {"message": str(err)})
    store.table().put_item(Item=store.to_item(user_id, latitude, longitude))
    return response(200, {"user_id": user_id, "latitude": latitude, "longitude": longitude})
