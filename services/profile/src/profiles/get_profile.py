"""GET /profiles/{user_id}: a profile with the user's location, fetched over location's API."""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

from profiles import store
from service_kit import USER_TOKEN_HEADER, NotFound, Request, endpoint, logger, signed_request, user_of_token

LOCATION_API_ENV = "API_LOCATION_URL"  # set from the manifest's calls_apis: [location]


class LocationUnavailable(Exception):
    """Location answered with an error; the profile is not served half-complete."""


def location_of(user_id: str, token: str, correlation_id: str) -> dict[str, Any] | None:
    """The user's location from location's IAM-authorised API, None when it has none."""
    url = f"{os.environ[LOCATION_API_ENV]}/locations/{urllib.parse.quote(user_id, safe='')}"
    status, body = signed_request("GET", url, correlation_id, headers={USER_TOKEN_HEADER: token})
    if status == 404:
        return None
    if status != 200:
        logger.error("location refused", extra={"status": status})
        raise LocationUnavailable(f"location answered {status}")
    return {"latitude": body["latitude"], "longitude": body["longitude"]}


def get_profile(request: Request) -> tuple[int, dict[str, Any]]:
    """The profile and location. Raises Unauthorized, NotFound, or LocationUnavailable."""
    user_id = request.path("user_id")
    token = request.user_token()
    user_of_token(token, request.correlation_id)
    item = store.table().get_item(Key={"user_id": user_id}).get("Item")
    if item is None:
        raise NotFound(f"no profile for user {user_id}")
    return 200, {**item, "location": location_of(user_id, token, request.correlation_id)}


handler = endpoint(get_profile)
