"""Shared runtime of the services: HTTP handlers with correlation IDs, logs, tracing, validation."""

from service_kit.downstream import invoke_function, signed_request
from service_kit.http import (
    CORRELATION_HEADER,
    BadRequest,
    ClientError,
    NotFound,
    PayloadTooLarge,
    Request,
    Unauthorized,
    endpoint,
    logger,
    tracer,
)

__all__ = [
    "CORRELATION_HEADER", "BadRequest", "ClientError", "NotFound", "PayloadTooLarge", "Request",
    "Unauthorized", "endpoint", "invoke_function", "logger", "signed_request", "tracer",
]
