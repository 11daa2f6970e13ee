"""GET /locations/{user_id}: a user's last stored position, for callers holding a valid token."""

from __future__ import annotations

from typing import Any

from location import store
from service_kit import NotFound, Request, endpoint, user_of_token


def get_location(request: Request) -> tuple[int, dict[str, Any]]:
    """The stored position. Raises Unauthorized for a bad token, NotFound when there is none."""
    user_id = request.path("user_id")
    user_of_token(request.user_token(), request.correlation_id)
    item = store.table().get_item(Key={"user_id": user_id}).get("Item")
    if item is None:
        raise NotFound(f"no location for user {user_id}")
    return 200, store.from_item(item)


handler = endpoint(get_location)
