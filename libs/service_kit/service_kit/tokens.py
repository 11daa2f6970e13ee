"""The authentication service's contract, for services that check an end user's token."""

from __future__ import annotations

import os

from service_kit.downstream import invoke_function
from service_kit.http import Unauthorized

VERIFY_FUNCTION_ENV = "FUNCTION_AUTHENTICATION_VERIFY_TOKEN"  # set when the manifest `invokes` it


def user_of_token(token: str, correlation_id: str) -> str:
    """The user a token was issued to, as authentication's verify function says. Raises Unauthorized."""
    status, body = invoke_function(os.environ[VERIFY_FUNCTION_ENV], {"token": token}, correlation_id)
    if status != 200:
        raise Unauthorized("invalid or expired token")
    return str(body["user_id"])
