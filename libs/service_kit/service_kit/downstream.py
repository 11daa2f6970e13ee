"""Calls to other services that carry the current correlation ID along."""

from __future__ import annotations

import functools
import json
import os
import urllib.error
import urllib.request
from typing import Any

from service_kit.http import CORRELATION_HEADER

_TIMEOUT_S = 5
# Lambda puts the invocation's X-Ray trace header here; boto3 forwards it on AWS calls by itself.
_TRACE_ENV = "_X_AMZN_TRACE_ID"
_TRACE_HEADER = "X-Amzn-Trace-Id"


@functools.cache
def _lambda_client() -> Any:
    """One client per execution environment, as Lambda advises: creating one costs milliseconds."""
    import boto3

    return boto3.client("lambda")


@functools.cache
def _session() -> Any:
    """The signing session, made once; its credentials come from the environment (renewed there)."""
    import boto3

    return boto3.Session()


def invoke_function(function_name: str, body: dict[str, Any], correlation_id: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Invoke another service's function (its `live` alias) with an HTTP-API-shaped event.

    Returns the status and JSON body it answered. Raises RuntimeError when the function failed.
    """
    event = {"headers": {**(headers or {}), CORRELATION_HEADER: correlation_id}, "body": json.dumps(body)}
    answer = _lambda_client().invoke(FunctionName=function_name, Qualifier="live", Payload=json.dumps(event))
    payload = json.loads(answer["Payload"].read())
    if answer.get("FunctionError"):
        raise RuntimeError(f"{function_name} failed: {payload.get('errorType')}")
    return int(payload["statusCode"]), json.loads(payload.get("body") or "{}")


def signed_request(method: str, url: str, correlation_id: str, body: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """An HTTP request to an IAM-authorised API, signed with SigV4 by the function's own role.

    It carries the correlation ID and the invocation's trace header, as boto3 calls do.

    Returns the status and JSON body. Raises urllib.error.URLError when the API is unreachable,
    RuntimeError when there are no credentials to sign with.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    session = _session()
    data = json.dumps(body).encode() if body is not None else None
    trace = {_TRACE_HEADER: os.environ[_TRACE_ENV]} if os.environ.get(_TRACE_ENV) else {}
    request = AWSRequest(method=method, url=url, data=data, headers={
        **(headers or {}), **trace, CORRELATION_HEADER: correlation_id, "content-type": "application/json",
    })
    credentials = session.get_credentials()
    if credentials is None:  # in Lambda the function's role always provides them
        raise RuntimeError(f"no AWS credentials to sign the request to {url} with")
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", session.region_name).add_auth(request)
    prepared = urllib.request.Request(url, data=data, method=method, headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared, timeout=_TIMEOUT_S) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")
