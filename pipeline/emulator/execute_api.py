"""API Gateway's IAM authorisation of a route call, done inside the emulator for the local gateway.

The gateway (`deploy.py serve`) runs in the CLI process; the identities and their secrets live in
the emulator process. The gateway posts each signed request to AUTHORISE_PATH (an admin
endpoint, behind the admin secret) and gets API Gateway's answer: the SigV4 signature checked
with moto's own credential store (unknown key, wrong service or bad signature: 403 with API
Gateway's message), then the signer's `execute-api:Invoke` on the route's ARN evaluated against
its policies and permissions boundary (pipeline/policy/evaluation.py).

Not checked: the signature's age (AWS refuses one older than five minutes).
"""

from __future__ import annotations

import base64
import hmac
from typing import Any

from pipeline.emulator.principals import identity_policies, permissions_boundary
from pipeline.emulator.resources import EMULATOR
from pipeline.policy.evaluation import Request, evaluate

AUTHORISE_PATH = "/moto-api/authorise-execute-api"
MISSING_TOKEN = {"message": "Missing Authentication Token"}
INVALID_TOKEN = {"message": "The security token included in the request is invalid."}
BAD_SIGNATURE = {"message": "The request signature we calculated does not match the signature you provided. "
                            "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                            "for details."}


def _between(text: str, start: str, end: str) -> str:
    return text.partition(start)[2].partition(end)[0].strip()


def _refused(body: dict[str, str], reason: str) -> tuple[int, dict[str, Any]]:
    return 200, {"allowed": False, "status": 403, "body": body, "reason": reason}


def _signature(credentials: Any, method: str, url: str, headers: dict[str, str], body: bytes,
               signed: list[str], region: str) -> str:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method=method, url=url, data=body,
                         headers={k: v for k, v in headers.items() if k.lower() in signed})
    request.context["timestamp"] = headers.get("x-amz-date", "")
    auth = SigV4Auth(credentials, "execute-api", region)
    return str(auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request))


def authorise_invoke(call: Any) -> tuple[int, dict[str, Any]]:
    """Answer {method, url, headers, body (base64), resource}: allowed, or API Gateway's 403 and why."""
    from moto.iam.access_control import CreateAccessKeyFailure, create_access_key

    try:
        method, url, resource = str(call["method"]), str(call["url"]), str(call["resource"])
        headers = {str(k).lower(): str(v) for k, v in dict(call["headers"]).items()}
        body = base64.b64decode(call.get("body", ""))
    except (KeyError, TypeError, ValueError):
        return 400, {"message": "expected method, url, headers, body (base64) and resource"}
    authorization = headers.get("authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 ") or "x-amz-date" not in headers:
        return _refused(MISSING_TOKEN, "the request is not signed with SigV4")
    scope = _between(authorization, "Credential=", ",").split("/")
    if len(scope) != 5:
        return _refused(INVALID_TOKEN, "the Credential of the Authorization header is malformed")
    access_key_id, region, service = scope[0], scope[2], scope[3]
    account = resource.split(":")[4] if resource.count(":") >= 5 else ""
    token = {"X-Amz-Security-Token": headers["x-amz-security-token"]} if "x-amz-security-token" in headers else {}
    try:
        access_key = create_access_key(account_id=account, partition="aws", access_key_id=access_key_id, headers=token)
    except CreateAccessKeyFailure as failure:
        return _refused(INVALID_TOKEN, f"access key {access_key_id} is unknown to the emulator ({failure.reason})")
    if service != "execute-api":
        return _refused({"message": f"Credential should be scoped to correct service: 'execute-api'. "},
                        f"signed for {service}, not execute-api")
    signed = _between(authorization, "SignedHeaders=", ",").split(";")
    calculated = _signature(access_key.create_credentials(), method, url, headers, body, signed, region)
    if not hmac.compare_digest(calculated, _between(authorization, "Signature=", ",")):
        return _refused(BAD_SIGNATURE, "the signature does not match the request")
    verdict = evaluate(identity_policies(access_key), Request("execute-api:Invoke", resource),
                       boundary=permissions_boundary(access_key), judge=EMULATOR)
    if not verdict.allowed:
        message = f"User: {access_key.arn} is not authorized to perform: execute-api:Invoke on resource: {resource}"
        return _refused({"Message": message}, verdict.reason)
    return 200, {"allowed": True, "principal": access_key.arn}
