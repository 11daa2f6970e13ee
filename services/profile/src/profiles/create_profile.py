"""POST /profiles: create the caller's profile (the user is the bearer token's)."""

from __future__ import annotations

from typing import Any

from profiles import store
from service_kit import Conflict, Request, endpoint, user_of_token

PROFILE_SCHEMA = {
    "type": "object",
    "properties": {
        "display_name": {"type": "string", "minLength": 1, "maxLength": 64},
        "bio": {"type": "string", "maxLength": 280},
    },
    "required": ["display_name"],
    "additionalProperties": False,
}


def create_profile(request: Request) -> tuple[int, dict[str, Any]]:
    """Store the profile. Raises Unauthorized, BadRequest, or Conflict when it exists."""
    user_id = user_of_token(request.user_token(), request.correlation_id)
    profile = {"user_id": user_id, "bio": "", **request.json(PROFILE_SCHEMA)}
    from botocore.exceptions import ClientError

    try:
        store.table().put_item(Item=profile, ConditionExpression="attribute_not_exists(user_id)")
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        raise Conflict(f"user {user_id} already has a profile") from None
    return 201, profile


handler = endpoint(create_profile)
