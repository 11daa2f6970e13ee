"""The locations table: one item per user, holding their last reported position."""

from __future__ import annotations

import functools
import os
from decimal import Decimal
from typing import Any

import boto3


@functools.cache
def _dynamodb() -> Any:
    """One DynamoDB resource per execution environment (made once, reused while warm, as Lambda advises)."""
    return boto3.resource("dynamodb")


def table() -> Any:
    """The service's table, named by the TABLE_LOCATIONS environment variable."""
    return _dynamodb().Table(os.environ["TABLE_LOCATIONS"])


def to_item(user_id: str, latitude: float, longitude: float) -> dict[str, Any]:
    """A table item for a position; DynamoDB stores numbers as Decimal."""
    return {"user_id": user_id, "latitude": Decimal(str(latitude)), "longitude": Decimal(str(longitude))}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready location of a table item."""
    return {"user_id": item["user_id"], "latitude": float(item["latitude"]), "longitude": float(item["longitude"])}
