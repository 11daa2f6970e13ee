"""PUT /locations/{user_id}: store a user's position; only that user's token may."""

from __future__ import annotations

from typing import Any

from location import store
from service_kit import Forbidden, Request, endpoint, user_of_token

POSITION_SCHEMA = {
    "type": "object",
    "properties": {
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
    },
    "required": ["latitude", "longitude"],
    "additionalProperties": False,
}


def put_location(request: Request) -> tuple[int, dict[str, Any]]:
    """Store the position. Raises Unauthorized, Forbidden (another user's token) or BadRequest."""
    user_id = request.path("user_id")
    if user_of_token(request.user_token(), request.correlation_id) != user_id:
        raise Forbidden("the token does not belong to this user")
    position = request.json(POSITION_SCHEMA)
    store.table().put_item(Item=store.to_item(user_id, float(position["latitude"]), float(position["longitude"])))
    return 200, {"user_id": user_id, "latitude": position["latitude"], "longitude": position["longitude"]}


handler = endpoint(put_location)
