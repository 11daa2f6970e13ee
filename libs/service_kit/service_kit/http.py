"""HTTP API (payload 2.0) handlers: correlation ID, structured logs, tracing, validated input.

`endpoint` wraps a function of a `Request` that returns (status, JSON body). Input errors become
4xx with a short message, whatever the body holds (too big, not base64 or UTF-8, not JSON, nested
too deeply); anything unexpected is logged with its traceback and answered with a bare 500, so
callers never see internals. The request event is never logged (it may carry
credentials or tokens).
"""

from __future__ import annotations

import base64
import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.validation import validate
from aws_lambda_powertools.utilities.validation.exceptions import SchemaValidationError

CORRELATION_HEADER = "x-correlation-id"
# The end user's token on calls between services, whose Authorization header carries SigV4.
USER_TOKEN_HEADER = "x-user-token"
MAX_BODY_BYTES = 16 * 1024  # requests here are small JSON documents; larger ones are refused
MAX_JSON_DEPTH = 32  # deeper documents are refused before anything recurses over them

logger = Logger()  # service name from POWERTOOLS_SERVICE_NAME
tracer = Tracer()


class ClientError(Exception):
    """Input the caller must fix; its message is short and safe to return."""

    status = 400


class BadRequest(ClientError):
    status = 400


class Unauthorized(ClientError):
    status = 401


class Forbidden(ClientError):
    status = 403


class NotFound(ClientError):
    status = 404


class Conflict(ClientError):
    status = 409


class PayloadTooLarge(ClientError):
    status = 413


@dataclass(frozen=True)
class Request:
    """The parts of an API Gateway payload 2.0 event a handler needs."""

    path_parameters: dict[str, str]
    headers: dict[str, str]  # names lower-cased, as API Gateway delivers them
    body: str
    correlation_id: str

    def path(self, name: str) -> str:
        """A path parameter. Raises BadRequest when it is missing or empty."""
        value = self.path_parameters.get(name, "")
        if not value:
            raise BadRequest(f"missing path parameter {name}")
        return value

    def json(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The JSON body checked against a JSON schema. Raises BadRequest with a short reason."""
        try:
            body = json.loads(self.body)
        except ValueError:
            raise BadRequest("body must be a JSON object") from None
        except RecursionError:
            raise BadRequest(f"body nests deeper than {MAX_JSON_DEPTH} levels") from None
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        if json_depth(body) > MAX_JSON_DEPTH:
            raise BadRequest(f"body nests deeper than {MAX_JSON_DEPTH} levels")
        try:
            validate(event=body, schema=schema)
        except SchemaValidationError as err:
            # validation_message names the field and rule but not the value (it may be a secret).
            raise BadRequest(str(err.validation_message).replace("data", "body", 1)) from None
        return dict(body)

    def user_token(self) -> str:
        """The end user's token: `x-user-token`, else `Authorization: Bearer`. Raises Unauthorized."""
        if self.headers.get(USER_TOKEN_HEADER, "").strip():
            return self.headers[USER_TOKEN_HEADER].strip()
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token")
        return token.strip()


def json_depth(document: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON document (a scalar is 0), without recursion."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def correlation_id_of(headers: dict[str, str]) -> str:
    """The caller's correlation ID, or a new one when it sent none (or an implausible one)."""
    given = headers.get(CORRELATION_HEADER, "")
    if 0 < len(given) <= 128 and given.replace("-", "").isalnum():
        return given
    return str(uuid.uuid4())


def body_of(event: dict[str, Any]) -> str:
    """The event's body as text. Raises PayloadTooLarge past MAX_BODY_BYTES, BadRequest if not base64 or UTF-8."""
    raw = event.get("body") or ""
    if not isinstance(raw, str):
        raise BadRequest("body must be text")
    if len(raw) > MAX_BODY_BYTES * 4 // 3 + 4:  # too big even as base64: refused before decoding it
        raise PayloadTooLarge(f"body exceeds {MAX_BODY_BYTES} bytes")
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
    except UnicodeEncodeError:  # text with lone surrogates: no UTF-8 encodes it
        raise BadRequest("body must be UTF-8 text") from None
    except ValueError:  # binascii.Error, or non-ASCII text claimed to be base64
        raise BadRequest("body is not valid base64") from None
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body exceeds {MAX_BODY_BYTES} bytes")
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise BadRequest("body must be UTF-8 text") from None


def request_of(event: dict[str, Any]) -> Request:
    """A Request from a payload 2.0 event. Raises ClientError (4xx) for a body body_of refuses."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    correlation_id = correlation_id_of(headers)
    return Request(
        path_parameters={str(k): str(v) for k, v in (event.get("pathParameters") or {}).items()},
        headers=headers, body=body_of(event), correlation_id=correlation_id,
    )


def response(status: int, body: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    """A Lambda proxy response with a JSON body and the correlation ID echoed back."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", CORRELATION_HEADER: correlation_id},
        "body": json.dumps(body),
    }


def endpoint(handle: Callable[[Request], tuple[int, dict[str, Any]]]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda handler around `handle` with logging, tracing and error mapping."""

    @functools.wraps(handle)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        logger.clear_state()
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        correlation_id = correlation_id_of(headers)
        logger.set_correlation_id(correlation_id)
        route = (event.get("requestContext") or {}).get("http") or {}
        logger.append_keys(route=event.get("routeKey") or f"{route.get('method', '')} {route.get('path', '')}".strip(),
                           request_id=getattr(context, "aws_request_id", None))
        tracer.put_annotation(key="correlation_id", value=correlation_id)
        try:
            request = request_of({**event, "headers": {**headers, CORRELATION_HEADER: correlation_id}})
            status, body = handle(request)
        except ClientError as err:
            logger.info("request refused", extra={"status": err.status, "reason": str(err)})
            return response(err.status, {"message": str(err)}, correlation_id)
        except Exception:
            logger.exception("request failed")
            return response(500, {"message": "internal error", "correlation_id": correlation_id}, correlation_id)
        logger.info("request handled", extra={"status": status})
        return response(status, body, correlation_id)

    return tracer.capture_lambda_handler(handler)
