"""GET /locations/{user_id}: a user's last stored position."""

from __future__ import annotations

from typing import Any

from location import store
from location.http import BadRequest, path_parameter, response


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        user_id = path_parameter(event, "user_id")
    except BadRequest as err:
        return response(400, {"message": str(err)})
    item = store.table().get_item(Key={"user_id": user_id}).get("Item")
    if item is None:
        return response(404, {"message": f"no location for user {user_id}"})
    return response(200, store.from_item(item))
