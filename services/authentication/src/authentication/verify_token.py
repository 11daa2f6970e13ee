"""Verify a token for another service (invoked directly, not routed): whose is it, if valid."""

from __future__ import annotations

from typing import Any

from authentication import secrets_store
from service_kit import Request, Unauthorized, endpoint

TOKEN_SCHEMA = {
    "type": "object",
    "properties": {"token": {"type": "string", "minLength": 1, "maxLength": 256}},
    "required": ["token"],
    "additionalProperties": False,
}


def verify_token(request: Request) -> tuple[int, dict[str, Any]]:
    """The token's user. Raises BadRequest, or Unauthorized for an unknown or expired token."""
    token = request.json(TOKEN_SCHEMA)["token"]
    item = secrets_store.tokens().get_item(Key={"token_hash": secrets_store.token_digest(token)}).get("Item")
    user_id = secrets_store.token_user(item)
    if user_id is None:
        raise Unauthorized("invalid or expired token")
    return 200, {"user_id": user_id}


handler = endpoint(verify_token)
