"""HTTP API (payload 2.0) request and response helpers."""

from __future__ import annotations

import json
from typing import Any


class BadRequest(Exception):
    """Input the caller must fix; its message is safe to return."""


def response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A Lambda proxy response with a JSON body."""
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def json_body(event: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON object body. Raises BadRequest when it is missing or not an object."""
    try:
        body = json.loads(event.get("body") or "")
    except ValueError:
        raise BadRequest("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def path_parameter(event: dict[str, Any], name: str) -> str:
    """A path parameter's value. Raises BadRequest when it is absent or empty."""
    value = (event.get("pathParameters") or {}).get(name)
    if not value:
        raise BadRequest(f"missing path parameter {name}")
    return str(value)
