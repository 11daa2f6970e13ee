"""The locations table: one item per user, holding their last reported position."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import boto3


def table() -> Any:
    """The service's table, named by the TABLE_LOCATIONS environment variable."""
    return boto3.resource("dynamodb").Table(os.environ["TABLE_LOCATIONS"])


def to_item(user_id: str, latitude: float, longitude: float) -> dict[str, Any]:
    """A table item for a position; DynamoDB stores numbers as Decimal."""
    return {"user_id": user_id, "latitude": Decimal(str(latitude)), "longitude": Decimal(str(longitude))}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready location of a table item."""
    return {"user_id": item["user_id"], "latitude": float(item["latitude"]), "longitude": float(item["longitude"])}
