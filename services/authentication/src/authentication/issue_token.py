"""POST /tokens: exchange a user's credentials for a short-lived opaque token."""

from __future__ import annotations

from typing import Any

from authentication import secrets_store
from service_kit import Request, Unauthorized, endpoint

CREDENTIALS_SCHEMA = {
    "type": "object",
    "properties": {
        "user_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "password": {"type": "string", "minLength": 1, "maxLength": 128},
    },
    "required": ["user_id", "password"],
    "additionalProperties": False,
}


def issue_token(request: Request) -> tuple[int, dict[str, Any]]:
    """A new token for valid credentials. Raises BadRequest, or Unauthorized for wrong ones."""
    body = request.json(CREDENTIALS_SCHEMA)
    user = secrets_store.users().get_item(Key={"user_id": body["user_id"]}).get("Item")
    if not secrets_store.password_matches(user, body["password"]):
        raise Unauthorized("invalid credentials")
    token, item = secrets_store.new_token(body["user_id"])
    secrets_store.tokens().put_item(Item=item)
    return 201, {"token": token, "expires_in": secrets_store.TOKEN_SECONDS}


handler = endpoint(issue_token)
