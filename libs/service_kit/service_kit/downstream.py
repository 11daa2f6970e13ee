"""Calls to other services that carry the current correlation ID along."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from service_kit.http import CORRELATION_HEADER

_TIMEOUT_S = 5


def invoke_function(function_name: str, body: dict[str, Any], correlation_id: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Invoke another service's function (its `live` alias) with an HTTP-API-shaped event.

    Returns the status and JSON body it answered. Raises RuntimeError when the function failed.
    """
    import boto3

    event = {"headers": {**(headers or {}), CORRELATION_HEADER: correlation_id}, "body": json.dumps(body)}
    answer = boto3.client("lambda").invoke(FunctionName=function_name, Qualifier="live", Payload=json.dumps(event))
    payload = json.loads(answer["Payload"].read())
    if answer.get("FunctionError"):
        raise RuntimeError(f"{function_name} failed: {payload.get('errorType')}")
    return int(payload["statusCode"]), json.loads(payload.get("body") or "{}")


def signed_request(method: str, url: str, correlation_id: str, body: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """An HTTP request to an IAM-authorised API, signed with SigV4 by the function's own role.

    Returns the status and JSON body. Raises urllib.error.URLError when the API is unreachable,
    RuntimeError when there are no credentials to sign with.
    """
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    session = boto3.Session()
    data = json.dumps(body).encode() if body is not None else None
    request = AWSRequest(method=method, url=url, data=data, headers={
        **(headers or {}), CORRELATION_HEADER: correlation_id, "content-type": "application/json",
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
