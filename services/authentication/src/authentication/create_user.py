"""POST /users: register a user with a password (stored only as a salted scrypt hash)."""

from __future__ import annotations

from typing import Any

from authentication import secrets_store
from service_kit import Conflict, Request, endpoint

USER_SCHEMA = {
    "type": "object",
    "properties": {
        "user_id": {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"},
        "password": {"type": "string", "minLength": 8, "maxLength": 128},
    },
    "required": ["user_id", "password"],
    "additionalProperties": False,
}


def create_user(request: Request) -> tuple[int, dict[str, Any]]:
    """Store the new user. Raises BadRequest for bad input, Conflict when the user exists."""
    body = request.json(USER_SCHEMA)
    from botocore.exceptions import ClientError

    try:
        secrets_store.users().put_item(
            Item=secrets_store.user_item(body["user_id"], body["password"]),
            ConditionExpression="attribute_not_exists(user_id)",
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        raise Conflict(f"user {body['user_id']} already exists") from None
    return 201, {"user_id": body["user_id"]}


handler = endpoint(create_user)
