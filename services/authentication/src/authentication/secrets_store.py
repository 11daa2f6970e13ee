"""Passwords and tokens at rest: only slow salted hashes of passwords, only digests of tokens."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import time
from typing import Any

import boto3

# scrypt cost: about 16 MB and tens of milliseconds per check, which makes guessing expensive.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
TOKEN_SECONDS = 3600


@functools.cache
def _dynamodb() -> Any:
    """One DynamoDB resource per execution environment (made once, reused while warm, as Lambda advises)."""
    return boto3.resource("dynamodb")


def users() -> Any:
    return _dynamodb().Table(os.environ["TABLE_USERS"])


def tokens() -> Any:
    return _dynamodb().Table(os.environ["TABLE_TOKENS"])


def hash_password(password: str, salt: bytes) -> str:
    """The scrypt hash of a password with its salt, hex-encoded."""
    return hashlib.scrypt(password.encode(), salt=salt, **SCRYPT).hex()


def user_item(user_id: str, password: str) -> dict[str, Any]:
    """A users-table item holding a fresh salt and the password's hash, never the password."""
    salt = secrets.token_bytes(16)
    return {"user_id": user_id, "salt": salt.hex(), "password_hash": hash_password(password, salt)}


def password_matches(item: dict[str, Any] | None, password: str) -> bool:
    """Whether `password` is the one stored in `item` (compared in constant time)."""
    if item is None:
        hash_password(password, b"\0" * 16)  # as slow as a real check, so timing does not reveal users
        return False
    expected = hash_password(password, bytes.fromhex(item["salt"]))
    return hmac.compare_digest(expected, item["password_hash"])


def token_digest(token: str) -> str:
    """The key a token is stored under: its SHA-256 (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user_id: str, now: float | None = None) -> tuple[str, dict[str, Any]]:
    """A random opaque token and the tokens-table item that records its digest and expiry."""
    token = secrets.token_urlsafe(32)
    expires_at = int((now if now is not None else time.time()) + TOKEN_SECONDS)
    return token, {"token_hash": token_digest(token), "user_id": user_id, "expires_at": expires_at}


def token_user(item: dict[str, Any] | None, now: float | None = None) -> str | None:
    """The user of a stored token, or None when it is unknown or expired."""
    if item is None or int(item["expires_at"]) <= (now if now is not None else time.time()):
        return None
    return str(item["user_id"])
