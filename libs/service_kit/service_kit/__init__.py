"""Shared runtime of the services: HTTP handlers with correlation IDs, logs, tracing, validation."""

from service_kit.downstream import invoke_function, signed_request
from service_kit.http import (
    CORRELATION_HEADER,
    USER_TOKEN_HEADER,
    BadRequest,
    ClientError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Request,
    Unauthorized,
    endpoint,
    logger,
    tracer,
)
from service_kit.tokens import user_of_token

__all__ = [
    "CORRELATION_HEADER", "USER_TOKEN_HEADER", "BadRequest", "ClientError", "Conflict", "Forbidden", "NotFound",
    "PayloadTooLarge", "Request", "Unauthorized", "endpoint", "invoke_function", "logger", "signed_request",
    "tracer", "user_of_token",
]
