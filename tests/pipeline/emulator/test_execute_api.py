"""API Gateway's IAM authorisation, answered by the emulator for the local gateway (behind the admin secret)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from pipeline import emulator
from pipeline.aws import Identity, Target
from pipeline.emulator.execute_api import AUTHORISE_PATH, BAD_SIGNATURE, INVALID_TOKEN, MISSING_TOKEN
from pipeline.errors import EmulatorError

pytestmark = pytest.mark.emulator

URL = "http://127.0.0.1:9999/location/locations/ada?x=1"
ROUTE = "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/locations/ada"


def signed(credentials: emulator.Credentials, body: bytes = b"", service: str = "execute-api") -> dict[str, Any]:
    """The call the gateway makes for a GET of URL signed with `credentials`."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=URL, data=body, headers={"x-user-token": "t"})
    SigV4Auth(Credentials(credentials.access_key_id, credentials.secret_access_key, credentials.session_token),
              service, "us-east-1").add_auth(request)
    headers = {"host": "127.0.0.1:9999", **dict(request.headers.items())}
    return {"method": "GET", "url": URL, "headers": headers, "body": base64.b64encode(body).decode(), "resource": ROUTE}


def authorise(local_target: Target, call: dict[str, Any]) -> dict[str, Any]:
    assert local_target.endpoint
    return dict(emulator.admin_call(local_target.endpoint, AUTHORISE_PATH, call))


def user(local_target: Target, name: str, resource: str) -> emulator.Credentials:
    iam = local_target.client("iam", Identity.OPS)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="calls", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return emulator.Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def test_a_signer_granted_the_route_is_allowed(local_target: Target) -> None:
    caller = user(local_target, "route-caller", "arn:aws:execute-api:us-east-1:123456789012:*/*/GET/locations/*")
    answer = authorise(local_target, signed(caller))
    assert answer == {"allowed": True, "principal": "arn:aws:iam::123456789012:user/route-caller"}


def test_a_signer_without_the_grant_gets_api_gateways_403(local_target: Target) -> None:
    caller = user(local_target, "other-caller", "arn:aws:execute-api:us-east-1:123456789012:*/*/PUT/locations/*")
    answer = authorise(local_target, signed(caller))
    assert not answer["allowed"] and answer["status"] == 403
    assert answer["body"] == {"Message": "User: arn:aws:iam::123456789012:user/other-caller is not authorized to perform: "
                                         f"execute-api:Invoke on resource: {ROUTE}"}
    assert "no identity-based policy allows" in answer["reason"]


def test_an_assumed_role_session_signs_with_its_token(local_target: Target) -> None:
    iam = local_target.client("iam", Identity.OPS)
    iam.create_role(RoleName="route-caller-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::123456789012:user/{emulator.OPS_USER}"}}]}))
    iam.put_role_policy(RoleName="route-caller-role", PolicyName="calls", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ROUTE}]}))
    issued = local_target.client("sts", Identity.OPS).assume_role(
        RoleArn="arn:aws:iam::123456789012:role/route-caller-role", RoleSessionName="caller")["Credentials"]
    session = emulator.Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])

    assert authorise(local_target, signed(session))["allowed"] is True
    forged_token = signed(emulator.Credentials(session.access_key_id, session.secret_access_key, "forged-token"))
    assert authorise(local_target, forged_token)["body"] == INVALID_TOKEN


@pytest.mark.parametrize("tamper", ["secret", "path", "body", "unknown key", "unsigned", "service"])
def test_what_api_gateway_refuses_before_policies(local_target: Target, tamper: str) -> None:
    ops = emulator.ops_credentials()
    expected = BAD_SIGNATURE
    if tamper == "secret":
        call = signed(emulator.Credentials(ops.access_key_id, "not-the-secret"))
    elif tamper == "path":
        call = {**signed(ops), "url": URL.replace("ada", "eve")}
    elif tamper == "body":
        call = {**signed(ops, b"{}"), "body": base64.b64encode(b'{"admin": true}').decode()}
    elif tamper == "unknown key":
        call, expected = signed(emulator.Credentials("AKIAUNKNOWNCALLER000", "x")), INVALID_TOKEN
    elif tamper == "unsigned":
        call, expected = {**signed(ops), "headers": {"host": "127.0.0.1:9999"}}, MISSING_TOKEN
    else:
        call = signed(ops, service="lambda")
        expected = {"message": "Credential should be scoped to correct service: 'execute-api'. "}
    answer = authorise(local_target, call)
    assert (answer["allowed"], answer["status"], answer["body"]) == (False, 403, expected)


def test_the_authorisation_endpoint_needs_the_admin_secret(local_target: Target) -> None:
    request = urllib.request.Request(f"{local_target.endpoint}{AUTHORISE_PATH}", method="POST",
                                     data=json.dumps(signed(emulator.ops_credentials())).encode())
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


def test_a_malformed_call_is_a_clear_error(local_target: Target) -> None:
    with pytest.raises(EmulatorError, match="HTTP 400"):
        authorise(local_target, {"method": "GET"})
