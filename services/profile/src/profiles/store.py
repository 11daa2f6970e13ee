"""The profiles table: one item per user."""

from __future__ import annotations

import os
from typing import Any

import boto3


def table() -> Any:
    """The service's table, named by the TABLE_PROFILES environment variable."""
    return boto3.resource("dynamodb").Table(os.environ["TABLE_PROFILES"])
