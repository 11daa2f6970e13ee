"""The profiles table: one item per user."""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3


@functools.cache
def _dynamodb() -> Any:
    """One DynamoDB resource per execution environment (made once, reused while warm, as Lambda advises)."""
    return boto3.resource("dynamodb")


def table() -> Any:
    """The service's table, named by the TABLE_PROFILES environment variable."""
    return _dynamodb().Table(os.environ["TABLE_PROFILES"])
